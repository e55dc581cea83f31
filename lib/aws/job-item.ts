/**
 * The DynamoDB item for a job: the domain Job's fields as typed top-level attributes (not an event
 * dump), plus the keys the indexes need. Shared by the JobStore adapter and the CDK table construct.
 */
import type { Job, Tier } from '../core/types';

/** Index names of the jobs table. */
export const JOBS_TABLE_INDEXES = {
  /** status (PK) + deadlineAt (SK): queued/encoding jobs by deadline, in-flight counts. */
  statusDeadline: 'byStatusDeadline',
  /** tier (PK) + createdAt (SK), keys only: a tier's jobs by arrival. */
  tierCreated: 'byTierCreated',
} as const;

/** What is stored: the job plus its index keys. `tier` is absent until the job is scored (sparse index). */
export type JobItem = Job & { tier?: Tier };

export function toItem(job: Job): JobItem {
  return job.value ? { ...job, tier: job.value.tier } : { ...job };
}

export function fromItem(item: Record<string, unknown>): Job {
  const { tier: _tier, ...job } = item as unknown as JobItem;
  return job;
}
