import { SubmitJobCommand, TerminateJobCommand, type BatchClient, type SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { CancelJobCommand, CreateJobCommand, type CreateJobCommandInput, type MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { Backend, Job, Recipe, Tier } from '../core/types';
import { chunkedExternalId, parseExternalId } from './flow/common';
import { renderMediaConvertJob, type MediaConvertRenderOptions } from './mediaconvert-job';

/** One submission of a job to a cloud encoder. */
export interface Submission {
  job: Job;
  tier: Tier;
  /** 1-based attempt of this job (idempotency tokens include it). */
  attempt: number;
  /** Restart of this attempt after a preemption (0 = first submission; idempotency tokens include it when > 0). */
  restart?: number;
  outputPrefix: string;
  accelerated: boolean;
  /**
   * Batch GPU only: encode in closed-GOP chunks, an array job of `children` plus a join job; absent =
   * one job. `planCap` is the cap `cloudChunkPlan` was called with: every worker recomputes the plan with it.
   */
  chunks?: { children: number; planCap: number };
}

export interface CloudEncoder {
  readonly backend: Backend;
  /** Submit; returns the encoder's job id. */
  submit(s: Submission): Promise<string>;
  /** Stop a submitted job (its slot goes to preempting work). Its completion event is ignored by the Complete step. */
  cancel(externalId: string, reason: string): Promise<void>;
}

/** The submission's name: `<job>-a<attempt>`, plus `-r<restart>` for a restart after a preemption (a new idempotency token). */
export const submissionName = (s: Submission): string => `${s.job.id}-a${s.attempt}${s.restart ? `-r${s.restart}` : ''}`;

export interface MediaConvertConfig {
  role: string;
  queues: Record<Tier, string>;
  /**
   * Aging inside MediaConvert: a job of tier T still waiting in its queue after `hopAfterMinutes[T]`
   * hops to the next higher tier's queue (`HopDestinations`). Tiers left out (and critical) never hop.
   */
  hopAfterMinutes?: Partial<Record<Tier, number>>;
}

/** A recipe → CreateJob renderer; `renderMediaConvertJob` unless a test passes another. */
export type MediaConvertRenderer = (job: Job, recipe: Recipe, opts: MediaConvertRenderOptions) => CreateJobCommandInput;

const NEXT_TIER_UP: Record<Tier, Tier | undefined> = { critical: undefined, premium: 'critical', standard: 'premium', bulk: 'standard' };

/** MediaConvert `CreateJob` with the tier's queue, the value levers' priority, queue hopping and an idempotency token. */
export class MediaConvertEncoder implements CloudEncoder {
  readonly backend = 'mediaconvert' as const;

  constructor(private readonly mc: MediaConvertClient, private readonly config: MediaConvertConfig, private readonly render: MediaConvertRenderer = renderMediaConvertJob) {}

  async submit(s: Submission): Promise<string> {
    if (!s.job.recipe) throw new Error(`job ${s.job.id} has no recipe`);
    const up = NEXT_TIER_UP[s.tier];
    const wait = this.config.hopAfterMinutes?.[s.tier];
    const input = this.render(s.job, s.job.recipe, {
      role: this.config.role,
      queueArn: this.config.queues[s.tier],
      priority: s.job.value?.levers.mediaConvertPriority ?? 0,
      outputPrefix: s.outputPrefix,
      clientRequestToken: submissionName(s),
      accelerated: s.accelerated,
      userMetadata: { jobId: s.job.id, attempt: String(s.attempt), tier: s.tier },
      ...(up && wait && wait > 0 && this.config.queues[up] !== this.config.queues[s.tier] ? { hop: { queueArn: this.config.queues[up], waitMinutes: wait } } : {}),
    });
    const out = await this.mc.send(new CreateJobCommand(input));
    if (!out.Job?.Id) throw new Error('CreateJob returned no job id');
    return out.Job.Id;
  }

  /** `CancelJob` (a job already finished or cancelled cannot be: that error is thrown to the caller). */
  async cancel(externalId: string): Promise<void> {
    await this.mc.send(new CancelJobCommand({ Id: externalId }));
  }
}

export interface BatchConfig {
  jobQueues: Record<Tier, string>;
  jobDefinition: string;
}

/**
 * Batch `SubmitJob` of the GPU worker to the tier's job queue; the worker reads the recipe from the
 * job table. A chunked submission is an array job of `chunks` children (each encodes its chunk of
 * every rung; the job definition's retry strategy retries a failed child alone) and a join job that
 * depends on the array (it runs once every child succeeded and fails at once if one fails).
 */
export class BatchGpuEncoder implements CloudEncoder {
  readonly backend = 'batch-gpu' as const;

  constructor(private readonly batch: BatchClient, private readonly config: BatchConfig) {}

  async submit(s: Submission): Promise<string> {
    const chunks = s.chunks?.children ?? 1;
    if (chunks < 2) return this.submitOne(s, submissionName(s), {});
    const mode = { MARQUEE_CHUNK_CAP: String(s.chunks!.planCap) };
    const arrayId = await this.submitOne(s, `${submissionName(s)}-chunks`, { ...mode, MARQUEE_MODE: 'chunk' }, { arrayProperties: { size: chunks } });
    const joinId = await this.submitOne(s, `${submissionName(s)}-join`, { ...mode, MARQUEE_MODE: 'join' }, { dependsOn: [{ jobId: arrayId }] });
    return chunkedExternalId(joinId, arrayId, chunks);
  }

  private async submitOne(s: Submission, name: string, env: Record<string, string>, extra: Pick<SubmitJobCommandInput, 'arrayProperties' | 'dependsOn'> = {}): Promise<string> {
    const out = await this.batch.send(
      new SubmitJobCommand({
        jobName: name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128),
        jobQueue: this.config.jobQueues[s.tier],
        jobDefinition: this.config.jobDefinition,
        ...extra,
        containerOverrides: {
          environment: [
            { name: 'MARQUEE_JOB_ID', value: s.job.id },
            { name: 'MARQUEE_ATTEMPT', value: String(s.attempt) },
            { name: 'MARQUEE_OUTPUT_PREFIX', value: s.outputPrefix },
            ...Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
          ],
        },
        tags: { jobId: s.job.id, tier: s.tier },
        propagateTags: true,
      }),
    );
    if (!out.jobId) throw new Error('SubmitJob returned no job id');
    return out.jobId;
  }

  /**
   * `TerminateJob` (cancels a job not yet running, stops a running one; a finished job is left as it
   * is). A chunked submission terminates the join first (so it cannot start on a half array), then the
   * array parent and each child (`<arrayId>:<i>`, the ids Batch gives them) by name: the API reference
   * documents cancelling a PENDING array parent's children (CancelJob), not terminating running ones.
   */
  async cancel(externalId: string, reason: string): Promise<void> {
    const ids = parseExternalId(externalId);
    const children = ids.arrayId ? [ids.arrayId, ...Array.from({ length: ids.slots }, (_, i) => `${ids.arrayId}:${i}`)] : [];
    const terminate = (jobId: string) => this.batch.send(new TerminateJobCommand({ jobId, reason: reason.slice(0, 256) }));
    await terminate(ids.primary);
    // Best effort per child: one already gone (or never started) must not keep the others running.
    await Promise.allSettled(children.map(terminate));
  }
}
