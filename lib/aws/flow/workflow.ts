/** Workflow steps of the state machine: verify outputs, publish, fall back to the other backend, record a failure. */
import { QcFailedError, RejectedInputError } from '../../core/errors';
import { recordDecision, transition } from '../../core/job';
import type { Job, Tier } from '../../core/types';
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

/**
 * QC of the outputs: every rendition of the active ladder has outputs, and they exist; so do the
 * streaming entry points — an HLS-packaged recipe needs a recorded HLS master, and a recorded master
 * or MPD must exist (the Batch worker packages no DASH, so an MPD is checked only when recorded).
 * Fails with QcFailedError naming what is missing.
 */
export async function verifyOutputs(deps: WorkflowDeps, jobId: string): Promise<{ renditions: number; outputs: number }> {
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  if (job.status === 'PUBLISHED') return { renditions: job.renditions.length, outputs: job.renditions.flatMap((r) => r.outputs).length };
  const missing = job.renditions.filter((r) => r.outputs.length === 0).map((r) => r.renditionId);
  const outputs = job.renditions.flatMap((r) => r.outputs);
  const absent: string[] = [];
  for (const o of outputs.slice(0, 50)) if (o.startsWith('s3://') && !(await deps.objects.exists(o))) absent.push(o);
  const entry = await entryPointProblems(deps.objects, job);
  const now = deps.clock.now();
  if (missing.length > 0 || absent.length > 0 || entry.length > 0) {
    const problems = [...(missing.length ? [`no output for ${missing.join(', ')}`] : []), ...(absent.length ? [`missing objects ${absent.slice(0, 3).join(', ')}`] : []), ...entry];
    throw new QcFailedError(`job ${jobId}: ${problems.join('; ')}`);
  }
  const manifests = [job.manifests?.hls, job.manifests?.dash].filter((m) => m !== undefined).length;
  await update(deps.store, jobId, (cur) =>
    recordDecision(cur, { at: now, kind: 'qc', action: 'outputs verified', reason: `${outputs.length} objects for ${job.renditions.length} renditions${manifests ? `, ${manifests} streaming manifest(s)` : ''}` }),
  );
  return { renditions: job.renditions.length, outputs: outputs.length };
}

/** Why the job's streaming entry points are not playable: an HLS recipe with no master recorded, or a recorded manifest that is not there. */
async function entryPointProblems(objects: ObjectStore, job: Job): Promise<string[]> {
  const problems: string[] = [];
  const { hls, dash } = job.manifests ?? {};
  if (job.recipe?.packaging.includes('hls') && !hls) problems.push('no HLS master playlist recorded (the recipe packages HLS)');
  if (hls?.startsWith('s3://') && !(await objects.exists(hls))) problems.push(`HLS master playlist ${hls} is missing`);
  if (dash?.startsWith('s3://') && !(await objects.exists(dash))) problems.push(`DASH manifest ${dash} is missing`);
  return problems;
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
      // The entry points a player opens (HLS master, DASH MPD): `{}` when the recipe packages neither.
      manifests: published.manifests ?? {},
      deadlineAt: published.deadlineAt,
      late,
      turnaroundSec,
    });
    deps.metrics?.add('TurnaroundSec', 'Seconds', turnaroundSec, { tier: published.value?.tier ?? 'bulk' });
    if (late) deps.metrics?.add('DeadlineMissed', 'Count', 1);
  }
  return { late, turnaroundSec };
}

/** After an encoder failed (retried once already) or its outputs failed Verify: send the job to the backend it has not tried. */
export async function fallBack(deps: WorkflowDeps, jobId: string, error: { Error?: string; Cause?: string }): Promise<EnqueueOrder> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  const tried = job.dispatch?.tried ?? [];
  const other = CLOUD_BACKENDS.find((b) => !tried.includes(b));
  if (!other) throw new NoFallbackError(`job ${jobId}: ${tried.join(' and ')} both failed (${error.Error ?? 'error'}: ${(error.Cause ?? '').slice(0, 300)})`);
  const stored = await update(deps.store, jobId, (cur) => {
    // ENCODING: the encoder failed; VERIFYING: it reported outputs that are not there
    const retrying = cur.status === 'ENCODING' || cur.status === 'VERIFYING' ? transition(cur, 'RETRYING', now, `${error.Error ?? 'encoder failure'} on ${cur.dispatch?.backend}`) : cur;
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

