import type { BusinessMetadata, Job, PriorityLevers, Tier, ValueAdjustment, ValueScore } from '../types';
import { TIERS, tierRank } from '../types';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from './policy';

export { DEFAULT_VALUE_POLICY, parseValuePolicy, valuePolicySchema, type ValuePolicy, type ValuePolicyOverride, type ValueWeights } from './policy';

const MIN = 60_000;

/** The tier a score falls in under the policy's thresholds. */
export function tierForScore(score: number, policy: ValuePolicy = DEFAULT_VALUE_POLICY): Tier {
  if (score >= policy.thresholds.critical) return 'critical';
  if (score >= policy.thresholds.premium) return 'premium';
  if (score >= policy.thresholds.standard) return 'standard';
  return 'bulk';
}

/** Lever bands per tier: MediaConvert priority −50..50 and Batch priority 0..9999 never overlap across tiers. */
const BANDS: Record<Tier, { mc: [number, number]; batch: [number, number]; rungSet: PriorityLevers['rungSet']; qualityLevel: number }> = {
  critical: { mc: [35, 50], batch: [7500, 9999], rungSet: 'full', qualityLevel: 9 },
  premium: { mc: [10, 34], batch: [5000, 7499], rungSet: 'full', qualityLevel: 8 },
  standard: { mc: [-15, 9], batch: [2500, 4999], rungSet: 'core', qualityLevel: 7 },
  bulk: { mc: [-50, -16], batch: [0, 2499], rungSet: 'minimal', qualityLevel: 7 },
};

/** Score range of a tier under the policy, [low, high). */
function scoreBand(tier: Tier, policy: ValuePolicy): [number, number] {
  const t = policy.thresholds;
  switch (tier) {
    case 'critical':
      return [t.critical, 100];
    case 'premium':
      return [t.premium, t.critical];
    case 'standard':
      return [t.standard, t.premium];
    case 'bulk':
      return [0, t.standard];
  }
}

/**
 * Concrete levers for a tier and score: the queue is the tier; MediaConvert priority (−50..50) and
 * Batch priority (0..9999) lie in the tier's band, placed within it by where the score sits in the
 * tier's score range (a job promoted by aging or a bump, whose score lies below its tier's range,
 * goes to the bottom of the band: ahead of every lower tier, behind jobs that earned the tier).
 * Rung set and QVBR quality level follow the tier.
 */
