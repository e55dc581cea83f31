/** Workflow steps of the state machine: verify outputs, publish, fall back to the other backend, record a failure. */
import { QcFailedError, RejectedInputError } from '../../core/errors';
import { recordDecision, transition } from '../../core/job';
import type { Tier } from '../../core/types';
import type { Clock, EventPublisher, JobStore, ObjectStore } from '../../ports';
import { NoFallbackError } from '../errors';
import { CLOUD_BACKENDS, emit, orderFor, update, type EnqueueOrder, type FlowMetrics } from './common';

export interface WorkflowDeps {
  store: JobStore;
  objects: ObjectStore;
  events: EventPublisher;
  clock: Clock;
  tierQueues: Record<Tier, string>;
  metrics?: FlowMetrics;
}

/** QC of the outputs: every rendition of the active ladder has outputs, and they exist. */
export async function verifyOutputs(deps: WorkflowDeps, jobId: string): Promise<{ renditions: number; outputs: number }> {
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  if (job.status === 'PUBLISHED') return { renditions: job.renditions.length, outputs: job.renditions.flatMap((r) => r.outputs).length };
  const missing = job.renditions.filter((r) => r.outputs.length === 0).map((r) => r.renditionId);
  const outputs = job.renditions.flatMap((r) => r.outputs);
  const absent: string[] = [];
  for (const o of outputs.slice(0, 50)) if (o.startsWith('s3://') && !(await deps.objects.exists(o))) absent.push(o);
  const now = deps.clock.now();
  if (missing.length > 0 || absent.length > 0) {
    throw new QcFailedError(`job ${jobId}: ${missing.length ? `no output for ${missing.join(', ')}` : ''}${absent.length ? ` missing objects ${absent.slice(0, 3).join(', ')}` : ''}`.trim());
  }
  await update(deps.store, jobId, (cur) => recordDecision(cur, { at: now, kind: 'qc', action: 'outputs verified', reason: `${outputs.length} objects for ${job.renditions.length} renditions` }));
  return { renditions: job.renditions.length, outputs: outputs.length };
}

export async function publishJob(deps: WorkflowDeps, jobId: string): Promise<{ late: boolean; turnaroundSec: number }> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  const published = job.status === 'PUBLISHED' ? job : await update(deps.store, jobId, (cur) => transition(cur, 'PUBLISHED', now, 'outputs verified'));
  const late = published.updatedAt > published.deadlineAt;
  const turnaroundSec = (published.updatedAt - published.createdAt) / 1000;
  if (job.status !== 'PUBLISHED') {
    await emit(deps.events, 'JobPublished', published, now, {
      renditions: published.renditions.map((r) => ({ id: r.renditionId, outputs: r.outputs })),
      deadlineAt: published.deadlineAt,
      late,
      turnaroundSec,
    });
    deps.metrics?.add('TurnaroundSec', 'Seconds', turnaroundSec, { tier: published.value?.tier ?? 'bulk' });
    if (late) deps.metrics?.add('DeadlineMissed', 'Count', 1);
  }
  return { late, turnaroundSec };
}

/** After an encoder failed (retried once already): send the job to the backend it has not tried. */
export async function fallBack(deps: WorkflowDeps, jobId: string, error: { Error?: string; Cause?: string }): Promise<EnqueueOrder> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  const tried = job.dispatch?.tried ?? [];
  const other = CLOUD_BACKENDS.find((b) => !tried.includes(b));
  if (!other) throw new NoFallbackError(`job ${jobId}: ${tried.join(' and ')} both failed (${error.Error ?? 'error'}: ${(error.Cause ?? '').slice(0, 300)})`);
  const stored = await update(deps.store, jobId, (cur) => {
    const retrying = cur.status === 'ENCODING' ? transition(cur, 'RETRYING', now, `${error.Error ?? 'encoder failure'} on ${cur.dispatch?.backend}`) : cur;
    const requeued = transition(retrying, 'QUEUED', now, `falling back to ${other}`, { allocation: cur.allocation ? { ...cur.allocation, backend: other } : cur.allocation });
    return recordDecision(requeued, { at: now, kind: 'backend', action: `fall back to ${other}`, reason: `${tried.join(', ')} failed: ${(error.Cause ?? error.Error ?? '').slice(0, 200)}` });
  });
  return orderFor(stored, deps, now);
}

/** Record the cause of a failed workflow on the job (FAILED) and publish JobFailed. */
export async function recordFailure(deps: WorkflowDeps, jobId: string, error: { Error?: string; Cause?: string }): Promise<{ status: string }> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) return { status: 'UNKNOWN' };
  if (job.status === 'FAILED' || job.status === 'PUBLISHED' || job.status === 'REJECTED') return { status: job.status };
  const cause = `${error.Error ?? 'Error'}: ${(error.Cause ?? '').slice(0, 800)}`;
  const failed = await update(deps.store, jobId, (cur) => transition(cur, 'FAILED', now, cause));
  await emit(deps.events, 'JobFailed', failed, now, { reason: cause });
  return { status: failed.status };
}

