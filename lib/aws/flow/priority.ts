/** Priority API: emergency bumps and the job view. */
import type { Job, Tier } from '../../core/types';
import { escalate as escalateValue } from '../../core/value';
import type { Clock, EventPublisher, JobStore } from '../../ports';
import { emit, update } from './common';

export interface EscalationRequest {
  tier?: Tier;
  deadlineAt?: number;
  reason: string;
  by: string;
}

/** Emergency bump through the value policy's `escalate`; the dispatcher ranks by the job's new tier at once. */
export async function escalateJob(deps: { store: JobStore; events: EventPublisher; clock: Clock }, jobId: string, req: EscalationRequest): Promise<Job | undefined> {
  const now = deps.clock.now();
  if (!(await deps.store.get(jobId))) return undefined;
  const stored = await update(deps.store, jobId, (cur) => escalateValue(cur, { tier: req.tier, deadlineAt: req.deadlineAt, reason: req.reason, by: req.by }, now));
  await emit(deps.events, 'JobEscalated', stored, now, { by: req.by, reason: req.reason, deadlineAt: stored.deadlineAt });
  return stored;
}

/** What GET /jobs/{id} returns: status, value, deadline, renditions, the last decisions. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    tier: job.value?.tier,
    score: job.value?.score,
    deadlineAt: new Date(Math.min(job.deadlineAt, 8.64e15)).toISOString(),
    reason: job.reason,
    backend: job.dispatch?.backend ?? job.allocation?.backend,
    progress: job.dispatch?.progress,
    attempts: job.attempts,
    renditions: job.renditions.map((r) => ({ id: r.renditionId, status: r.status, outputs: r.outputs })),
    adjustments: job.adjustments.slice(-5),
    decisions: job.decisions.slice(-10),
    history: job.history.map((h) => ({ to: h.to, at: new Date(h.at).toISOString(), reason: h.reason })),
  };
}
