/**
 * `npm run bench -- scale [--sizes 10,100,1000,10000] [--day-uploads 1000000] [--policy marquee]`
 * Scaling: concurrent slots 10 → 100 → 1,000 → 10,000 with the workload scaled with them (two flat
 * hours, offered load 1.1 × capacity so the fleet is saturated), Marquee scheduling. Efficiency is
 * reference work completed per slot-hour relative to the 10-slot run. Then the wall-clock cost of
 * simulating one day of 1,000,000 uploads on a fleet sized for it (peak offered load = capacity).
 */
import { DEFAULT_PREEMPTION, marqueePolicy, policyByName, type PolicyName } from '../../lib/core/scheduling';
import { buildArchetypes } from '../../lib/sim/archetypes';
import { defaultFleet, fleetCapacity, fleetSlots } from '../../lib/sim/fleet';
import { fastLaneRunner, fleetForPeakLoad, meanWorkPerUpload } from '../../lib/sim/plan';
import { defaultFaults, simulate } from '../../lib/sim/simulator';
import { DEFAULT_WORKLOAD } from '../../lib/sim/workload';
import { printTable, writeResult } from './report';

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export default async function scale(args: string[]): Promise<void> {
  const sizes = (opt(args, 'sizes') ?? '10,100,1000,10000').split(',').map(Number);
  const dayUploads = Number(opt(args, 'day-uploads') ?? 1_000_000);
  const policyName = (opt(args, 'policy') ?? 'marquee') as PolicyName;
  // Marquee as the schedule bench runs it: the shipped options (work-conserving, express GPU
  // slots), chunked critical/premium titles and bounded preemption.
  const policy = () => (policyName === 'marquee' ? marqueePolicy() : policyByName(policyName));
  const runner = policyName === 'marquee' ? fastLaneRunner() : undefined;
  const preemption = policyName === 'marquee' ? { preemption: DEFAULT_PREEMPTION } : {};
  const archetypes = buildArchetypes();
  const flat = { ...DEFAULT_WORKLOAD, days: 1 / 12, diurnalAmplitude: 0, seed: 11 };
  const workPerUpload = meanWorkPerUpload(flat, archetypes);
  const rows: Record<string, string | number>[] = [];
  let base = 0;
  const eff: Record<number, number> = {};
  for (const slots of sizes) {
    const fleet = defaultFleet(slots);
    const uploadsPerDay = Math.round((1.1 * fleetCapacity(fleet) * 86_400) / workPerUpload);
    const r = simulate({ workload: { ...flat, uploadsPerDay }, fleet, policy: policy(), ...(runner ? { runner } : {}), ...preemption, archetypes, faults: defaultFaults(fleet), sweepSec: 600, drainHours: 0 });
    const m = r.metrics;
    const slotHours = fleetSlots(fleet) * 24 * flat.days;
    const workDone = m.utilisation * slotHours; // busy slot-hours in the day
    const perSlot = workDone / slotHours;
    if (base === 0) base = perSlot;
    eff[slots] = perSlot / base;
    rows.push({ slots: fleetSlots(fleet), 'uploads/day': uploadsPerDay, published: m.published, 'utilisation': m.utilisation.toFixed(4), 'busy slot-h per slot-h': perSlot.toFixed(4), efficiency: (perSlot / base).toFixed(3), 'wall s': r.wallSeconds.toFixed(1), events: r.events });
    console.log(JSON.stringify(rows.at(-1)));
  }
  printTable(rows, `Scaling (${policyName}, two flat saturated hours, faults on)`);
  const wl = { ...DEFAULT_WORKLOAD, uploadsPerDay: dayUploads, days: 1, seed: 12 };
  const fleet = fleetForPeakLoad(wl, 1, archetypes);
  const cpu0 = process.cpuUsage();
  const day = simulate({ workload: wl, fleet, policy: policy(), ...(runner ? { runner } : {}), ...preemption, archetypes, faults: defaultFaults(fleet), sweepSec: 300, drainHours: 12 });
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const dm = day.metrics;
  const load = (await import('node:os')).loadavg()[0]!;
  printTable([{ uploads: dayUploads, slots: fleetSlots(fleet), published: dm.published, lost: dm.lostJobs, dup: dm.duplicatedJobs, 'deadline met': dm.deadlineMet.toFixed(4), 'peak util': dm.peakUtilisation.toFixed(4), events: day.events, tasks: day.tasksRun, 'wall s': day.wallSeconds.toFixed(1), 'cpu s': cpuSec.toFixed(1), 'load avg': load.toFixed(1) }], `A simulated day of ${dayUploads.toLocaleString()} uploads (${day.runner})`);
  writeResult('scale', { efficiencyAt1000: eff[1000] ?? null, efficiencyAt10000: eff[10000] ?? null, dayOf1MWallSeconds: day.wallSeconds, dayOf1MCpuSeconds: cpuSec }, { rows, day: { fleet, metrics: { ...dm, workByHour: undefined }, events: day.events, tasks: day.tasksRun, loadAvg: load } });
}
