import { MarqueeError } from '../errors';
import { predictJob, heuristicModel, type EncodeTimeModel } from '../prediction';
import { activeLadder } from '../recipes';
import type { Backend, ContentProfile, Job, Recipe, Rendition } from '../types';
import { buildTaskGraph } from './graph';
import { planChunks, shouldChunk } from './chunking';
import { DEFAULT_PIPELINE_POLICY, type ChunkRange, type PipelinePolicy, type TaskGraph } from './types';

/** A job reached pipeline planning without the analyze step's recipe or profile. */
export class PipelinePlanError extends MarqueeError {}

/**
 * The per-task cost function from the prediction model: `predictJob` per backend (cached), so the
 * multi-stage and the monolithic pipeline price every encode with the same model.
 */
export function encodeCostFromModel(recipe: Recipe, profile: ContentProfile, model: EncodeTimeModel = heuristicModel): (r: Rendition, backend: Backend) => number {
  const cache = new Map<Backend, Map<string, number>>();
  return (r, backend) => {
    let byId = cache.get(backend);
    if (!byId) {
      byId = new Map(predictJob(recipe, profile, backend, model).renditions.map((p) => [p.renditionId, p.wallSecP50]));
      cache.set(backend, byId);
    }
    const wall = byId.get(r.id);
    if (wall === undefined) throw new PipelinePlanError(`the model has no prediction for rendition ${r.id} on ${backend}`);
    return wall;
  };
}

/** Plan an analysed job's pipeline on a fleet with these backends. */
export function planPipeline(
  job: Job,
  ctx: { available: readonly Backend[]; now: number; model?: EncodeTimeModel; policy?: PipelinePolicy; includeAnalyse?: boolean },
): TaskGraph {
  if (!job.recipe || !job.profile) throw new PipelinePlanError(`job ${job.id} has no recipe or profile: plan it first`);
  return buildTaskGraph({
    jobId: job.id,
    durationSec: job.profile.source.durationSec,
    ladder: activeLadder(job.recipe),
    available: ctx.available,
    encodeCost: encodeCostFromModel(job.recipe, job.profile, ctx.model),
    now: ctx.now,
    includeAnalyse: ctx.includeAnalyse ?? false,
    ...(ctx.policy ? { policy: ctx.policy } : {}),
  });
}

/**
 * The chunks the local runtime should encode a rendition in (empty when it should run as one
 * encode). Feed them to `encodeChunked` in lib/media/chunked.ts.
 */
export function chunksForRendition(rendition: Rendition, durationSec: number, policy: PipelinePolicy = DEFAULT_PIPELINE_POLICY, maxChunks = policy.maxChunks): ChunkRange[] {
  if (!shouldChunk(rendition, durationSec, policy).chunk) return [];
  const chunks = planChunks(durationSec, rendition.gopSeconds, rendition.fps, { ...policy, maxChunks: Math.min(maxChunks, policy.maxChunks) });
  return chunks.length > 1 ? chunks : [];
}
