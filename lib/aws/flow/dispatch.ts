/** Dispatch step: drain the tier queues by the scheduling policy into MediaConvert or Batch within capacity. */
import { recordDecision, transition } from '../../core/job';
import { baseTier, DEFAULT_PREEMPTION, marqueePolicy, planPreemptions, queueEntryFor, rankQueue, schedule, type Dispatch, type PreemptionOptions, type QueueEntry, type RunningSlot, type SchedulerPolicy } from '../../core/scheduling';
import type { Job, Tier } from '../../core/types';
import type { Clock, JobStore, QueuedWork } from '../../ports';
import type { CloudEncoder } from '../encoders';
import type { TaskTokens } from '../task-tokens';
import type { SqsWorkQueue } from '../work-queue';
import { cloudChunkPlan } from '../chunk-plan';
import { CLOUD_BACKENDS, cloudPools, isCloud, outputPrefixFor, pinnedBackend, slotsOf, update, type CloudBackend, type FlowMetrics } from './common';

export interface DispatchDeps {
  store: JobStore;
  queue: SqsWorkQueue;
  encoders: Record<CloudBackend, CloudEncoder>;
  tokens: TaskTokens;
  clock: Clock;
  capacity: Record<CloudBackend, number>;
  outputBucket: string;
  metrics?: FlowMetrics;
  /** Bounded preemption (default `DEFAULT_PREEMPTION`, as the schedule bench runs it); `false` turns it off. */
  preemption?: PreemptionOptions | false;
}

export interface DispatchSummary {
  received: number;
  submitted: { jobId: string; backend: CloudBackend; externalId: string; tier: Tier }[];
  /** Running jobs cancelled and re-enqueued for fast-lane work (no attempt charged). */
  preempted: { jobId: string; backend: CloudBackend; externalId: string; by: string }[];
  waiting: number;
  dropped: number;
  inFlight: Record<CloudBackend, number>;
}

/** When a job's work first entered its tier queue (kept across preemptions). */
const queuedAtOf = (job: Job, fallback: number): number => job.dispatch?.queuedAt ?? fallback;

/** A running cloud job as preemption sees it: urgent, boosted or bumped work is never preempted. */
function runningSlotOf(job: Job, policy: SchedulerPolicy): RunningSlot {
  const d = job.dispatch!;
  const entry = queueEntryFor(job, queuedAtOf(job, d.submittedAt));
  return { id: job.id, poolId: d.backend, tier: baseTier(job), startedAt: d.submittedAt, protected: policy.reason(entry) !== 'priority', preemptions: d.preemptions ?? 0 };
}

/** Thrown inside an update when the victim is no longer the encode we chose (finished, failed, resubmitted). */
class VictimMoved extends Error {}

/**
 * Drain the tier queues within capacity: receive work, rank it with the Marquee scheduling policy
 * (tier, aging, deadline urgency, emergency bumps), submit what fits to MediaConvert or Batch, record
 * the submission with its task token, and put back (with a heartbeat) what has to wait. With bounded
 * preemption, a fast-lane job about to start on a slow slot, or still waiting past its budget, takes
 * the slot of a young standard/bulk encode on a faster pool: the victim is re-enqueued with its task
 * token and place, moved ENCODING → QUEUED (no attempt charged), and its encoder job cancelled.
 */
