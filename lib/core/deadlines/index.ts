/**
 * Deadline management (the deadline-watch timer in the cloud, a periodic sweep locally and in the
 * simulator): find jobs whose P90 finish is past their deadline and apply the cheapest action that
 * brings them back in time — raise priority while queued, move to a faster backend, switch to a
 * faster variant of the recipe (faster preset, accelerated transcoding, mandatory rungs first) —
 * recording each with its expected gain and quality cost. Pure.
 */
import { recordDecision } from '../job';
import { baseTier, speedOn, type BackendPool, type QueueEntry, type SchedulerPolicy } from '../scheduling';
import type { Decision, Job, RecipeVariant } from '../types';
import { tierRank } from '../types';

/** A job that is encoding now, as deadline management sees it. */
export interface RunningView {
  job: Job;
  poolId: string;
  startedAt: number;
  /** Expected end at P90 on its pool. */
  expectedEndP90: number;
  /** Share of the work done, 0..1. */
  progress: number;
  /** Reference work (P90) of the whole job at its active variant. */
  workP90: number;
}

export interface DeadlineOptions {
  /** Act when the P90 finish is later than deadline − margin. */
  marginSec: number;
  /** A running job is restarted on a faster variant only while it has done less than this share. */
  maxRestartProgress: number;
  /** Minimum gain for an action that does not meet the deadline to be worth its cost, as a share of the lateness. */
  minPartialGainShare: number;
}

export const DEFAULT_DEADLINE_OPTIONS: DeadlineOptions = { marginSec: 120, maxRestartProgress: 0.3, minPartialGainShare: 0.25 };

export type DeadlineStep = 'raise-priority' | 'move-backend' | 'switch-variant' | 'restart-faster';

/** What to do for one at-risk job. The caller applies `entry` (queued) or restarts (running), and stores `job`. */
export interface DeadlinePlan {
  jobId: string;
  steps: DeadlineStep[];
  /** The job with the decisions recorded and, when the variant changes, `recipe.activeVariant` set. */
  job: Job;
  /** New rank boost, pinned pool and variant, for the caller's queue entry. */
  boostMs?: number;
  pinnedPool?: string;
  variantLevel?: number;
  /** Work (reference slot-seconds) at the new variant, P50 and P90. */
  workP50?: number;
  workP90?: number;
  accelerated?: boolean;
  expectedFinishP90: number;
  expectedGainSec: number;
  qualityCostVmaf: number;
  meetsDeadline: boolean;
  /** Set when a higher-value job took the capacity this one needed. */
  conflictWith?: string;
}

export interface DeadlineInput {
  /** Every queued job (the work ranked ahead of a job is summed over these). */
  queued: readonly QueueEntry[];
  /**
   * Jobs the caller has already found possibly at risk (e.g. from an index keyed by latest safe
   * start), a superset of those this sweep would act on. When given, only these are examined, so
   * a sweep costs O(queue) for the work-ahead sums instead of building every job's estimate.
   * Entries should be members of `queued` (the same objects or equal figures).
   */
  candidates?: readonly QueueEntry[];
  /**
   * Rank key of the first non-emergency work in the dispatch queue when it holds more than
   * `queued` (pipeline tasks of titles already encoding). A raise ranks the job ahead of it.
   */
  frontRankKey?: number;
  running?: readonly RunningView[];
  pools: readonly BackendPool[];
  now: number;
  policy: SchedulerPolicy;
  options?: Partial<DeadlineOptions>;
}

interface Option {
  steps: DeadlineStep[];
  finish: number;
  qualityCost: number;
  /** 0: free, 1: pays for a faster backend. */
  moneyRank: number;
  pool?: BackendPool;
  variant?: RecipeVariant;
  work: { p50: number; p90: number };
  consumesRaise: boolean;
}

/** Order of value: emergency, then tier, then score, then the earlier deadline. */
export function byValue(a: Job, b: Job): number {
  const ea = a.adjustments.some((x) => x.kind === 'emergency') ? 0 : 1;
  const eb = b.adjustments.some((x) => x.kind === 'emergency') ? 0 : 1;
  return ea - eb || tierRank(baseTier(a)) - tierRank(baseTier(b)) || (b.value?.score ?? 0) - (a.value?.score ?? 0) || a.deadlineAt - b.deadlineAt || (a.id < b.id ? -1 : 1);
}

function currentVariant(job: Job): RecipeVariant | undefined {
  return job.recipe?.variants[job.recipe.activeVariant];
}

