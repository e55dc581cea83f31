import { leversFor } from '../value';
import type { Job } from '../types';

/**
 * Emergency bump (the priority API's escalate): the job becomes critical at once, optionally with a
 * new deadline, and ranks before every other job. Recorded as a ValueAdjustment of kind `emergency`.
 * (The value module owns scoring; this only records the operator's override on the job.)
 */
export function emergencyBump(job: Job, at: number, by: string, reason: string, deadlineAt?: number): Job {
  const value = job.value;
  if (!value) return { ...job, deadlineAt: deadlineAt ?? job.deadlineAt };
  const adjustment = {
    at,
    kind: 'emergency' as const,
    by,
    reason,
    fromScore: value.score,
    toScore: Math.max(value.score, 100),
    fromTier: value.tier,
    toTier: 'critical' as const,
  };
  return {
    ...job,
    deadlineAt: deadlineAt ?? job.deadlineAt,
    updatedAt: Math.max(job.updatedAt, at),
    value: { ...value, tier: 'critical', score: adjustment.toScore, levers: leversFor('critical', adjustment.toScore) },
    adjustments: [...job.adjustments, adjustment],
  };
}