export async function dispatchWork(deps: DispatchDeps): Promise<DispatchSummary> {
  const now = deps.clock.now();
  const encoding = await deps.store.listByStatus(['ENCODING']);
  const inFlight: Record<CloudBackend, number> = { mediaconvert: 0, 'batch-gpu': 0 };
  // A chunked Batch job holds one slot per array child.
  for (const j of encoding) if (isCloud(j.dispatch?.backend)) inFlight[j.dispatch.backend] += slotsOf(j);
  const summary: DispatchSummary = { received: 0, submitted: [], preempted: [], waiting: 0, dropped: 0, inFlight };

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
    entries.push({ entry: queueEntryFor(job, queuedAtOf(job, w.enqueuedAt), pin ? { pinnedPool: pin } : {}), work: w });
  }
  const policy = marqueePolicy();
  const ranked = rankQueue(entries.map((e) => e.entry), policy);
  const pools = cloudPools(deps.capacity, inFlight);
  const { dispatched } = schedule(ranked, pools, now, policy);
  const plan: Dispatch[] = [...dispatched];
  const victims = new Map<Dispatch, Job>();
  const preemption = deps.preemption ?? DEFAULT_PREEMPTION;
  if (preemption && entries.length > 0) {
    const placed = new Set(dispatched.map((d) => d.entry));
    const running = encoding.filter((j) => isCloud(j.dispatch?.backend)).map((j) => runningSlotOf(j, policy));
    const picks = planPreemptions({ dispatched, waiting: ranked.filter((e) => !placed.has(e)), running, pools, policy, now, options: preemption });
    for (const p of picks) {
      const d: Dispatch = { entry: p.entry, pool: p.pool, speed: p.speed, estCostUsd: p.costUsd, reason: p.replaces?.reason ?? policy.reason(p.entry) };
      if (p.replaces) plan[plan.indexOf(p.replaces)] = d;
      else plan.push(d);
      victims.set(d, encoding.find((j) => j.id === p.victim.id)!);
    }
  }

  const chosen = new Set<QueueEntry>();
  for (let d of plan) {
    const item = entries.find((e) => e.entry === d.entry)!;
    const victim = victims.get(d);
    if (victim && !(await preempt(deps, victim, d.entry.job, now, summary))) {
      // The victim finished or moved on meanwhile: an at-start entry keeps its slow slot; a waiting one waits.
      const original = dispatched.find((x) => x.entry === d.entry);
      if (!original) continue;
      d = original;
    }
    const backend = d.pool.backend as CloudBackend;
    const job = d.entry.job;
    const attempt = job.attempts + 1;
    const restart = job.dispatch?.preemptions ?? 0;
    const variant = job.recipe?.variants[job.recipe.activeVariant];
    // Batch GPU: chunk as the pipeline plans it (the schedule bench's Marquee row), one child per free slot at most.
    const planCap = Math.max(1, deps.capacity[backend] - inFlight[backend]);
    const chunks = backend === 'batch-gpu' ? cloudChunkPlan(job, planCap).width : 1;
    if (backend === 'batch-gpu' && inFlight[backend] >= deps.capacity[backend] && !victim) continue; // earlier chunked jobs of this tick took the slots
    try {
      const externalId = await deps.encoders[backend].submit({ job, tier: job.value?.tier ?? item.work.tier, attempt, restart, outputPrefix: outputPrefixFor(deps.outputBucket, job, attempt), accelerated: backend === 'mediaconvert' && (variant?.accelerated ?? false), ...(chunks > 1 ? { chunks: { children: chunks, planCap } } : {}) });
      await update(deps.store, job.id, (cur) => {
        const tried = cur.dispatch?.tried ?? [];
        const split = chunks > 1 ? `, ${chunks} chunks: array job + join` : '';
        const next = transition(cur, 'ENCODING', now, `submitted to ${backend}${split} (${d.reason})`, {
          allocation: cur.allocation ? { ...cur.allocation, backend } : cur.allocation,
          dispatch: {
            backend,
            externalId,
            taskToken: item.work.taskToken,
            submittedAt: now,
            attempt,
            tried: tried.includes(backend) ? tried : [...tried, backend],
            progress: 0,
            queuedAt: d.entry.queuedAt,
            ...(restart > 0 ? { preemptions: restart } : {}),
          },
        });
        const why = victim && victims.get(d) ? `; took the slot of ${victim.id} (bounded preemption)` : '';
        return recordDecision(next, { at: now, kind: 'schedule', action: `dispatch to ${backend}`, reason: `${d.reason}; est. $${d.estCostUsd.toFixed(3)}${split}${why}` });
      });
      await deps.queue.ack(item.work);
      inFlight[backend] += chunks;
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
  if (summary.preempted.length > 0) deps.metrics?.add('Preempted', 'Count', summary.preempted.length);
  return summary;
}

/**
 * Give a running encode's slot to `by`. Order matters for retries and crashes: the victim's work is
 * re-enqueued first (with its task token and queue time; while the job is still ENCODING under that
 * token, the next dispatch drops the message as a duplicate), then the job moves ENCODING → QUEUED
 * only if it is still the encode chosen (its Complete events are ignored from then on: Complete
 * matches status and externalId), then the encoder job is cancelled (a failed cancel only wastes
 * the orphan's run). False when the victim had moved on.
 */
async function preempt(deps: DispatchDeps, victim: Job, by: Job, now: number, summary: DispatchSummary): Promise<boolean> {
  const d = victim.dispatch!;
  const backend = d.backend as CloudBackend;
  const externalId = d.externalId ?? '';
  const queuedAt = queuedAtOf(victim, victim.history.findLast((h) => h.to === 'QUEUED')?.at ?? victim.createdAt);
  const why = `preempted on ${backend} by ${by.id} (fast lane, ${by.value?.tier ?? 'untiered'}); requeued with its place, no attempt charged`;
  await deps.queue.send({ jobId: victim.id, tier: victim.value?.tier ?? 'bulk', enqueuedAt: queuedAt, ...(d.taskToken ? { taskToken: d.taskToken } : {}) });
  try {
    await update(deps.store, victim.id, (cur) => {
      if (cur.status !== 'ENCODING' || !cur.dispatch || cur.dispatch.externalId !== d.externalId) throw new VictimMoved(victim.id);
      const next = transition(cur, 'QUEUED', now, why, { dispatch: { ...cur.dispatch, queuedAt, preemptions: (cur.dispatch.preemptions ?? 0) + 1 } });
      return recordDecision(next, { at: now, kind: 'schedule', action: `preempted on ${backend}`, reason: why });
    });
  } catch (e) {
    if (e instanceof VictimMoved) return false;
    throw e;
  }
  try {
    await deps.encoders[backend].cancel(externalId, `marquee: ${why}`.slice(0, 256));
  } catch (e) {
    deps.metrics?.add('CancelFailed', 'Count', 1, { backend });
    if (!(e instanceof Error)) throw e;
  }
  summary.inFlight[backend] -= slotsOf(victim);
  summary.preempted.push({ jobId: victim.id, backend, externalId, by: by.id });
  return true;
}
