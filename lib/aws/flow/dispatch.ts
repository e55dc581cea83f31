/** Dispatch step: drain the tier queues by the scheduling policy into MediaConvert or Batch within capacity. */
import { transition, recordDecision } from '../../core/job';
import { marqueePolicy, queueEntryFor, rankQueue, schedule, type QueueEntry } from '../../core/scheduling';
import type { Tier } from '../../core/types';
import type { Clock, JobStore, QueuedWork } from '../../ports';
import type { CloudEncoder } from '../encoders';
import type { TaskTokens } from '../task-tokens';
import type { SqsWorkQueue } from '../work-queue';
import { CLOUD_BACKENDS, cloudPools, isCloud, outputPrefixFor, pinnedBackend, update, type CloudBackend, type FlowMetrics } from './common';

export interface DispatchDeps {
  store: JobStore;
  queue: SqsWorkQueue;
  encoders: Record<CloudBackend, CloudEncoder>;
  tokens: TaskTokens;
  clock: Clock;
  capacity: Record<CloudBackend, number>;
  outputBucket: string;
  metrics?: FlowMetrics;
}

export interface DispatchSummary {
  received: number;
  submitted: { jobId: string; backend: CloudBackend; externalId: string; tier: Tier }[];
  waiting: number;
  dropped: number;
  inFlight: Record<CloudBackend, number>;
}


/**
 * Drain the tier queues within capacity: receive work, rank it with the Marquee scheduling policy
 * (tier, aging, deadline urgency, emergency bumps), submit what fits to MediaConvert or Batch, record
 * the submission with its task token, and put back (with a heartbeat) what has to wait.
 */
export async function dispatchWork(deps: DispatchDeps): Promise<DispatchSummary> {
  const now = deps.clock.now();
  const encoding = await deps.store.listByStatus(['ENCODING']);
  const inFlight: Record<CloudBackend, number> = { mediaconvert: 0, 'batch-gpu': 0 };
  for (const j of encoding) if (isCloud(j.dispatch?.backend)) inFlight[j.dispatch.backend] += 1;
  const summary: DispatchSummary = { received: 0, submitted: [], waiting: 0, dropped: 0, inFlight };

  const work: QueuedWork[] = [];
  for (const tier of ['critical', 'premium', 'standard', 'bulk'] as const) work.push(...(await deps.queue.receive(tier, 10)));
  summary.received = work.length;
  const entries: { entry: QueueEntry; work: QueuedWork }[] = [];
  for (const w of work) {
    const job = await deps.store.get(w.jobId);
    const live = job && (job.status === 'QUEUED' || job.status === 'RETRYING');
    const duplicate = job?.status === 'ENCODING' && job.dispatch?.taskToken === w.taskToken;
    if (!live || duplicate) {
      await deps.queue.ack(w);
      summary.dropped += 1;
      continue;
    }
    const pin = pinnedBackend(job);
    entries.push({ entry: queueEntryFor(job, w.enqueuedAt, pin ? { pinnedPool: pin } : {}), work: w });
  }
  const policy = marqueePolicy();
  const ranked = rankQueue(entries.map((e) => e.entry), policy);
  const { dispatched } = schedule(ranked, cloudPools(deps.capacity, inFlight), now, policy);
  const chosen = new Set<QueueEntry>();
  for (const d of dispatched) {
    const item = entries.find((e) => e.entry === d.entry)!;
    const backend = d.pool.backend as CloudBackend;
    const job = d.entry.job;
    const attempt = job.attempts + 1;
    const variant = job.recipe?.variants[job.recipe.activeVariant];
    try {
      const externalId = await deps.encoders[backend].submit({ job, tier: job.value?.tier ?? item.work.tier, attempt, outputPrefix: outputPrefixFor(deps.outputBucket, job, attempt), accelerated: backend === 'mediaconvert' && (variant?.accelerated ?? false) });
      await update(deps.store, job.id, (cur) => {
        const tried = cur.dispatch?.tried ?? [];
        const next = transition(cur, 'ENCODING', now, `submitted to ${backend} (${d.reason})`, {
          allocation: cur.allocation ? { ...cur.allocation, backend } : cur.allocation,
          dispatch: { backend, externalId, taskToken: item.work.taskToken, submittedAt: now, attempt, tried: tried.includes(backend) ? tried : [...tried, backend], progress: 0 },
        });
        return recordDecision(next, { at: now, kind: 'schedule', action: `dispatch to ${backend}`, reason: `${d.reason}; est. $${d.estCostUsd.toFixed(3)}` });
      });
      await deps.queue.ack(item.work);
      inFlight[backend] += 1;
      chosen.add(d.entry);
      summary.submitted.push({ jobId: job.id, backend, externalId, tier: job.value?.tier ?? item.work.tier });
    } catch (e) {
      // Leave it for the next tick (the message becomes visible again); the encoder call is idempotent.
      await deps.queue.release(item.work, 30);
      deps.metrics?.add('SubmitFailed', 'Count', 1, { backend });
      if (!(e instanceof Error)) throw e;
    }
  }
  for (const { entry, work: w } of entries) {
    if (chosen.has(entry)) continue;
    summary.waiting += 1;
    if (w.taskToken) await deps.tokens.heartbeat(w.taskToken);
    await deps.queue.release(w, 0);
  }
  for (const b of CLOUD_BACKENDS) deps.metrics?.add('InFlight', 'Count', inFlight[b], { backend: b });
  return summary;
}

