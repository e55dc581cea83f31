import type { BusinessMetadata, Job, PriorityLevers, Tier, ValueScore } from '../types';
import { TIERS, tierRank } from '../types';

/**
 * Value policy: weights of each business signal and the score thresholds of each tier.
 * v0 — the value-prioritisation issue deepens this (validation, aging, bumps).
 */
export interface ValuePolicy {
  version: string;
  /** Minimum score for each tier; anything below `standard` is bulk. */
  thresholds: { critical: number; premium: number; standard: number };
  /** Default turnaround per tier when the upload carries no deadline, in minutes. */
  defaultDeadlineMinutes: Record<Tier, number>;
  /**
   * Aging: a queued job is promoted one tier for every `agingStepMinutes[tier]` it has waited,
   * so no job waits longer than that behind a higher tier.
   */
  agingStepMinutes: Record<Tier, number>;
}

export const DEFAULT_VALUE_POLICY: ValuePolicy = {
  version: 'v0',
  thresholds: { critical: 85, premium: 60, standard: 30 },
  defaultDeadlineMinutes: { critical: 30, premium: 120, standard: 480, bulk: 1440 },
  agingStepMinutes: { critical: 0, premium: 30, standard: 60, bulk: 120 },
};

const CREATOR_POINTS = { new: 0, regular: 10, partner: 25, star: 40 } as const;

export function tierForScore(score: number, policy: ValuePolicy): Tier {
  if (score >= policy.thresholds.critical) return 'critical';
  if (score >= policy.thresholds.premium) return 'premium';
  if (score >= policy.thresholds.standard) return 'standard';
  return 'bulk';
}

export function leversFor(tier: Tier, score: number): PriorityLevers {
  const base: Record<Tier, Omit<PriorityLevers, 'mediaConvertPriority' | 'batchPriority'>> = {
    critical: { queue: 'critical', rungSet: 'full', qualityLevel: 9 },
    premium: { queue: 'premium', rungSet: 'full', qualityLevel: 8 },
    standard: { queue: 'standard', rungSet: 'core', qualityLevel: 7 },
    bulk: { queue: 'bulk', rungSet: 'minimal', qualityLevel: 7 },
  };
  return {
    ...base[tier],
    mediaConvertPriority: Math.round(score - 50),
    batchPriority: Math.round(score * 100),
  };
}

/** Score an upload's business value (0..100) into a tier. */
export function scoreValue(meta: BusinessMetadata, policy: ValuePolicy = DEFAULT_VALUE_POLICY): ValueScore {
  const components = {
    creator: CREATOR_POINTS[meta.creatorTier],
    views: Math.min(30, Math.log10(1 + Math.max(0, meta.expectedViews)) * 5),
    monetized: meta.monetized ? 10 : 0,
    premium: meta.premium ? 20 : 0,
    trending: (meta.trending ?? 0) * 10,
  };
  const score = Math.min(100, Object.values(components).reduce((a, b) => a + b, 0));
  const tier = tierForScore(score, policy);
  return { score, tier, components, levers: leversFor(tier, score), policyVersion: policy.version };
}

/**
 * Apply aging to a queued job: promote it one tier per aging step waited since `queuedAt`.
 * Records a ValueAdjustment when the tier changes; returns the job unchanged otherwise.
 */
export function ageJob(job: Job, queuedAt: number, now: number, policy: ValuePolicy = DEFAULT_VALUE_POLICY): Job {
  const value = job.value;
  if (!value) return job;
  const base = job.adjustments.find((a) => a.kind === 'aging')?.fromTier ?? value.tier;
  const step = policy.agingStepMinutes[base];
  if (!(step > 0)) return job;
  const steps = Math.floor((now - queuedAt) / (step * 60_000));
  const target = TIERS[Math.max(0, tierRank(base) - steps)]!;
  if (tierRank(target) >= tierRank(value.tier)) return job;
  const adjustment = {
    at: now,
    kind: 'aging' as const,
    by: 'scheduler',
    reason: `waited ${Math.round((now - queuedAt) / 60_000)} min (aging step ${step} min)`,
    fromScore: value.score,
    toScore: value.score,
    fromTier: value.tier,
    toTier: target,
  };
  return { ...job, value: { ...value, tier: target, levers: leversFor(target, value.score) }, adjustments: [...job.adjustments, adjustment] };
}
