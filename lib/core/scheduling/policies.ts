import { jobCostUsd, type MediaConvertTier } from '../cost';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from '../value';
import type { Backend, Job, Tier } from '../types';
import { TIERS, tierRank } from '../types';
import type { BackendPool, DispatchReason, QueueEntry, SchedulerPolicy } from './types';

const MIN = 60_000;
/** Rank of an emergency bump: before any realistic epoch-ms key. */
const EMERGENCY_BASE = -1e15;

/** The tier a job was scored into, before any aging promotion recorded on it. */
export function baseTier(job: Job): Tier {
  const aged = job.adjustments.find((a) => a.kind === 'aging');
  return aged?.fromTier ?? job.value?.tier ?? 'bulk';
}

/** Whether an emergency bump is in force on the job (a ValueAdjustment of kind `emergency`). */
export function isEmergency(job: Job): boolean {
  return job.adjustments.some((a) => a.kind === 'emergency');
}

/**
 * Bounded aging as a static offset: a job of tier T ranks as if it had been queued
 * `rank(T) × agingStepMinutes[T]` later than a critical job. With the default value policy a
 * premium job that has waited 30 min ranks with a fresh critical one, standard after 120 min, bulk
 * after 360 min — the same promotions `ageJob` applies one tier at a time, made continuous.
 * So a higher-tier job never waits behind a lower-tier one that has not already waited that long.
 */
export function agingOffsetMs(tier: Tier, policy: ValuePolicy = DEFAULT_VALUE_POLICY): number {
  return tierRank(tier) * policy.agingStepMinutes[tier] * MIN;
}

function costOn(pool: BackendPool, entry: QueueEntry, speed: number, mcTier?: MediaConvertTier): number {
  const pricing = pool.pricing.kind === 'mediaconvert' && mcTier ? { kind: 'mediaconvert' as const, tier: mcTier } : pool.pricing;
  return jobCostUsd(pricing, {
    contentSec: entry.contentSec,
    normalisedPerMinute: entry.normalisedPerMinute,
    slotSec: entry.workP50 / speed,
    accelerated: entry.accelerated && pool.acceleratedSpeed !== undefined,
  });
}

/** Speed of an entry on a pool: accelerated transcoding applies only where the pool offers it. */
export function speedOn(pool: BackendPool, entry: QueueEntry): number {
  const own = entry.speedOn?.[pool.backend];
  if (own !== undefined) return own;
  return entry.accelerated && pool.acceleratedSpeed ? pool.acceleratedSpeed : pool.speed;
}

/** Whether an entry can run on a pool (its `backends`, when it names any). */
export function canRunOn(pool: BackendPool, entry: QueueEntry): boolean {
  return !entry.backends || entry.backends.includes(pool.backend);
}

/** Fastest free pool (ties: cheapest). The natural backend choice of the baselines. */
function fastestFree(entry: QueueEntry, pools: readonly BackendPool[]): { pool: BackendPool; speed: number; costUsd: number } | null {
  let best: { pool: BackendPool; speed: number; costUsd: number } | null = null;
  for (const pool of pools) {
    if (pool.free <= 0 || !canRunOn(pool, entry)) continue;
    const speed = speedOn(pool, entry);
    const costUsd = costOn(pool, entry, speed, 'professional');
    if (!best || speed > best.speed || (speed === best.speed && costUsd < best.costUsd)) best = { pool, speed, costUsd };
  }
  return best;
}

/**
 * FIFO — the stock S3 → MediaConvert pipeline: one queue, priority 0, every job in arrival order
 (a retry keeps its place), the full ladder, MediaConvert Professional pricing.
 * Given the same fleet it takes the fastest free slot (a fair, not a strawman, dispatcher).
 */
export const fifoPolicy: SchedulerPolicy = {
  name: 'fifo',
  description: 'one queue, priority 0, arrival order (stock S3 → MediaConvert)',
  rankKey: (e) => e.queuedAt,
  reason: () => 'arrival',
  choosePool: (e, pools) => fastestFree(e, pools),
  managesDeadlines: false,
  admissionControl: false,
};

/** Strict tier priority: critical before premium before standard before bulk, FIFO within a tier; no aging. */
export const strictTierPolicy: SchedulerPolicy = {
  name: 'strict-tier',
  description: 'strict tier priority, FIFO within a tier, no aging',
  rankKey: (e) => (e.emergency ? EMERGENCY_BASE + e.queuedAt : tierRank(baseTier(e.job)) * 1e14 + e.queuedAt),
  reason: (e) => (e.emergency ? 'emergency' : 'priority'),
  choosePool: (e, pools) => fastestFree(e, pools),
  managesDeadlines: false,
  admissionControl: false,
};

