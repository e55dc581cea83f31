/**
 * `npm run bench -- schedule [--days 7] [--uploads 10000] [--seed 42] [--peak-load 1.0]`
 * A week at 10,000 uploads/day with diurnal peaks (offered load ≈ capacity at peak), a season drop,
 * 1% encoder crashes, stuck encodes, GPU Spot interruptions and a node loss; FIFO, strict tier, EDF
 * and Marquee on the same fleet, workload and seed. FIFO-on-MediaConvert-Professional with the full
 * ladder is the cost reference.
 */
import { buildArchetypes } from '../../lib/sim/archetypes';
import { DEFAULT_PREEMPTION, marqueePolicy, NO_EXPRESS_LANE, RESERVE_MARQUEE, type PreemptionOptions } from '../../lib/core/scheduling';
import { comparePolicies, fastLaneRunner, fleetForPeakLoad, resultRows, tierRows } from '../../lib/sim/plan';
import { defaultFaults, simulate } from '../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, seasonDrop } from '../../lib/sim/workload';
import type { SimResult } from '../../lib/sim/simulator';
import { printTable, writeResult } from './report';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function figures(r: SimResult, fifoProPerMin: number) {
  const m = r.metrics;
  return {
    premiumSpeedupP50: m.perTier.standard.perContentMinP50 / m.perTier.premium.perContentMinP50,
    premiumSpeedupP95: m.perTier.standard.perContentMinP95 / m.perTier.premium.perContentMinP95,
    deadlineMet: m.deadlineMet,
    standardDeadlineMet: m.perTier.standard.deadlineMet,
    premiumDeadlineMet: m.perTier.premium.deadlineMet,
    criticalDeadlineMet: m.perTier.critical.deadlineMet,
    peakUtilisation: m.peakUtilisation,
    utilisation: m.utilisation,
    peakOfferedLoad: m.peakOfferedLoad,
    downgradedShare: m.downgradedShare,
    downgradeQualityCostVmaf: m.downgradeQualityCostVmaf,
    lostJobs: m.lostJobs,
    duplicatedJobs: m.duplicatedJobs,
    costPerContentMinute: m.costPerContentMinute,
    costVsFifoPro: m.costPerContentMinute / fifoProPerMin,
    throughputJobsPerHour: m.throughputJobsPerHour,
  };
}