/** Faster variants than the active one, cheapest quality cost first. */
function fasterVariants(job: Job): RecipeVariant[] {
  const cur = currentVariant(job);
  const curSpeed = cur?.expectedSpeedup ?? 1;
  return (job.recipe?.variants ?? []).filter((v) => v.expectedSpeedup > curSpeed).sort((a, b) => a.qualityCostVmaf - b.qualityCostVmaf || b.expectedSpeedup - a.expectedSpeedup);
}

function scaleWork(entry: { workP50: number; workP90: number }, job: Job, v: RecipeVariant): { p50: number; p90: number } {
  const f = (currentVariant(job)?.expectedSpeedup ?? 1) / v.expectedSpeedup;
  return { p50: entry.workP50 * f, p90: entry.workP90 * f };
}

/**
 * Plan deadline actions for every job at risk. At-risk jobs are served in order of value, and the
 * shared fast capacity they consume (priority raises, pinned fast slots) is accounted as they are
 * served, so when two high-priority jobs conflict the more valuable one gets the cheap action and
 * the other gets the next one — and its decision says so.
 */
export function planDeadlineActions(input: DeadlineInput): DeadlinePlan[] {
  const { now, pools, policy } = input;
  if (!policy.managesDeadlines) return [];
  const o = { ...DEFAULT_DEADLINE_OPTIONS, ...input.options };
  const margin = o.marginSec * 1000;
  const capacity = pools.reduce((a, p) => a + p.slots * p.speed, 0);
  if (capacity <= 0) return [];
  const running = input.running ?? [];
  const poolById = new Map(pools.map((p) => [p.id, p]));
  let runningWork = 0;
  for (const r of running) {
    const p = poolById.get(r.poolId);
    runningWork += Math.max(0, (r.expectedEndP90 - now) / 1000) * (p?.speed ?? 1);
  }
  // A pool scaled to zero slots is not a place the job can run, free or not.
  const allFree = pools.filter((p) => p.slots > 0).map((p) => ({ ...p, free: p.slots, expectedFreeInSec: 0 }));
  const fastest = [...pools].filter((p) => p.slots > 0).sort((a, b) => b.speed - a.speed)[0];

  // Fluid estimate of each queued job's start: running work drains first (half of it on average
  // before a slot frees), then the work ranked ahead, all at the fleet's throughput.
  // Likely speed by the policy's routing, cached per kind of job (tier, acceleration, pin, urgency).
  const speedCache = new Map<string, number>();
  const likelySpeed = (entry: QueueEntry): number => {
    const k = `${baseTier(entry.job)}|${entry.accelerated}|${entry.pinnedPool ?? ''}|${policy.reason(entry)}`;
    let v = speedCache.get(k);
    if (v === undefined) {
      v = policy.choosePool(entry, allFree, now)?.speed ?? 1;
      speedCache.set(k, v);
    }
    return v;
  };
  const queued = input.queued;
  const n = queued.length;
  const keys = new Float64Array(n);
  let totalWork = runningWork / 2;
  for (let i = 0; i < n; i++) {
    keys[i] = policy.rankKey(queued[i]!);
    totalWork += queued[i]!.workP50;
  }
  let frontKey = input.frontRankKey ?? Infinity;
  for (let i = 0; i < n; i++) if (!queued[i]!.emergency && keys[i]! < frontKey) frontKey = keys[i]!;
  const minSpeed = pools.reduce((m, p) => Math.min(m, p.speed), Infinity);
  // Only a job that could miss with all queued work ahead of it at the slowest speed is a candidate.
  const pool = input.candidates ?? queued;
  const cands: QueueEntry[] = [];
  for (const e of pool) {
    const worst = now + (totalWork / capacity) * 1000 + (e.workP90 / minSpeed) * 1000;
    if (worst > e.job.deadlineAt - margin) cands.push(e);
  }
  const aheadOf = new Map<QueueEntry, number>();
  if (cands.length > 0 && cands.length <= 64) {
    for (const c of cands) {
      let ahead = runningWork / 2;
      const kc = policy.rankKey(c);
      for (let i = 0; i < n; i++) if (keys[i]! < kc && queued[i]!.job.id !== c.job.id) ahead += queued[i]!.workP50;
      aheadOf.set(c, ahead);
    }
  } else if (cands.length > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    const sortedKeys = order.map((i) => keys[i]!);
    const prefix = new Float64Array(n + 1);
    order.forEach((i, k) => (prefix[k + 1] = prefix[k]! + queued[i]!.workP50));
    for (const c of cands) {
      const kc = policy.rankKey(c);
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedKeys[mid]! < kc) lo = mid + 1;
        else hi = mid;
      }
      aheadOf.set(c, runningWork / 2 + prefix[lo]!);
    }
  }
  const atRisk: { entry: QueueEntry; finish: number; speed: number }[] = [];
  for (const entry of cands) {
    const start = now + (aheadOf.get(entry)! / capacity) * 1000;
    const speed = likelySpeed(entry);
    const finish = start + (entry.workP90 / speed) * 1000;
    if (finish > entry.job.deadlineAt - margin) atRisk.push({ entry, finish, speed });
  }
  atRisk.sort((a, b) => byValue(a.entry.job, b.entry.job));

  const plans: DeadlinePlan[] = [];
  let raisedWork = runningWork / 2;
  const pinnedWork = new Map<string, number>();
  const raisedBy: string[] = [];
  const pinnedBy = new Map<string, string>();
  for (const { entry, finish, speed } of atRisk) {
    const job = entry.job;
    const deadline = job.deadlineAt - margin;
    const raiseStart = (extra: number) => now + ((raisedWork + extra) / capacity) * 1000;
    const pinStart = (p: BackendPool) => now + (((pinnedWork.get(p.id) ?? 0) / Math.max(1e-9, p.slots * p.speed)) + (p.free > 0 ? 0 : (p.expectedFreeInSec ?? 0))) * 1000;
    const options: Option[] = [];
    const base = { p50: entry.workP50, p90: entry.workP90 };
    const alreadyRaised = entry.boostMs > 0 || entry.emergency;
    options.push({ steps: alreadyRaised ? [] : ['raise-priority'], finish: raiseStart(0) + (base.p90 / speed) * 1000, qualityCost: 0, moneyRank: 0, work: base, consumesRaise: true });
    if (fastest && fastest.id !== entry.pinnedPool && speedOn(fastest, entry) > speed) {
      const s = speedOn(fastest, entry);
      options.push({ steps: ['move-backend'], finish: pinStart(fastest) + (base.p90 / s) * 1000, qualityCost: 0, moneyRank: 1, pool: fastest, work: base, consumesRaise: false });
    }
    for (const v of fasterVariants(job)) {
      const work = scaleWork(entry, job, v);
      const probe = { ...entry, accelerated: v.accelerated };
      const onLikely = policy.choosePool(probe, allFree, now);
      const s1 = onLikely?.speed ?? speed;
      options.push({ steps: [...(alreadyRaised ? [] : ['raise-priority' as const]), 'switch-variant'], finish: raiseStart(0) + (work.p90 / s1) * 1000, qualityCost: v.qualityCostVmaf, moneyRank: 0, variant: v, work, consumesRaise: true });
      if (fastest && speedOn(fastest, probe) > s1) {
        const s2 = speedOn(fastest, probe);
        options.push({ steps: ['move-backend', 'switch-variant'], finish: pinStart(fastest) + (work.p90 / s2) * 1000, qualityCost: v.qualityCostVmaf, moneyRank: 1, pool: fastest, variant: v, work, consumesRaise: false });
      }
    }
    const useful = options.filter((op) => op.steps.length > 0);
    const effective = useful.filter((op) => op.finish <= deadline).sort((a, b) => a.qualityCost - b.qualityCost || a.moneyRank - b.moneyRank || a.finish - b.finish);
    let chosen = effective[0];
    if (!chosen) {
      const best = [...useful].sort((a, b) => a.finish - b.finish || a.qualityCost - b.qualityCost)[0];
      const lateness = finish - deadline;
      if (best && finish - best.finish >= o.minPartialGainShare * lateness) chosen = best;
    }
    if (!chosen) continue;
    // Did a higher-value job in this sweep take what this one needed?
    let conflictWith: string | undefined;
    if (chosen.qualityCost > 0 || chosen.moneyRank > 0 || chosen.finish > deadline) {
      const uncontendedRaise = now + ((runningWork / 2) / capacity) * 1000 + (base.p90 / speed) * 1000;
      if (uncontendedRaise <= deadline && raisedBy.length > 0) conflictWith = raisedBy[raisedBy.length - 1];
      else if (chosen.pool && pinnedBy.has(chosen.pool.id)) conflictWith = pinnedBy.get(chosen.pool.id);
    }
    if (chosen.consumesRaise) {
      raisedWork += chosen.work.p50;
      raisedBy.push(job.id);
    }
    if (chosen.pool) {
      pinnedWork.set(chosen.pool.id, (pinnedWork.get(chosen.pool.id) ?? 0) + chosen.work.p50);
      pinnedBy.set(chosen.pool.id, job.id);
    }
    const gainSec = Math.max(0, (finish - chosen.finish) / 1000);
    let updated = job;
    const conflictNote = conflictWith
      ? `; conflict with ${conflictWith}: the more valuable job took the shared fast capacity first, so this ${baseTier(job)} job (score ${job.value?.score.toFixed(0) ?? '?'}) gets the next cheapest action`
      : '';
    const why = `P90 finish ${Math.round((finish - now) / 60_000)} min from now is past the deadline in ${Math.round((job.deadlineAt - now) / 60_000)} min${conflictNote}`;
    for (const step of chosen.steps) {
      const d: Decision = {
        at: now,
        kind: 'deadline',
        action: step === 'move-backend' ? `move-backend ${chosen.pool?.id}` : step === 'switch-variant' ? `switch-variant ${chosen.variant?.name} (level ${chosen.variant?.level})` : step,
        reason: why,
        expectedGainSec: gainSec,
        qualityCostVmaf: step === 'switch-variant' ? chosen.qualityCost : 0,
      };
      updated = recordDecision(updated, d);
    }
    if (chosen.variant && updated.recipe) updated = { ...updated, recipe: { ...updated.recipe, activeVariant: chosen.variant.level } };
    plans.push({
      jobId: job.id,
      steps: chosen.steps,
      job: updated,
      // A raise puts the job ahead of every queued job it may pass (the policy's rank still caps
      // the lift at one tier), not merely ahead of "now": aged work can rank before now.
      boostMs: chosen.steps.includes('raise-priority') ? Math.max(0, policy.rankKey(entry) - Math.min(now, frontKey)) + 60_000 : undefined,
      pinnedPool: chosen.pool?.id,
      variantLevel: chosen.variant?.level,
      workP50: chosen.variant ? chosen.work.p50 : undefined,
      workP90: chosen.variant ? chosen.work.p90 : undefined,
      accelerated: chosen.variant?.accelerated,
      expectedFinishP90: chosen.finish,
      expectedGainSec: gainSec,
      qualityCostVmaf: chosen.variant ? chosen.qualityCost : 0,
      meetsDeadline: chosen.finish <= deadline,
      conflictWith,
    });
  }

  // Running jobs: restart on a faster variant on the fastest pool while little work is done.
  for (const r of [...running].sort((a, b) => byValue(a.job, b.job))) {
    const deadline = r.job.deadlineAt - margin;
    if (r.expectedEndP90 <= deadline || r.progress > o.maxRestartProgress || !fastest) continue;
    const v = fasterVariants(r.job)[0];
    if (!v) continue;
    const work = scaleWork({ workP50: r.workP90, workP90: r.workP90 }, r.job, v);
    const s = speedOn(fastest, { accelerated: v.accelerated } as QueueEntry);
    const finish = now + (work.p90 / s) * 1000 + (fastest.free > 0 ? 0 : (fastest.expectedFreeInSec ?? 0) * 1000);
    if (finish >= r.expectedEndP90 - 60_000) continue;
    const gainSec = (r.expectedEndP90 - finish) / 1000;
    let job = recordDecision(r.job, {
      at: now,
      kind: 'deadline',
      action: `restart-faster ${v.name} (level ${v.level}) on ${fastest.id}`,
      reason: `running job's P90 end is ${Math.round((r.expectedEndP90 - r.job.deadlineAt) / 60_000)} min past its deadline at ${Math.round(r.progress * 100)}% done`,
      expectedGainSec: gainSec,
      qualityCostVmaf: v.qualityCostVmaf,
    });
    if (job.recipe) job = { ...job, recipe: { ...job.recipe, activeVariant: v.level } };
    plans.push({ jobId: r.job.id, steps: ['restart-faster'], job, pinnedPool: fastest.id, variantLevel: v.level, accelerated: v.accelerated, expectedFinishP90: finish, expectedGainSec: gainSec, qualityCostVmaf: v.qualityCostVmaf, meetsDeadline: finish <= deadline, workP90: work.p90, workP50: work.p90 / 1.4 });
  }
  return plans;
}