/** Earliest deadline first across all tiers; fastest free slot. */
export const edfPolicy: SchedulerPolicy = {
  name: 'edf',
  description: 'earliest deadline first',
  rankKey: (e) => (e.emergency ? EMERGENCY_BASE + e.queuedAt : e.job.deadlineAt),
  reason: (e) => (e.emergency ? 'emergency' : 'deadline'),
  choosePool: (e, pools) => fastestFree(e, pools),
  managesDeadlines: false,
  admissionControl: false,
};

/** Tunables of the Marquee policy. */
export interface MarqueeOptions {
  valuePolicy: ValuePolicy;
  /** A job becomes urgent this long before its latest start (deadline − P90 work at reference speed). */
  urgencyLeadMinutes: number;
  /** Tiers that take the fastest slot (and wait briefly for one) rather than the cheapest. */
  fastLaneTiers: readonly Tier[];
  /** Share of each fast pool's slots kept for the fast lane (lower tiers may use them only for work shorter than `maxWaitForFasterSec`). */
  fastReserveShare: number;
  /**
   * Slots kept for the fast lane per pool id, overriding `fastReserveShare` for the pools named
   * (size it from the fast lane's arrival rate, e.g. `fastLaneReserve`, rather than a fixed share).
   */
  fastReserveSlots?: Readonly<Record<string, number>>;
  /**
   * Work-conserving fast lane: tiers outside the fast lane take a faster pool only when no slot of
   * the slowest pool they can run on is free (overflow), so fast slots go to premium first without
   * ever idling while work waits. Use with `fastReserveShare: 0`.
   */
  fastPoolsOverflowOnly?: boolean;
  /** Tiers that may borrow a reserved fast slot for work that frees it within `maxWaitForFasterSec`. */
  reserveLendTiers: readonly Tier[];
  /** A fast-lane job waits for a busy faster pool when the wait is at most this many seconds. */
  maxWaitForFasterSec: number;
  /**
   * Within a tier, a job ranks later by this many ms per reference second of its (critical-path)
   * P90 work, at most `sizeOffsetCapMinutes`: a short premium title is not stuck behind a season
   * drop of long ones queued a minute earlier. The cap keeps the order between tiers (it is below
   * the smallest aging step), and deadline urgency still lifts a long job at risk. 0 = off.
   */
  sizeOffsetMsPerWorkSec?: number;
  sizeOffsetCapMinutes?: number;
  /**
   * Express slots: on pools of these backends, the last ⌈share × slots⌉ free slots take only work
   * that frees them within `expressMaxRunSec` (P90 run on that pool), whatever its tier — an
   * express checkout, so a short premium title is not stuck behind a burst of long titles holding
   * every fast slot. Emergency and critical work is exempt. Not a reserve: any tier's short work
   * uses them, so at peak (where short work is always queued) they do not idle.
   */
  expressShare?: Partial<Record<Backend, number>>;
  expressMaxRunSec?: number;
  /** MediaConvert pricing tier by job tier (Basic has fewer features but costs less). */
  mediaConvertTier: Record<Tier, MediaConvertTier>;
  /** Safety margin before a deadline when judging whether a pool meets it, seconds. */
  deadlineMarginSec: number;
}

/**
 * Marquee's work-conserving options: no fast-lane reserve held idle. Lower tiers take a fast slot
 * only when every slot of the slowest pool they can run on is busy (overflow), so at peak every
 * slot works; premium latency comes from rank, the fast slots being theirs first, and (in the
 * simulator's pipeline runner) chunk parallelism. Within a tier, long titles rank up to 15 min
 * later (0.25 s per second of P90 work) so a burst of long titles does not hold up short ones.
 */
export const WORK_CONSERVING_MARQUEE: Partial<MarqueeOptions> = { fastReserveShare: 0, fastPoolsOverflowOnly: true, sizeOffsetMsPerWorkSec: 250, sizeOffsetCapMinutes: 15, maxWaitForFasterSec: 300 };

/**
 * The express lane: ⌈15 %⌉ of each GPU pool's slots (1 of the schedule bench's 6 GPU slots, 2 of
 * the AWS default's 8; never a pool's last general slot) take only work that frees them within 300 s — the
 * fast lane's wait bound (`maxWaitForFasterSec` of the work-conserving options), so a short
 * premium title waiting for one waits no longer than it would wait for any faster pool.
 */
export const EXPRESS_LANE: Partial<MarqueeOptions> = { expressShare: { 'batch-gpu': 0.15 }, expressMaxRunSec: 300 };

/**
 * The shipped Marquee configuration — what `marqueePolicy()` runs and what the AWS dispatch step,
 * the deadline watch, the local runtime, `marquee simulate` and the schedule/scale benches all
 * use: value priority with bounded aging, the work-conserving fast lane
 * (`WORK_CONSERVING_MARQUEE`) and the express GPU slot (`EXPRESS_LANE`). Pair it with
 * `DEFAULT_PREEMPTION` and `schedule`'s default (work-conserving) walk.
 */