export default async function schedule(args: string[]): Promise<void> {
  const days = arg(args, 'days', 7);
  const uploadsPerDay = arg(args, 'uploads', 10_000);
  const seed = arg(args, 'seed', 42);
  const peakLoad = arg(args, 'peak-load', 1.0);
  const archetypes = buildArchetypes();
  const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay, days, seed, bursts: [seasonDrop((3 * 24 + 18) * 3600, 40, 45)] };
  const fleet = fleetForPeakLoad(workload, peakLoad, archetypes);
  const faults = defaultFaults(fleet);
  console.log(`fleet ${fleet.name}: ${fleet.pools.map((p) => `${p.id}=${p.slots}`).join(', ')}; ${days} days × ${uploadsPerDay} uploads/day, seed ${seed}`);
  const base = { workload, fleet, faults, archetypes, emergencyBumpRate: 0.0005 };
  // Marquee: work-conserving fast lane (no idle reserve; lower tiers overflow onto fast pools only
  // when the slow pool is full) with an express GPU slot for short work, critical/premium titles
  // as chunked task graphs, and bounded preemption of young overflow work on fast pools (≤ 3 min
  // of work lost, once per job, no attempt charged) when a premium task is about to start on a
  // slow slot or has waited past its per-content-minute budget. `marqueePolicy()` and
  // `DEFAULT_PREEMPTION` are the configuration the AWS dispatch step and the local runtime ship.
  const results = [
    ...comparePolicies(base, ['fifo', 'strict-tier', 'edf']),
    simulate({ ...base, policy: marqueePolicy(), runner: fastLaneRunner(), preemption: DEFAULT_PREEMPTION }),
  ];
  const marquee = results.find((r) => r.policy === 'marquee')!;
  // Ablations on the same workload: the previous design (30% of fast pools held for the fast
  // lane, monolithic titles), the work-conserving policy without chunking, and the shipped
  // configuration without each of its latency mechanisms.
  const fastSlotOnly: PreemptionOptions = { ...DEFAULT_PREEMPTION, waitSecPerContentMin: undefined };
  const ablations = [
    { ...simulate({ ...base, policy: marqueePolicy(RESERVE_MARQUEE) }), policy: 'marquee-reserve30-monolithic' },
    { ...simulate({ ...base, policy: marqueePolicy(NO_EXPRESS_LANE) }), policy: 'marquee-overflow-monolithic' },
    { ...simulate({ ...base, policy: marqueePolicy(), runner: fastLaneRunner() }), policy: 'marquee-no-preemption' },
    { ...simulate({ ...base, policy: marqueePolicy(NO_EXPRESS_LANE), runner: fastLaneRunner(), preemption: DEFAULT_PREEMPTION }), policy: 'marquee-no-express' },
    { ...simulate({ ...base, policy: marqueePolicy(), runner: fastLaneRunner(), preemption: fastSlotOnly }), policy: 'marquee-no-waiting-preemption' },
    { ...simulate({ ...base, policy: marqueePolicy(NO_EXPRESS_LANE), runner: fastLaneRunner(), preemption: fastSlotOnly }), policy: 'marquee-previous' },
    // What the AWS dispatch step runs: the shipped policy and preemption on whole titles (MediaConvert
    // and the Batch worker take a title, not chunks).
    { ...simulate({ ...base, policy: marqueePolicy(), preemption: DEFAULT_PREEMPTION }), policy: 'marquee-monolithic' },
  ];
  const busySlotHours = marquee.metrics.utilisation * fleet.pools.reduce((a, p) => a + p.slots, 0) * 24 * days;
  console.log(`marquee: ${marquee.metrics.preemptions} preemptions, ${(marquee.metrics.preemptedSec / 3600).toFixed(1)} slot-hours of work thrown away (${((marquee.metrics.preemptedSec / 3600 / busySlotHours) * 100).toFixed(2)}% of busy slot time)`);
  const fifoPro = results.find((r) => r.policy === 'fifo')!.metrics.fifoProCostPerContentMinute;
  printTable(resultRows([...results, ...ablations]), 'Policies on the same workload, fleet, faults and seed (marquee = overflow fast lane + express GPU slot + chunked premium + bounded preemption; the rows after it are ablations; marquee-previous = the configuration before the express slot and waiting preemption)');
  printTable([...results, ...ablations].flatMap(tierRows), 'Turnaround by tier');
  const rows = results.map((r) => ({ policy: r.policy, '$/content-min': r.metrics.costPerContentMinute.toFixed(5), 'vs FIFO-on-MC-Pro full ladder': (r.metrics.costPerContentMinute / fifoPro).toFixed(3) }));
  rows.push({ policy: 'fifo-mc-pro (reference)', '$/content-min': fifoPro.toFixed(5), 'vs FIFO-on-MC-Pro full ladder': '1.000' });
  printTable(rows, 'Modelled AWS cost per published content-minute');
  const baselines = Object.fromEntries([...results, ...ablations].filter((r) => r !== marquee).map((r) => [r.policy, figures(r, fifoPro)]));
  const summary = { ...figures(marquee, fifoPro), baselines: { ...baselines, 'fifo-mc-pro': { costPerContentMinute: fifoPro, deadlineMet: results.find((r) => r.policy === 'fifo')!.metrics.deadlineMet } } };
  printTable([{ key: 'marquee', ...Object.fromEntries(Object.entries(figures(marquee, fifoPro)).map(([k, v]) => [k, Number(v.toFixed(4))])) }], 'Summary (Marquee)');
  writeResult('schedule', summary, { fleet, workload, faults, marqueeRunner: marquee.runner, detail: [...results, ...ablations].map((r) => ({ policy: r.policy, runner: r.runner, wallSeconds: r.wallSeconds, events: r.events, tasks: r.tasksRun, metrics: { ...r.metrics, workByHour: undefined } })) });
}
