import { activeLadder } from '../recipes';
import { normalisedMinutesPerContentMinute } from '../cost';
import type { Job } from '../types';
import { isEmergency, speedOn } from './policies';
import type { BackendPool, Dispatch, QueueEntry, SchedulerPolicy } from './types';

/** Build the scheduler's view of a queued job from its record (prediction, recipe, adjustments). */
export function queueEntryFor(job: Job, queuedAt: number, extra: Partial<QueueEntry> = {}): QueueEntry {
  const recipe = job.recipe;
  const variant = recipe?.variants[recipe.activeVariant];
  return {
    job,
    queuedAt,
    workP50: job.prediction?.wallSecP50 ?? 0,
    workP90: job.prediction?.wallSecP90 ?? job.prediction?.wallSecP50 ?? 0,
    contentSec: job.profile?.source.durationSec ?? 0,
    normalisedPerMinute: recipe ? normalisedMinutesPerContentMinute(activeLadder(recipe)) : 1,
    accelerated: variant?.accelerated ?? false,
    emergency: isEmergency(job),
    boostMs: 0,
    ...extra,
  };
}

/** Queued entries in the order the policy runs them (stable for equal keys). */
export function rankQueue(entries: readonly QueueEntry[], policy: SchedulerPolicy): QueueEntry[] {
  return entries
    .map((e, i) => ({ e, k: policy.rankKey(e), i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e);
}

export interface ScheduleOptions {
  /** Stop after passing over this many jobs that chose to wait (bounds the work per call). */
  maxSkips?: number;
  /**
   * Work-conserving: slots still free after the walk go to the jobs that chose to wait for a
   * busy faster pool, in rank order, rather than idle (a premium chunk starts on a CPU worker now
   * instead of waiting for a GPU while the CPU sits idle). Default on (what the AWS dispatch step
   * and the simulator run); `false` lets a fast-lane job wait for a busy faster pool while others idle.
   */
  workConserving?: boolean;
}

export interface ScheduleResult {
  dispatched: Dispatch[];
  /** Entries looked at and left queued, in rank order (callers that pop from a heap push these back). */
  skipped: QueueEntry[];
}

/**
 * Decide what runs next and where: walk the queue in rank order and give each job the pool its
 * policy chooses among those with a free slot, until no slot is free. Pure: `pools` is not
 * mutated (free counts are tracked on copies). `ordered` may be lazy (a heap being popped): it
 * is consumed only as far as needed.
 *
 * Entries that name `backends` only see those pools. Entries with `preferredBackends` (pipeline
 * tasks routed to a worker class) first choose among their preferred pools; when none of those
 * has a slot, they are set aside, and once the walk is over any slot still free goes to them in
 * rank order on another pool they can run on — an idle worker steals runnable work rather than
 * wait (work-conserving).
 */
export function schedule(ordered: Iterable<QueueEntry>, pools: readonly BackendPool[], now: number, policy: SchedulerPolicy, options: ScheduleOptions = {}): ScheduleResult {
  const maxSkips = options.maxSkips ?? 256;
  const live = pools.map((p) => ({ ...p }));
  let freeTotal = live.reduce((a, p) => a + Math.max(0, p.free), 0);
  const dispatched: Dispatch[] = [];
  const skipped: QueueEntry[] = [];
  const stealers: QueueEntry[] = [];
  if (freeTotal <= 0) return { dispatched, skipped };
  const take = (entry: QueueEntry, choice: { pool: BackendPool; speed: number; costUsd: number }) => {
    const pool = choice.pool;
    pool.free -= 1;
    pool.expectedFreeInSec = pool.free > 0 ? 0 : pool.expectedFreeInSec;
    freeTotal -= 1;
    const original = pools.find((p) => p.id === pool.id) ?? pool;
    dispatched.push({ entry, pool: original, speed: choice.speed, estCostUsd: choice.costUsd, reason: policy.reason(entry) });
  };
  for (const entry of ordered) {
    const preferred = entry.preferredBackends;
    let choice: ReturnType<SchedulerPolicy['choosePool']>;
    if (preferred) {
      const mine = live.filter((p) => preferred.includes(p.backend));
      choice = mine.some((p) => p.free > 0) ? policy.choosePool(entry, mine, now) : null;
      if (!choice && live.some((p) => p.free > 0 && !preferred.includes(p.backend) && (!entry.backends || entry.backends.includes(p.backend)))) {
        stealers.push(entry);
        if (stealers.length + skipped.length >= maxSkips) break;
        continue;
      }
    } else choice = policy.choosePool(entry, live, now);
    if (!choice) {
      skipped.push(entry);
      if (skipped.length + stealers.length >= maxSkips) break;
      continue;
    }
    take(entry, choice);
    if (freeTotal <= 0) break;
  }
  // An idle worker steals the runnable task it runs best relative to where that task would
  // rather run (a GPU takes an H.264 encode at NVENC speed before a QC task at its host CPU's);
  // rank breaks ties.
  const gain = (e: QueueEntry): number => {
    let here = 0;
    let home = 0;
    for (const p of live) {
      if (e.backends && !e.backends.includes(p.backend)) continue;
      const sp = speedOn(p, e);
      if (e.preferredBackends?.includes(p.backend)) home = Math.max(home, sp);
      else if (p.free > 0) here = Math.max(here, sp);
    }
    return home > 0 ? here / home : here;
  };
  const ranked = stealers.map((e, i) => ({ e, i, g: gain(e) })).sort((a, b) => b.g - a.g || a.i - b.i);
  for (const { e: entry } of ranked) {
    const choice = freeTotal > 0 ? policy.choosePool(entry, live, now) : null;
    if (choice) take(entry, choice);
    else skipped.push(entry);
  }
  if ((options.workConserving ?? true) && freeTotal > 0 && skipped.length > 0) {
    const waited = skipped.splice(0);
    for (const entry of waited) {
      // Only free pools are offered: nothing to wait for.
      const choice = freeTotal > 0 ? policy.choosePool(entry, live.filter((p) => p.free > 0), now) : null;
      if (choice) take(entry, choice);
      else skipped.push(entry);
    }
  }
  return { dispatched, skipped };
}
