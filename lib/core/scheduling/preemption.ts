import type { Tier } from '../types';
import { baseTier, speedOn } from './policies';
import type { BackendPool, QueueEntry } from './types';

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
}

/** Critical/premium may preempt standard/bulk work younger than 3 min, once per job, for a ≥ 2x faster slot. */
export const DEFAULT_PREEMPTION: PreemptionOptions = { tiers: ['critical', 'premium'], victimTiers: ['standard', 'bulk'], maxLostSec: 180, maxPreemptionsPerJob: 1, minSpeedup: 2 };

/**
 * Should a fast-lane entry that is about to run on a slow slot (`onSpeed`) take a faster pool's
 * slot instead, from the youngest lower-tier task that started there less than `maxLostSec` ago?
 * Returns the victim and its pool, or null. Pure; the caller requeues the victim (it keeps its
 * place in the queue) and records why.
 */
export function choosePreemption(entry: QueueEntry, onSpeed: number, running: readonly RunningSlot[], pools: readonly BackendPool[], now: number, options: PreemptionOptions = DEFAULT_PREEMPTION): { victim: RunningSlot; pool: BackendPool } | null {
  if (!entry.emergency && !options.tiers.includes(baseTier(entry.job))) return null;
  let best: { victim: RunningSlot; pool: BackendPool } | null = null;
  for (const r of running) {
    if (r.protected || r.preemptions >= options.maxPreemptionsPerJob || !options.victimTiers.includes(r.tier)) continue;
    if (now - r.startedAt > options.maxLostSec * 1000) continue;
    const pool = pools.find((p) => p.id === r.poolId);
    if (!pool || (entry.backends && !entry.backends.includes(pool.backend))) continue;
    if (speedOn(pool, entry) < options.minSpeedup * onSpeed) continue;
    if (!best || r.startedAt > best.victim.startedAt) best = { victim: r, pool };
  }
  return best;
}
