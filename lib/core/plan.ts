import { transition, recordDecision } from './job';
import { rejectionReason, type SourceLimits, DEFAULT_SOURCE_LIMITS } from './analysis';
import { chooseRecipe, type MeasuredHull } from './recipes';
import { allocate, predictJob, heuristicModel, type AllocationContext, type EncodeTimeModel } from './prediction';
import { scoreValue, DEFAULT_VALUE_POLICY, type ValuePolicy } from './value';
import type { Backend, ContentProfile, Job } from './types';

/** What planning needs besides the job and its profile. */
export interface PlanContext {
  now: number;
  valuePolicy?: ValuePolicy;
  model?: EncodeTimeModel;
  limits?: SourceLimits;
  backend: Backend;
  /** Let allocation choose between cloud backends; local pool size for local runs. */
  allocation?: Pick<AllocationContext, 'chooseBackend' | 'localPoolSlots' | 'policy'>;
  /** The title's measured rate–quality hull (trial encodes), when the tier pays for one. */
  measuredHull?: MeasuredHull;
}

/**
 * The analyze step's decision, shared by the Lambda analyzer and the local runtime:
 * reject a source that cannot be encoded, otherwise score value, pick the recipe, predict,
 * allocate and set the deadline. Returns the job in ANALYZED or REJECTED.
 */
export function planJob(job: Job, profile: ContentProfile, ctx: PlanContext): Job {
  const reason = rejectionReason(profile.source, ctx.limits ?? DEFAULT_SOURCE_LIMITS);
  if (reason) return transition({ ...job, profile }, 'REJECTED', ctx.now, reason);
  const policy = ctx.valuePolicy ?? DEFAULT_VALUE_POLICY;
  const value = scoreValue(job.metadata, policy, ctx.now);
  const recipe = chooseRecipe({
    jobId: job.id,
    profile,
    value,
    formats: job.metadata.formats,
    ...(ctx.measuredHull ? { measuredHull: ctx.measuredHull } : {}),
  });
  const prediction = predictJob(recipe, profile, ctx.backend, ctx.model ?? heuristicModel);
  const allocation = allocate(prediction, ctx.backend, {
    ...ctx.allocation,
    source: { durationSec: profile.source.durationSec, height: profile.source.height },
  });
  const deadlineAt = job.metadata.deadlineAt ?? job.createdAt + policy.defaultDeadlineMinutes[value.tier] * 60_000;
  const planned = transition(job, 'ANALYZED', ctx.now, `tier ${value.tier} (score ${value.score.toFixed(1)}), ${recipe.ladder.length} renditions`, {
    profile,
    value,
    recipe,
    prediction,
    allocation,
    deadlineAt,
    renditions: recipe.ladder.map((r) => ({ renditionId: r.id, status: 'pending', outputs: [] })),
  });
  return recordDecision(planned, { at: ctx.now, kind: 'allocation', action: `${allocation.backend} ×${allocation.slots}`, reason: allocation.reasons.join('; ') });
}
