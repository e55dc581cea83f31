import { IllegalTransitionError } from './errors';
import type { BusinessMetadata, Decision, Job, JobStatus, SourceRef } from './types';
import { TERMINAL_STATUSES } from './types';

/**
 * Legal moves of the job state machine. Terminal states have none. ENCODING → QUEUED gives a slot
 * back without a failure (the scheduler preempted it, or deadline management restarts it on a
 * faster variant): unlike RETRYING it does not count an attempt.
 */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  RECEIVED: ['ANALYZED', 'REJECTED', 'FAILED'],
  ANALYZED: ['QUEUED', 'REJECTED', 'FAILED'],
  QUEUED: ['ENCODING', 'FAILED'],
  ENCODING: ['VERIFYING', 'RETRYING', 'QUEUED', 'FAILED'],
  VERIFYING: ['PUBLISHED', 'RETRYING', 'FAILED'],
  RETRYING: ['QUEUED', 'ENCODING', 'FAILED'],
  PUBLISHED: [],
  REJECTED: [],
  FAILED: [],
};

export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

export const canTransition = (from: JobStatus, to: JobStatus): boolean => TRANSITIONS[from].includes(to);

/** A new job as it is received, before analysis. */
export function newJob(input: {
  id: string;
  source: SourceRef;
  metadata: BusinessMetadata;
  now: number;
  /** Deadline used when the metadata carries none (the tier default is applied after analysis). */
  deadlineAt?: number;
}): Job {
  return {
    id: input.id,
    source: input.source,
    metadata: input.metadata,
    status: 'RECEIVED',
    createdAt: input.now,
    updatedAt: input.now,
    deadlineAt: input.metadata.deadlineAt ?? input.deadlineAt ?? Number.MAX_SAFE_INTEGER,
    renditions: [],
    attempts: 0,
    history: [{ from: null, to: 'RECEIVED', at: input.now, reason: 'upload received' }],
    adjustments: [],
    decisions: [],
    version: 0,
  };
}

/**
 * Move a job to a new state, recording when and why. Returns a new job (the input is not mutated).
 * @throws IllegalTransitionError when the state machine does not allow the move.
 */
export function transition(job: Job, to: JobStatus, at: number, reason: string, patch: Partial<Job> = {}): Job {
  if (!canTransition(job.status, to)) {
    throw new IllegalTransitionError(`job ${job.id}: ${job.status} → ${to} is not allowed (${reason})`);
  }
  const terminalReason = to === 'REJECTED' || to === 'FAILED' ? { reason } : {};
  return {
    ...job,
    ...patch,
    ...terminalReason,
    status: to,
    updatedAt: at,
    attempts: to === 'RETRYING' ? job.attempts + 1 : job.attempts,
    history: [...job.history, { from: job.status, to, at, reason }],
  };
}

/** Append a decision (allocation, deadline action…) to the job's record. */
export function recordDecision(job: Job, decision: Decision): Job {
  return { ...job, updatedAt: Math.max(job.updatedAt, decision.at), decisions: [...job.decisions, decision] };
}
