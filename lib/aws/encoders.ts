import { SubmitJobCommand, type BatchClient } from '@aws-sdk/client-batch';
import { CreateJobCommand, type MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { Backend, Job, Tier } from '../core/types';
import type { RenderMediaConvertJob } from './mediaconvert-minimal';

/** One submission of a job to a cloud encoder. */
export interface Submission {
  job: Job;
  tier: Tier;
  /** 1-based attempt of this job (idempotency tokens include it). */
  attempt: number;
  outputPrefix: string;
  accelerated: boolean;
}

export interface CloudEncoder {
  readonly backend: Backend;
  /** Submit; returns the encoder's job id. */
  submit(s: Submission): Promise<string>;
}

export interface MediaConvertConfig {
  role: string;
  queues: Record<Tier, string>;
}

/** MediaConvert `CreateJob` with the tier's queue, the value levers' priority and an idempotency token. */
export class MediaConvertEncoder implements CloudEncoder {
  readonly backend = 'mediaconvert' as const;

  constructor(private readonly mc: MediaConvertClient, private readonly config: MediaConvertConfig, private readonly render: RenderMediaConvertJob) {}

  async submit(s: Submission): Promise<string> {
    if (!s.job.recipe) throw new Error(`job ${s.job.id} has no recipe`);
    const input = this.render(s.job, s.job.recipe, {
      role: this.config.role,
      queueArn: this.config.queues[s.tier],
      priority: s.job.value?.levers.mediaConvertPriority ?? 0,
      outputPrefix: s.outputPrefix,
      clientRequestToken: `${s.job.id}-a${s.attempt}`.slice(0, 64),
      accelerated: s.accelerated,
      userMetadata: { jobId: s.job.id, attempt: String(s.attempt), tier: s.tier },
    });
    const out = await this.mc.send(new CreateJobCommand(input));
    if (!out.Job?.Id) throw new Error('CreateJob returned no job id');
    return out.Job.Id;
  }
}

export interface BatchConfig {
  jobQueues: Record<Tier, string>;
  jobDefinition: string;
}

/** Batch `SubmitJob` of the GPU worker to the tier's job queue; the worker reads the recipe from the job table. */
export class BatchGpuEncoder implements CloudEncoder {
  readonly backend = 'batch-gpu' as const;

  constructor(private readonly batch: BatchClient, private readonly config: BatchConfig) {}

  async submit(s: Submission): Promise<string> {
    const out = await this.batch.send(
      new SubmitJobCommand({
        jobName: `${s.job.id}-a${s.attempt}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128),
        jobQueue: this.config.jobQueues[s.tier],
        jobDefinition: this.config.jobDefinition,
        containerOverrides: {
          environment: [
            { name: 'MARQUEE_JOB_ID', value: s.job.id },
            { name: 'MARQUEE_ATTEMPT', value: String(s.attempt) },
            { name: 'MARQUEE_OUTPUT_PREFIX', value: s.outputPrefix },
          ],
        },
        tags: { jobId: s.job.id, tier: s.tier },
        propagateTags: true,
      }),
    );
    if (!out.jobId) throw new Error('SubmitJob returned no job id');
    return out.jobId;
  }
}
