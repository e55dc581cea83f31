/** Deadline watch: deadline management for queued and running jobs whose P90 finish passes their deadline. */
import { planDeadlineActions, type RunningView } from '../../core/deadlines';
import { marqueePolicy, queueEntryFor } from '../../core/scheduling';
import type { Backend } from '../../core/types';
import type { Clock, EventPublisher, JobStore } from '../../ports';
import { TransientError } from '../errors';
import { cloudPools, emit, isCloud, pinnedBackend, slotsOf, update, type CloudBackend, type FlowMetrics } from './common';

export interface DeadlineWatchDeps {
  store: JobStore;
  events: EventPublisher;
  clock: Clock;
  capacity: Record<CloudBackend, number>;
  metrics?: FlowMetrics;
}

/**
 * Find queued and running jobs whose P90 finish passes their deadline and apply deadline management
 * (raise priority, pin a faster backend, switch to a faster recipe variant), recording each action.
 * A running job's new variant applies to its next attempt (MediaConvert jobs are not edited in flight).
 */
export async function watchDeadlines(deps: DeadlineWatchDeps): Promise<{ atRisk: number; actions: { jobId: string; steps: string[] }[] }> {
  const now = deps.clock.now();
  const queuedJobs = await deps.store.listByStatus(['QUEUED', 'RETRYING']);
  const runningJobs = await deps.store.listByStatus(['ENCODING']);
  const inFlight: Record<CloudBackend, number> = { mediaconvert: 0, 'batch-gpu': 0 };
  for (const j of runningJobs) if (isCloud(j.dispatch?.backend)) inFlight[j.dispatch.backend] += slotsOf(j); // a chunked Batch job holds N slots
  const pools = cloudPools(deps.capacity, inFlight);
  // A preempted job keeps its place: its first queue time is on its dispatch record.
  const queued = queuedJobs.map((j) => queueEntryFor(j, j.dispatch?.queuedAt ?? j.history.findLast((h) => h.to === 'QUEUED')?.at ?? j.createdAt, pinnedBackend(j) ? { pinnedPool: pinnedBackend(j)! } : {}));
  const running: RunningView[] = runningJobs
    .filter((j) => j.dispatch)
    .map((j) => {
      const pool = pools.find((p) => p.id === j.dispatch!.backend) ?? pools[0]!;
      const workP90 = j.prediction?.wallSecP90 ?? 0;
      const progress = j.dispatch!.progress ?? 0;
      return { job: j, poolId: pool.id, startedAt: j.dispatch!.submittedAt, progress, workP90, expectedEndP90: j.dispatch!.submittedAt + (workP90 / pool.speed) * 1000 };
    });
  // The shipped policy (DEFAULT_MARQUEE_OPTIONS), as the dispatch step ranks and routes.
  const plans = planDeadlineActions({ queued, running, pools, now, policy: marqueePolicy() });
  const actions: { jobId: string; steps: string[] }[] = [];
  for (const plan of plans) {
    try {
      const stored = await update(deps.store, plan.jobId, (cur) => ({
        ...cur,
        recipe: plan.job.recipe ?? cur.recipe,
        decisions: plan.job.decisions,
        allocation: plan.pinnedPool && cur.allocation && isCloud(plan.pinnedPool as Backend) ? { ...cur.allocation, backend: plan.pinnedPool as CloudBackend } : cur.allocation,
      }));
      actions.push({ jobId: plan.jobId, steps: plan.steps });
      await emit(deps.events, 'DeadlineAction', stored, now, { steps: plan.steps, expectedGainSec: plan.expectedGainSec, qualityCostVmaf: plan.qualityCostVmaf, meetsDeadline: plan.meetsDeadline, variantLevel: plan.variantLevel });
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
    }
  }
  deps.metrics?.add('DeadlineAtRisk', 'Count', plans.length);
  return { atRisk: plans.length, actions };
}

