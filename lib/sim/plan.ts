/** Capacity planning helpers: size a fleet for a workload, run several policies on the same workload. */
import { FAST_LANE_PIPELINE, FAST_LANE_TIERS } from '../core/pipeline';
import { policyByName, type MarqueeOptions, type PolicyName, type PreemptionOptions } from '../core/scheduling';
import type { Tier } from '../core/types';
import { buildArchetypes, type Archetype } from './archetypes';
import { defaultFleet, fleetCapacity, type Fleet } from './fleet';
import { titleRunner, type JobRunner } from './runner';
import { simulate, type SimConfig, type SimResult } from './simulator';
import { diurnalFactor, inPeakWindow, WorkloadGenerator, type WorkloadSpec } from './workload';

/** Mean reference work (slot-seconds at speed 1) per upload of a workload, from one generated day. */
export function meanWorkPerUpload(workload: WorkloadSpec, archetypes: readonly Archetype[]): number {
  const gen = new WorkloadGenerator({ ...workload, bursts: [], uploadsPerDay: Math.min(workload.uploadsPerDay, 20_000) }, archetypes);
  let n = 0;
  let work = 0;
  for (let m = 0; m < 1440; m++)
    for (const u of gen.minute(m)) {
      n++;
      work += archetypes[u.archetype]!.secPerSecP50[0]! * u.durationSec;
    }
  return n > 0 ? work / n : 0;
}

/** Mean diurnal factor over the peak window. */
export function peakFactor(workload: WorkloadSpec): number {
  let s = 0;
  let n = 0;
  for (let sec = 0; sec < 86_400; sec += 60)
    if (inPeakWindow(workload, sec)) {
      s += diurnalFactor(workload, sec);
      n++;
    }
  return n > 0 ? s / n : 1;
}

/**
 * The default fleet mix sized so that the offered load in the daily peak window is
 * `targetPeakLoad` × capacity (1.0 = exactly saturated at peak).
 */
export function fleetForPeakLoad(workload: WorkloadSpec, targetPeakLoad: number, archetypes: readonly Archetype[] = buildArchetypes()): Fleet {
  const offered = (workload.uploadsPerDay / 86_400) * meanWorkPerUpload(workload, archetypes) * peakFactor(workload);
  const per100 = fleetCapacity(defaultFleet(100));
  const slots = Math.max(3, Math.round((100 * offered) / (per100 * targetPeakLoad)));
  return { ...defaultFleet(slots), name: `default-${slots}-for-peak-load-${targetPeakLoad}` };
}


/**
 * Marquee's runner in the scheduling simulator: critical and premium titles run as chunked task
 * graphs on Batch workers (encodes and joins; no MediaConvert, which takes whole titles), every
 * other title as one encode task. Only encode work is modelled (as for every policy in that bench).
 */
export function fastLaneRunner(tiers: readonly Tier[] = FAST_LANE_TIERS, minChunksWhenBusy = 1): JobRunner {
  return titleRunner({ shape: 'multi-stage', multiStageTiers: tiers, stageCosts: false, preferRouted: false, chunkToIdle: true, minChunksWhenBusy, policy: FAST_LANE_PIPELINE, name: `chunked-${tiers.join('+')}` });
}

/** Run each policy on the same workload, fleet, faults and seed (optionally with its own runner and preemption). */
export function comparePolicies(base: Omit<SimConfig, 'policy'>, names: readonly PolicyName[], marquee: Partial<MarqueeOptions> = {}, runnerFor: (name: PolicyName) => JobRunner | undefined = () => undefined, preemptionFor: (name: PolicyName) => PreemptionOptions | undefined = () => undefined): SimResult[] {
  const archetypes = base.archetypes ?? buildArchetypes();
  return names.map((name) => {
    const runner = runnerFor(name) ?? base.runner;
    const preemption = preemptionFor(name) ?? base.preemption;
    return simulate({ ...base, archetypes, policy: policyByName(name, marquee), ...(runner ? { runner } : {}), ...(preemption ? { preemption } : {}) });
  });
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : '-');
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** One table row per policy with the headline metrics. */
export function resultRows(results: readonly SimResult[]): Record<string, string | number>[] {
  return results.map((r) => {
    const m = r.metrics;
    const p = m.perTier;
    return {
      policy: r.policy,
      'prem/std p50': num(p.standard.perContentMinP50 / p.premium.perContentMinP50),
      'prem/std p95': num(p.standard.perContentMinP95 / p.premium.perContentMinP95),
      'met all': pct(m.deadlineMet),
      'met crit': pct(p.critical.deadlineMet),
      'met prem': pct(p.premium.deadlineMet),
      'met std': pct(p.standard.deadlineMet),
      'met bulk': pct(p.bulk.deadlineMet),
      'peak util': pct(m.peakUtilisation),
      util: pct(m.utilisation),
      downgraded: pct(m.downgradedShare),
      'vmaf cost': num(m.downgradeQualityCostVmaf, 1),
      lost: m.lostJobs,
      dup: m.duplicatedJobs,
      '$/content-min': num(m.costPerContentMinute, 5),
      'wall s': num(r.wallSeconds, 1),
    };
  });
}

/** Per-tier turnaround rows (minutes, and minutes per content minute). */
export function tierRows(r: SimResult): Record<string, string | number>[] {
  return Object.entries(r.metrics.perTier).map(([tier, s]) => ({
    policy: r.policy,
    tier,
    jobs: s.jobs,
    'tat p50 min': num(s.turnaroundMinP50, 1),
    'tat p95': num(s.turnaroundMinP95, 1),
    'tat p99': num(s.turnaroundMinP99, 1),
    'per content-min p50': num(s.perContentMinP50),
    p95: num(s.perContentMinP95),
    p99: num(s.perContentMinP99),
    'deadline met': pct(s.deadlineMet),
  }));
}
