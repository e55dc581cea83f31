import type { Tier } from '../types';
import { baseTier, canRunOn, speedOn } from './policies';
import type { BackendPool, Dispatch, QueueEntry, SchedulerPolicy } from './types';

/** A task running on a slot, as preemption sees it. */
export interface RunningSlot {
  /** Caller's handle for the task. */
  id: string;
  poolId: string;
  /** Tier the task's job was scored into (before aging). */
  tier: Tier;
  startedAt: number;
  /** Whether the task's job is urgent, boosted or bumped (never preempted). */
  protected: boolean;
  /** Times the task's job has been preempted already. */
  preemptions: number;
}

/** Bounded preemption: a fast-lane job may take a fast slot from young lower-tier overflow work. */
export interface PreemptionOptions {
  /** Tiers that may preempt. */
  tiers: readonly Tier[];
  /** Tiers that may be preempted. */
  victimTiers: readonly Tier[];
  /** Only a task started at most this long ago is preempted: the work thrown away is bounded. */
  maxLostSec: number;
  /** A job is preempted at most this many times. */
  maxPreemptionsPerJob: number;
  /** The fast slot must run the job at least this many times faster than the slot it would get. */
  minSpeedup: number;
  /**
   * Waiting preemption: a queued fast-lane task whose job has waited longer than this many seconds
   * per content minute of its title (at least `minWaitSec`), with no slot free for it, takes one
   * from an eligible victim on a pool `minSpeedup` × faster than the slowest it can run on (taking
   * a slow slot from other work rarely beats waiting for a fast one). The budget scales with the
   * title because the fast lane's goal is turnaround per content minute. Off when absent.
   */
  waitSecPerContentMin?: number;
  minWaitSec?: number;
}

/**
 * Critical/premium may preempt standard/bulk work younger than 3 min, once per job, for a ≥ 2x
 * faster slot: when about to start on a slow slot, or when still queued after 10 s per content
 * minute of the title (at least 15 s; a sixth of the ≈ 1 min per content minute the fast lane
 * aims for).
 */
export const DEFAULT_PREEMPTION: PreemptionOptions = { tiers: ['critical', 'premium'], victimTiers: ['standard', 'bulk'], maxLostSec: 180, maxPreemptionsPerJob: 1, minSpeedup: 2, waitSecPerContentMin: 10, minWaitSec: 15 };

/**
 * When a queued entry may preempt because it has waited past its budget (epoch ms; Infinity when
 * waiting preemption is off or the entry's tier may not preempt). Static per entry, so a caller
 * can keep a timer or a heap on it.
 */
export function waitingPreemptionAt(entry: QueueEntry, options: PreemptionOptions = DEFAULT_PREEMPTION): number {
  if (options.waitSecPerContentMin === undefined) return Infinity;
  if (!entry.emergency && !options.tiers.includes(baseTier(entry.job))) return Infinity;
  const budgetSec = Math.max(options.minWaitSec ?? 0, (options.waitSecPerContentMin * entry.contentSec) / 60);
  return entry.queuedAt + budgetSec * 1000;
}

/**
 * Should a fast-lane entry that is about to run on a slow slot (`onSpeed`; for an entry with no
 * slot that has waited past `waitingPreemptionAt`, the slowest pool it can run on) take a slot
 * instead from a lower-tier task
 * that started less than `maxLostSec` ago, on a pool at least `minSpeedup` × faster? The victim
 * is on the fastest such pool, the youngest there. Returns the victim and its pool, or null.
 * Pure; the caller requeues the victim (it keeps its place in the queue, and is not charged an
 * attempt) and records why.
 */
export function choosePreemption(entry: QueueEntry, onSpeed: number, running: readonly RunningSlot[], pools: readonly BackendPool[], now: number, options: PreemptionOptions = DEFAULT_PREEMPTION): { victim: RunningSlot; pool: BackendPool } | null {
  if (!entry.emergency && !options.tiers.includes(baseTier(entry.job))) return null;
  let best: { victim: RunningSlot; pool: BackendPool; speed: number } | null = null;
  for (const r of running) {
    if (r.protected || r.preemptions >= options.maxPreemptionsPerJob || !options.victimTiers.includes(r.tier)) continue;
    if (now - r.startedAt > options.maxLostSec * 1000) continue;
    const pool = pools.find((p) => p.id === r.poolId);
    if (!pool || (entry.backends && !entry.backends.includes(pool.backend))) continue;
    const speed = speedOn(pool, entry);
    if (speed < options.minSpeedup * onSpeed) continue;
    if (!best || speed > best.speed || (speed === best.speed && r.startedAt > best.victim.startedAt)) best = { victim: r, pool, speed };
  }
  return best && { victim: best.victim, pool: best.pool };
}

