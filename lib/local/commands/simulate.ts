import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_PREEMPTION, POLICY_NAMES, RESERVE_MARQUEE, type PolicyName } from '../../core/scheduling';
import { buildArchetypes } from '../../sim/archetypes';
import { defaultFleet, parseFleet } from '../../sim/fleet';
import { comparePolicies, fastLaneRunner, fleetForPeakLoad, resultRows, tierRows } from '../../sim/plan';
import { defaultFaults, NO_FAULTS } from '../../sim/simulator';
import { DEFAULT_WORKLOAD, seasonDrop } from '../../sim/workload';

const Options = z.object({
  uploads: z.coerce.number().int().positive(),
  days: z.coerce.number().positive(),
  fleet: z.string().optional(),
  slots: z.coerce.number().int().positive().optional(),
  peakLoad: z.coerce.number().positive().optional(),
  policy: z.enum(POLICY_NAMES),
  seed: z.coerce.number().int(),
  faults: z.enum(['none', 'default']),
  seasonDrop: z.coerce.number().optional(),
  compare: z.boolean().optional(),
  classic: z.boolean().optional(),
  json: z.boolean().optional(),
});

function table(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (v: string[]) => v.map((x, i) => x.padEnd(w[i]!)).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

/** `marquee simulate` — run the scheduler at platform scale in the discrete-event simulator. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulate days of uploads on a fleet under a scheduling policy (or --compare all policies)')
    .option('--uploads <n>', 'uploads per day', '10000')
    .option('--days <n>', 'simulated days', '1')
    .option('--fleet <spec>', 'fleet as cpu=80,gpu=12,mc=8 (default: sized for --peak-load)')
    .option('--slots <n>', 'total slots of the default fleet mix')
    .option('--peak-load <x>', 'size the default fleet so the peak offered load is x × capacity', '1')
    .option('--policy <name>', `one of ${POLICY_NAMES.join(', ')}`, 'marquee')
    .option('--seed <n>', 'workload and fault seed', '42')
    .option('--faults <set>', 'none | default (1% crashes, stuck encodes, spot interruptions, a node loss)', 'default')
    .option('--season-drop <hour>', 'a season drop (40 × 45-min premium episodes) at this hour of the simulation')
    .option('--compare', 'run fifo, strict-tier, edf and marquee on the same workload')
    .option('--classic', 'marquee as before the work-conserving change: 30% fast-pool reserve, whole titles, no preemption')
    .option('--json', 'print the metrics as JSON')
    .action((raw: Record<string, unknown>) => {
      const o = Options.parse(raw);
      const archetypes = buildArchetypes();
      const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay: o.uploads, days: o.days, seed: o.seed, bursts: o.seasonDrop !== undefined ? [seasonDrop(o.seasonDrop * 3600)] : [] };
      const fleet = o.fleet ? parseFleet(o.fleet) : o.slots ? defaultFleet(o.slots) : fleetForPeakLoad(workload, o.peakLoad ?? 1, archetypes);
      const faults = o.faults === 'none' ? NO_FAULTS : defaultFaults(fleet);
      const names: PolicyName[] = o.compare ? [...POLICY_NAMES] : [o.policy];
      console.log(`fleet: ${fleet.pools.map((p) => `${p.id}=${p.slots}`).join(', ')} · ${o.days} day(s) × ${o.uploads} uploads/day · seed ${o.seed} · faults ${o.faults}`);
      // Marquee as the schedule bench runs it and the dispatchers ship it: the default options
      // (work-conserving, express GPU slot), bounded preemption and chunked critical/premium titles.
      const base = { workload, fleet, faults, archetypes };
      const results = o.classic ? comparePolicies(base, names, RESERVE_MARQUEE) : comparePolicies(base, names, {}, (n) => (n === 'marquee' ? fastLaneRunner() : undefined), (n) => (n === 'marquee' ? DEFAULT_PREEMPTION : undefined));
      if (o.json) {
        console.log(JSON.stringify(results.map((r) => ({ policy: r.policy, metrics: r.metrics, wallSeconds: r.wallSeconds })), null, 2));
        return;
      }
      table(resultRows(results));
      console.log('');
      table(results.flatMap(tierRows));
    });
}
