import type { Tier } from '../types';
import { baseTier } from './policies';
import type { QueueEntry } from './types';

/** When the backlog grows past what capacity can clear in time, which tiers are degraded and when. */
export interface AdmissionPolicy {
  /**
   * A job of this tier is admitted at a faster variant when the backlog would take more than this
   * share of its deadline budget to clear. Tiers absent here are never degraded at admission
   * (deadline management still protects them individually).
   */
  degradeAtBacklogShare: Partial<Record<Tier, number>>;
  /** Variant level used to degrade (the first faster variant by default). */
  degradeToLevel: number;
}

/** Degrade bulk first (backlog past 50% of its deadline), then standard (past 90%); never premium or critical. */
export const DEFAULT_ADMISSION: AdmissionPolicy = {
  degradeAtBacklogShare: { bulk: 0.5, standard: 0.9 },
  degradeToLevel: 1,
};

/** The load figures admission control needs: queued plus running work and the fleet's throughput. */
export interface LoadSnapshot {
  /** Reference slot-seconds of work queued or running. */
  backlogWorkSec: number;
  /** Reference slot-seconds the fleet completes per second (Σ slots × speed). */
  capacityPerSec: number;
  /**
   * Work queued at or above each tier (what a job of that tier waits behind). When given, a tier's
   * clearing time uses it instead of the whole backlog, so bulk (which waits behind everything) is
   * degraded before standard.
   */
  backlogAtOrAboveSec?: Partial<Record<Tier, number>>;
}

export type AdmissionDecision =
  | { admit: 'as-planned' }
  | { admit: 'degraded'; level: number; reason: string };

/**
 * Admission control when capacity is exceeded: if the backlog takes longer to clear than a tier
 * can afford, admit the job at a faster (lower-quality) variant — bulk first, then standard, never
 * premium or critical. Nothing is ever dropped: degraded jobs still publish, with the quality cost
 * recorded.
 */
export function admit(entry: QueueEntry, load: LoadSnapshot, now: number, policy: AdmissionPolicy = DEFAULT_ADMISSION): AdmissionDecision {
  const tier = baseTier(entry.job);
  const share = policy.degradeAtBacklogShare[tier];
  if (share === undefined || entry.emergency) return { admit: 'as-planned' };
  const variants = entry.job.recipe?.variants ?? [];
  if (entry.job.recipe && entry.job.recipe.activeVariant >= policy.degradeToLevel) return { admit: 'as-planned' };
  if (!variants.some((v) => v.level === policy.degradeToLevel)) return { admit: 'as-planned' };
  const clearSec = (load.backlogAtOrAboveSec?.[tier] ?? load.backlogWorkSec) / Math.max(1e-9, load.capacityPerSec);
  const budgetSec = (entry.job.deadlineAt - now) / 1000;
  if (clearSec <= share * budgetSec) return { admit: 'as-planned' };
  return {
    admit: 'degraded',
    level: policy.degradeToLevel,
    reason: `capacity exceeded: backlog clears in ${Math.round(clearSec / 60)} min, over ${Math.round(share * 100)}% of the ${tier} deadline budget (${Math.round(budgetSec / 60)} min); ${tier} is degraded before higher tiers`,
  };
}