/** One preemption decided for a dispatch round: `entry` runs on `pool` in place of `victim`. */
export interface PreemptionPick {
  entry: QueueEntry;
  victim: RunningSlot;
  pool: BackendPool;
  speed: number;
  costUsd: number;
  /** `at-start`: the entry was about to start on a slow slot (`replaces` that dispatch); `waiting`: it had no slot and waited past its budget. */
  rule: 'at-start' | 'waiting';
  replaces?: Dispatch;
}

/** What a dispatcher knows after one `schedule` round. */
export interface PreemptionRound {
  /** What `schedule` dispatched this round. */
  dispatched: readonly Dispatch[];
  /** Entries left queued, in rank order. */
  waiting: readonly QueueEntry[];
  /** Tasks running now (before this round's dispatches). */
  running: readonly RunningSlot[];
  /** Pools as `schedule` saw them (free counts before this round). */
  pools: readonly BackendPool[];
  policy: SchedulerPolicy;
  now: number;
  options?: PreemptionOptions;
}

/**
 * Bounded preemption over one dispatch round, as a dispatcher that lists its running work applies
 * it (the AWS dispatch step; the simulator applies the same two rules task by task): a fast-lane
 * entry about to start on a slow slot takes a slot from a young lower-tier task on a pool
 * `minSpeedup` × faster (`choosePreemption`); a fast-lane entry left with no free slot it can run
 * on, queued past `waitingPreemptionAt`, takes one on a pool `minSpeedup` × faster than the
 * slowest it can run on, if the policy would run it there. Victims are taken only on pools left
 * full by the round, each at most once; a pinned entry only preempts on its pinned pool. Pure: the
 * caller cancels the victims, requeues them (no attempt charged) and records why.
 */
export function planPreemptions(round: PreemptionRound): PreemptionPick[] {
  const { dispatched, waiting, pools, policy, now } = round;
  const options = round.options ?? DEFAULT_PREEMPTION;
  const free = new Map(pools.map((p) => [p.id, p.free]));
  for (const d of dispatched) free.set(d.pool.id, (free.get(d.pool.id) ?? 0) - 1);
  let candidates = round.running.filter((r) => (free.get(r.poolId) ?? 0) <= 0);
  const poolsFor = (e: QueueEntry) => (e.pinnedPool ? pools.filter((p) => p.id === e.pinnedPool) : pools);
  const picks: PreemptionPick[] = [];
  const take = (pick: PreemptionPick) => {
    picks.push(pick);
    candidates = candidates.filter((r) => r !== pick.victim);
  };
  for (const d of dispatched) {
    if (candidates.length === 0) break;
    const pick = choosePreemption(d.entry, d.speed, candidates, poolsFor(d.entry), now, options);
    if (pick) take({ entry: d.entry, victim: pick.victim, pool: pick.pool, speed: speedOn(pick.pool, d.entry), costUsd: d.estCostUsd, rule: 'at-start', replaces: d });
  }
  for (const e of waiting) {
    if (candidates.length === 0) break;
    if (now < waitingPreemptionAt(e, options)) continue;
    // A free slot it can run on: it gets one next round, or chose to wait for a faster pool.
    if (pools.some((p) => (free.get(p.id) ?? 0) > 0 && canRunOn(p, e))) continue;
    let slowest = Infinity;
    for (const p of pools) if (p.slots > 0 && canRunOn(p, e)) slowest = Math.min(slowest, speedOn(p, e));
    const pick = choosePreemption(e, slowest, candidates, poolsFor(e), now, options);
    if (!pick) continue;
    const choice = policy.choosePool(e, [{ ...pick.pool, free: 1, expectedFreeInSec: 0 }], now);
    if (choice) take({ entry: e, victim: pick.victim, pool: pick.pool, speed: choice.speed, costUsd: choice.costUsd, rule: 'waiting' });
  }
  return picks;
}