export const DEFAULT_MARQUEE_OPTIONS: MarqueeOptions = {
  valuePolicy: DEFAULT_VALUE_POLICY,
  urgencyLeadMinutes: 20,
  fastLaneTiers: ['critical', 'premium'],
  fastReserveShare: 0,
  reserveLendTiers: ['bulk'],
  maxWaitForFasterSec: 300,
  mediaConvertTier: { critical: 'professional', premium: 'professional', standard: 'basic', bulk: 'basic' },
  deadlineMarginSec: 300,
  ...WORK_CONSERVING_MARQUEE,
  ...EXPRESS_LANE,
};

/**
 * The earlier design, kept as a bench ablation (`marquee-reserve30-monolithic`, `simulate
 * --classic`): 30 % of each fast pool held for the fast lane (bulk may borrow it for work that
 * frees it within 120 s), lower tiers on the cheapest pool that meets the deadline, a 120 s wait
 * for a busy faster pool, no size offset, no express slot.
 */
export const RESERVE_MARQUEE: Partial<MarqueeOptions> = { fastReserveShare: 0.3, fastPoolsOverflowOnly: false, maxWaitForFasterSec: 120, sizeOffsetMsPerWorkSec: 0, sizeOffsetCapMinutes: 0, expressShare: {}, expressMaxRunSec: Infinity };

/**
 * Shipped options without the express lane (bench ablations). Both settings go: `expressMaxRunSec`
 * alone still keeps work longer than it from waiting for a busy pool (`expressBars`).
 */
export const NO_EXPRESS_LANE: Partial<MarqueeOptions> = { expressShare: {}, expressMaxRunSec: Infinity };

/**
 * Marquee: value priority with bounded aging, deadline urgency and emergency bumps folded into one
 * static rank key, and value- and cost-aware backend choice.
 *
 * rank = max(min(queuedAt + agingOffset(tier), latestStart − urgencyLead) − boost,
 *            queuedAt + agingOffset(tier above)), where latestStart = deadline − P90 work at
 * reference speed: urgency and deadline boosts lift a job by at most one tier. Emergency bumps
 * rank before everything.
 *
 * Backend: the fast lane (critical, premium, emergency, urgent or boosted jobs) takes the pool
 * that finishes it first — waiting up to `maxWaitForFasterSec` for a busy faster one. Everything
 * else takes the cheapest pool that still meets its deadline; with the shipped options
 * (`DEFAULT_MARQUEE_OPTIONS`) only the slowest pool it can run on unless that one is full
 * (overflow), with `RESERVE_MARQUEE` leaving `fastReserveShare` of each fast pool to the fast lane.
 */