export function leversFor(tier: Tier, score: number, policy: ValuePolicy = DEFAULT_VALUE_POLICY): PriorityLevers {
  const band = BANDS[tier];
  const [lo, hi] = scoreBand(tier, policy);
  const s = Number.isFinite(score) ? score : 0;
  const pos = Math.max(0, Math.min(1, (s - lo) / Math.max(1e-9, hi - lo)));
  const lerp = ([a, b]: [number, number]) => Math.round(a + pos * (b - a));
  return { queue: tier, rungSet: band.rungSet, qualityLevel: band.qualityLevel, mediaConvertPriority: lerp(band.mc), batchPriority: lerp(band.batch) };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Score an upload's business value (0..100) into a tier. Components: creator status, expected
 * views on a log scale (capped), monetisation, premium, trending (0..1) and — when `now` is given —
 * freshness: a deadline that is due now earns the full freshness weight, one at the policy's
 * horizon or later earns nothing. Non-finite or out-of-range inputs count as 0 (metadata is
 * validated at the boundary; this is a second line).
 */
export function scoreValue(meta: BusinessMetadata, policy: ValuePolicy = DEFAULT_VALUE_POLICY, now?: number): ValueScore {
  const w = policy.weights;
  const views = Number.isFinite(meta.expectedViews) ? Math.max(0, meta.expectedViews) : 0;
  const trending = Number.isFinite(meta.trending) ? Math.max(0, Math.min(1, meta.trending ?? 0)) : 0;
  let freshness = 0;
  if (now !== undefined && meta.deadlineAt !== undefined && Number.isFinite(meta.deadlineAt)) {
    const leftMin = (meta.deadlineAt - now) / MIN;
    freshness = w.freshness * Math.max(0, Math.min(1, 1 - leftMin / policy.freshnessHorizonMinutes));
  }
  const components: Record<string, number> = {
    creator: w.creator[meta.creatorTier] ?? 0,
    views: round2(Math.min(w.viewsCap, Math.log10(1 + views) * w.viewsPerDecade)),
    monetized: meta.monetized ? w.monetized : 0,
    premium: meta.premium ? w.premium : 0,
    trending: round2(trending * w.trending),
    freshness: round2(freshness),
  };
  const score = round2(Math.min(100, Object.values(components).reduce((a, b) => a + b, 0)));
  const tier = tierForScore(score, policy);
  return { score, tier, components, levers: leversFor(tier, score, policy), policyVersion: policy.version };
}

/** Longest time (minutes) a job of `tier` waits behind higher tiers before aging makes it critical. */
export function agingBoundMinutes(tier: Tier, policy: ValuePolicy = DEFAULT_VALUE_POLICY): number {
  return tierRank(tier) * policy.agingStepMinutes[tier];
}

/**
 * The tier aging starts from: the tier set by the latest non-aging adjustment (a bump or a signal
 * update), else the tier before the first aging promotion, else the scored tier.
 */
export function agingBaseTier(job: Job): Tier | undefined {
  const latestOther = [...job.adjustments].reverse().find((a) => a.kind !== 'aging');
  if (latestOther) return latestOther.toTier;
  return job.adjustments.find((a) => a.kind === 'aging')?.fromTier ?? job.value?.tier;
}

/**
 * Apply aging to a queued job: from its base tier, it is promoted one tier for every
 * `agingStepMinutes[base]` waited since `queuedAt`, so after `agingBoundMinutes(base)` it is critical
 * and no longer waits behind any higher tier. Aging never demotes and is idempotent (calling it again
 * at the same time changes nothing). Records a ValueAdjustment (by `scheduler`) when the tier changes.
 */
export function ageJob(job: Job, queuedAt: number, now: number, policy: ValuePolicy = DEFAULT_VALUE_POLICY): Job {
  const value = job.value;
  const base = agingBaseTier(job);
  if (!value || !base) return job;
  const step = policy.agingStepMinutes[base];
  if (!(step > 0) || !(now > queuedAt)) return job;
  const waitedMin = (now - queuedAt) / MIN;
  const steps = Math.floor(waitedMin / step);
  const target = TIERS[Math.max(0, tierRank(base) - steps)]!;
  if (tierRank(target) >= tierRank(value.tier)) return job;
  const adjustment: ValueAdjustment = {
    at: now,
    kind: 'aging',
    by: 'scheduler',
    reason: `waited ${Math.round(waitedMin)} min in queue as ${base} (one tier per ${step} min; bound ${agingBoundMinutes(base, policy)} min)`,
    fromScore: value.score,
    toScore: value.score,
    fromTier: value.tier,
    toTier: target,
  };
  return {
    ...job,
    updatedAt: Math.max(job.updatedAt, now),
    value: { ...value, tier: target, levers: leversFor(target, value.score, policy) },
    adjustments: [...job.adjustments, adjustment],
  };
}

/** Updated platform signals for a job in flight. */
export interface SignalUpdate {
  expectedViews?: number;
  trending?: number;
}

/**
 * Re-score a job from updated viewership or trending signals. The tier follows the new score (it may
 * fall as well as rise) but never drops below an emergency bump in force. When the tier rises and the
 * upload carried no deadline of its own, the deadline tightens to the new tier's default turnaround.
 * Records one ValueAdjustment (`trending` when the trending signal changed, else `viewership`).
 */
export function updateSignals(job: Job, update: SignalUpdate, now: number, by: string, policy: ValuePolicy = DEFAULT_VALUE_POLICY): Job {
  const value = job.value;
  if (!value) return job;
  const metadata: BusinessMetadata = { ...job.metadata };
  const changed: string[] = [];
  if (update.expectedViews !== undefined && Number.isFinite(update.expectedViews) && update.expectedViews !== job.metadata.expectedViews) {
    metadata.expectedViews = Math.max(0, Math.min(1e11, update.expectedViews));
    changed.push(`expected views ${job.metadata.expectedViews} → ${metadata.expectedViews}`);
  }
  const trendingChanged = update.trending !== undefined && Number.isFinite(update.trending) && update.trending !== job.metadata.trending;
  if (trendingChanged) {
    metadata.trending = Math.max(0, Math.min(1, update.trending!));
    changed.push(`trending ${job.metadata.trending ?? 0} → ${metadata.trending}`);
  }
  if (changed.length === 0) return job;
  const rescored = scoreValue(metadata, policy, now);
  const bump = [...job.adjustments].reverse().find((a) => a.kind === 'emergency');
  const tier = bump && tierRank(bump.toTier) < tierRank(rescored.tier) ? bump.toTier : rescored.tier;
  const adjustment: ValueAdjustment = {
    at: now,
    kind: trendingChanged ? 'trending' : 'viewership',
    by,
    reason: changed.join('; '),
    fromScore: value.score,
    toScore: rescored.score,
    fromTier: value.tier,
    toTier: tier,
  };
  let deadlineAt = job.deadlineAt;
  if (job.metadata.deadlineAt === undefined && tierRank(tier) < tierRank(value.tier))
    deadlineAt = Math.min(job.deadlineAt, job.createdAt + policy.defaultDeadlineMinutes[tier] * MIN);
  return {
    ...job,
    metadata,
    deadlineAt,
    updatedAt: Math.max(job.updatedAt, now),
    value: { ...rescored, tier, levers: leversFor(tier, rescored.score, policy) },
    adjustments: [...job.adjustments, adjustment],
  };
}

/** An operator's emergency bump (the priority API's `POST /jobs/{id}/escalate`). */
export interface Escalation {
  /** Tier to raise the job to; default critical. A bump never lowers a tier. */
  tier?: Tier;
  /** New deadline (epoch ms); only ever brings the deadline forward. */
  deadlineAt?: number;
  reason: string;
  /** Who asked (IAM principal, operator name). */
  by: string;
}

/**
 * Emergency bump: raise the job to the requested tier (default critical) with a score at least that
 * tier's threshold, optionally bring its deadline forward, and record who and why. The reason and
 * principal are sanitised (control characters removed, length capped) since they come from an API.
 */
export function escalate(job: Job, esc: Escalation, now: number, policy: ValuePolicy = DEFAULT_VALUE_POLICY): Job {
  const value = job.value;
  const requested = esc.tier ?? 'critical';
  // eslint-disable-next-line no-control-regex -- stripping control characters from API input
  const clean = (s: string, max: number) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, max);
  const deadlineAt = esc.deadlineAt !== undefined && Number.isFinite(esc.deadlineAt) ? Math.min(job.deadlineAt, esc.deadlineAt) : job.deadlineAt;
  if (!value) return { ...job, deadlineAt, updatedAt: Math.max(job.updatedAt, now) };
  const tier = tierRank(requested) < tierRank(value.tier) ? requested : value.tier;
  const floor = tier === 'bulk' ? 0 : policy.thresholds[tier];
  const score = Math.max(value.score, floor);
  const adjustment: ValueAdjustment = {
    at: now,
    kind: 'emergency',
    by: clean(esc.by, 200) || 'unknown',
    reason: clean(esc.reason, 500) || 'no reason given',
    fromScore: value.score,
    toScore: score,
    fromTier: value.tier,
    toTier: tier,
  };
  return {
    ...job,
    deadlineAt,
    updatedAt: Math.max(job.updatedAt, now),
    value: { ...value, score, tier, levers: leversFor(tier, score, policy) },
    adjustments: [...job.adjustments, adjustment],
  };
}