export function marqueePolicy(options: Partial<MarqueeOptions> = {}): SchedulerPolicy {
  const o: MarqueeOptions = { ...DEFAULT_MARQUEE_OPTIONS, ...options };
  const lead = o.urgencyLeadMinutes * MIN;
  const latestStart = (e: QueueEntry) => e.job.deadlineAt - (e.jobWorkP90 ?? e.workP90) * 1000 - lead;
  const reserveOf = (pool: BackendPool) => o.fastReserveSlots?.[pool.id] ?? Math.ceil(pool.slots * o.fastReserveShare);
  const sizeCap = (o.sizeOffsetCapMinutes ?? 0) * MIN;
  const sizeOffset = (e: QueueEntry) => (o.sizeOffsetMsPerWorkSec ? Math.min(sizeCap, o.sizeOffsetMsPerWorkSec * (e.jobWorkP90 ?? e.workP90)) : 0);
  const baseAged = (e: QueueEntry) => e.queuedAt + agingOffsetMs(baseTier(e.job), o.valuePolicy);
  const agedKey = (e: QueueEntry) => baseAged(e) + sizeOffset(e);
  const reason = (e: QueueEntry): DispatchReason => {
    if (e.emergency) return 'emergency';
    if (e.boostMs > 0) return 'boosted';
    return latestStart(e) < baseAged(e) ? 'urgent' : 'priority';
  };
  const fastLane = (e: QueueEntry) => {
    const r = reason(e);
    return r !== 'priority' || o.fastLaneTiers.includes(baseTier(e.job));
  };
  // A pool keeps at least one general slot: a 1-slot GPU pool (a small AWS CAPACITY) all express
  // would never run a long title.
  const expressOf = (pool: BackendPool) => {
    const share = o.expressShare?.[pool.backend];
    return share ? Math.min(Math.ceil(pool.slots * share), pool.slots - 1) : 0;
  };
  const expressMax = o.expressMaxRunSec ?? Infinity;
  /** Work too long for the pool's express slots, when only those are free (or none is). */
  const expressBars = (pool: BackendPool, e: QueueEntry, run: number) => run > expressMax && pool.free <= expressOf(pool) && !e.emergency && baseTier(e.job) !== 'critical';
  return {
    name: 'marquee',
    description: 'value priority with bounded aging, deadline urgency, emergency bumps; value- and cost-aware backend',
    rankKey(e) {
      if (e.emergency) return EMERGENCY_BASE + e.queuedAt;
      const tier = baseTier(e.job);
      const raw = Math.min(agedKey(e), latestStart(e)) - e.boostMs;
      if (tier === 'critical') return raw;
      // Urgency and deadline boosts lift a job by at most one tier: it can rank with the tier
      // above queued at the same moment, never past more valuable work that was already waiting.
      const above = TIERS[tierRank(tier) - 1]!;
      return Math.max(raw, e.queuedAt + agingOffsetMs(above, o.valuePolicy));
    },
    reason,
    choosePool(e, pools, now) {
      const tier = baseTier(e.job);
      const mcTier = e.accelerated ? 'professional' : o.mediaConvertTier[tier];
      if (e.pinnedPool) {
        const pinned = pools.find((p) => p.id === e.pinnedPool && canRunOn(p, e));
        if (pinned && pinned.free > 0) {
          const speed = speedOn(pinned, e);
          return { pool: pinned, speed, costUsd: costOn(pinned, e, speed, mcTier) };
        }
        if (pinned) return null;
      }
      if (fastLane(e)) {
        let best: { pool: BackendPool; speed: number; costUsd: number; finish: number } | null = null;
        let bestBusyFinish = Infinity;
        for (const pool of pools) {
          if (!canRunOn(pool, e)) continue;
          const speed = speedOn(pool, e);
          const run = e.workP90 / speed;
          if (expressBars(pool, e, run)) continue;
          if (pool.free <= 0) {
            // Wait for a busy faster pool only while the job's total wait stays within the bound
            // (a slot's predicted end can be wrong; the wait must not be).
            const wait = pool.expectedFreeInSec ?? Infinity;
            if (wait <= o.maxWaitForFasterSec && (now - e.queuedAt) / 1000 + wait <= o.maxWaitForFasterSec) bestBusyFinish = Math.min(bestBusyFinish, wait + run);
            continue;
          }
          const costUsd = costOn(pool, e, speed, mcTier);
          if (!best || run < best.finish || (run === best.finish && costUsd < best.costUsd)) best = { pool, speed, costUsd, finish: run };
        }
        if (!best || bestBusyFinish < best.finish) return null;
        return { pool: best.pool, speed: best.speed, costUsd: best.costUsd };
      }
      let slowest = Infinity;
      for (const p of pools) if (canRunOn(p, e)) slowest = Math.min(slowest, speedOn(p, e));
      const slowFree = o.fastPoolsOverflowOnly === true && pools.some((p) => p.free > 0 && canRunOn(p, e) && speedOn(p, e) <= slowest);
      let cheapestOk: { pool: BackendPool; speed: number; costUsd: number } | null = null;
      let fastest: { pool: BackendPool; speed: number; costUsd: number } | null = null;
      const budgetSec = (e.job.deadlineAt - now) / 1000 - o.deadlineMarginSec;
      for (const pool of pools) {
        if (pool.free <= 0 || !canRunOn(pool, e)) continue;
        const speed = speedOn(pool, e);
        if (slowFree && speed > slowest) continue;
        if (expressBars(pool, e, e.workP90 / speed)) continue;
        // The fast lane's reserve lends slots to bulk work that frees them within the fast lane's
        // wait bound: utilisation without delaying premium or speeding standard past its lane.
        if (speed > slowest && pool.free <= reserveOf(pool) && !(o.reserveLendTiers.includes(tier) && e.workP90 / speed <= o.maxWaitForFasterSec)) continue;
        const costUsd = costOn(pool, e, speed, mcTier);
        const cand = { pool, speed, costUsd };
        if (e.workP90 / speed <= budgetSec && (!cheapestOk || costUsd < cheapestOk.costUsd)) cheapestOk = cand;
        if (!fastest || speed > fastest.speed) fastest = cand;
      }
      return cheapestOk ?? fastest;
    },
    managesDeadlines: true,
    admissionControl: true,
  };
}

/** The policies the simulator and benchmarks compare, by name. */
export const POLICY_NAMES = ['fifo', 'strict-tier', 'edf', 'marquee'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function policyByName(name: PolicyName, marquee: Partial<MarqueeOptions> = {}): SchedulerPolicy {
  switch (name) {
    case 'fifo':
      return fifoPolicy;
    case 'strict-tier':
      return strictTierPolicy;
    case 'edf':
      return edfPolicy;
    case 'marquee':
      return marqueePolicy(marquee);
  }
}
