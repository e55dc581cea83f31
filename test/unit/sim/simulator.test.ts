import { describe, expect, it } from 'vitest';
import { marqueePolicy, policyByName } from '../../../lib/core/scheduling';
import { buildArchetypes } from '../../../lib/sim/archetypes';
import { defaultFleet, parseFleet } from '../../../lib/sim/fleet';
import { MinHeap } from '../../../lib/sim/heap';
import { quantile } from '../../../lib/sim/metrics';
import { criticalPathWork } from '../../../lib/sim/runner';
import { defaultFaults, NO_FAULTS, simulate, type SimConfig } from '../../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, seasonDrop, WorkloadGenerator, type Upload, type WorkloadSpec } from '../../../lib/sim/workload';

const archetypes = buildArchetypes();
const small: WorkloadSpec = { ...DEFAULT_WORKLOAD, uploadsPerDay: 1500, days: 1, seed: 7 };

function run(over: Partial<SimConfig> & { policy?: SimConfig['policy'] }) {
  return simulate({ workload: small, fleet: defaultFleet(8), policy: marqueePolicy(), archetypes, keepJobs: true, ...over });
}

function star(index: number, atMs: number, durationSec: number): Upload {
  return { index, atMs, archetype: 6, durationSec, metadata: { creatorTier: 'star', expectedViews: 50_000_000, monetized: true, premium: true, formats: ['abr'] }, noiseZ: 0, crashU: 1, stuckU: 1 };
}

describe('MinHeap', () => {
  it('pops in key order, ties in insertion order', () => {
    const h = new MinHeap<string>();
    [5, 1, 3, 1, 9, 0].forEach((k, i) => h.push(k, `${k}-${i}`));
    const out: string[] = [];
    while (h.size) out.push(h.pop()!);
    expect(out).toEqual(['0-5', '1-1', '1-3', '3-2', '5-0', '9-4']);
  });
});

describe('helpers', () => {
  it('measures a plan\'s critical path through its dependencies', () => {
    const t = (work: number, dependsOn: number[] = []) => ({ stage: 'encode', work, fixedSec: 1, dependsOn });
    expect(criticalPathWork({ tasks: [t(4), t(3), t(2, [0, 1]), t(10)] })).toBe(11);
  });
  it('quantile interpolates', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
  it('parses a fleet spec and rejects nonsense', () => {
    expect(parseFleet('cpu=10,gpu=2').pools.map((p) => [p.id, p.slots])).toEqual([['batch-gpu', 2], ['batch-cpu', 10]]);
    expect(() => parseFleet('tpu=3')).toThrow(/bad fleet/);
  });
  it('generates the same workload for the same seed', () => {
    const day = (g: WorkloadGenerator) => Array.from({ length: 240 }, (_, m) => g.minute(m)).flat();
    const a = day(new WorkloadGenerator(small, archetypes));
    const b = day(new WorkloadGenerator(small, archetypes));
    expect(a.length).toBeGreaterThan(0);
    expect(a.map((u) => u.durationSec)).toEqual(b.map((u) => u.durationSec));
  });
});

describe('simulator scenarios', () => {
  it('publishes every job of a mixed-content peak exactly once, through the real state machine', () => {
    const r = run({ faults: NO_FAULTS });
    expect(r.metrics.jobs).toBeGreaterThan(1000);
    expect(r.metrics.lostJobs).toBe(0);
    expect(r.metrics.duplicatedJobs).toBe(0);
    expect(r.metrics.published).toBe(r.metrics.jobs);
    const job = r.jobs!.find((j) => j.status === 'PUBLISHED')!;
    expect(job.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'PUBLISHED']);
    expect(r.metrics.peakUtilisation).toBeGreaterThan(r.metrics.utilisation);
  });

  it('runs an extremely high-value upload at once, ahead of a busy queue', () => {
    const extra = star(1_000_000, 20 * 3600_000, 600);
    const r = run({ faults: NO_FAULTS, extraUploads: [extra] });
    const job = r.jobs!.find((j) => j.id === 'u1000000')!;
    expect(job.value?.tier).toBe('critical');
    const queuedAt = job.history.find((h) => h.to === 'QUEUED')!.at;
    const started = job.history.find((h) => h.to === 'ENCODING')!.at;
    expect(started - queuedAt).toBeLessThan(3 * 60_000);
    expect(job.status).toBe('PUBLISHED');
    expect(job.history.at(-1)!.at).toBeLessThanOrEqual(job.deadlineAt);
  });

  it('applies an emergency bump at once: the bumped job is the next one dispatched', () => {
    const bulk: Upload = { index: 3_000_000, atMs: 20 * 3600_000, archetype: 6, durationSec: 1800, metadata: { creatorTier: 'new', expectedViews: 10, monetized: false, premium: false, formats: ['abr'] }, noiseZ: 0, crashU: 1, stuckU: 1 };
    const r = run({ faults: NO_FAULTS, fleet: defaultFleet(4), extraUploads: [bulk], bumps: [{ uploadIndex: 3_000_000, afterSec: 300 }] });
    const job = r.jobs!.find((j) => j.id === 'u3000000')!;
    const bump = job.adjustments.find((a) => a.kind === 'emergency')!;
    expect(bump).toMatchObject({ fromTier: 'bulk', toTier: 'critical' });
    const started = job.history.find((h) => h.to === 'ENCODING')!.at;
    const overtook = r.jobs!.filter((j) => j.id !== job.id && j.history.some((h) => h.to === 'ENCODING' && h.at > bump.at && h.at < started));
    expect(overtook).toEqual([]);
    expect(job.status).toBe('PUBLISHED');
  });

  it('recovers jobs from a hardware failure mid-encode: retried, none lost', () => {
    const fleet = defaultFleet(8);
    const faults = { ...defaultFaults(fleet), crashRate: 0.05, nodeLosses: [{ atSec: 20 * 3600, poolId: 'batch-cpu', slots: 3, durationSec: 3600 }] };
    const r = run({ faults, fleet });
    expect(r.metrics.retries).toBeGreaterThan(0);
    expect(r.metrics.lostJobs).toBe(0);
    expect(r.metrics.duplicatedJobs).toBe(0);
    const retried = r.jobs!.filter((j) => j.history.some((h) => h.to === 'RETRYING'));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((j) => j.status === 'PUBLISHED' || j.status === 'FAILED')).toBe(true);
    expect(retried.some((j) => j.history.some((h) => /node lost|crashed/.test(h.reason)))).toBe(true);
  });

  it('gives the fast capacity to the more valuable of two high-priority jobs with conflicting deadlines', () => {
    const a = star(2_000_000, 19 * 3600_000, 2400);
    const b = { ...star(2_000_001, 19 * 3600_000 + 1000, 2400), metadata: { creatorTier: 'partner' as const, expectedViews: 500_000, monetized: true, premium: true, formats: ['abr' as const] } };
    const r = run({ faults: NO_FAULTS, fleet: defaultFleet(6), extraUploads: [a, b] });
    const ja = r.jobs!.find((j) => j.id === 'u2000000')!;
    const jb = r.jobs!.find((j) => j.id === 'u2000001')!;
    expect(ja.value!.score).toBeGreaterThan(jb.value!.score);
    const end = (j: typeof ja) => j.history.at(-1)!.at - j.createdAt;
    expect(end(ja)).toBeLessThanOrEqual(end(jb));
    expect(ja.status).toBe('PUBLISHED');
  });

  it('under extreme contention (≈2x capacity) starves no one, keeps premium faster, and degrades bulk first', () => {
    const over = simulate({ workload: { ...small, uploadsPerDay: 6000 }, fleet: defaultFleet(6), policy: marqueePolicy(), archetypes, faults: NO_FAULTS, keepJobs: true, drainHours: 72, sweepSec: 300 });
    const m = over.metrics;
    expect(m.lostJobs).toBe(0);
    expect(m.admissionsDegraded).toBeGreaterThan(0);
    const degradedAtAdmission = over.jobs!.filter((j) => j.decisions.some((d) => d.kind === 'schedule' && d.action.startsWith('admit at')));
    const tiers = new Set(degradedAtAdmission.map((j) => j.value!.tier));
    expect(tiers.has('premium')).toBe(false);
    expect(tiers.has('critical')).toBe(false);
    const byTier = (t: string) => degradedAtAdmission.filter((j) => j.value!.tier === t).length / Math.max(1, over.jobs!.filter((j) => j.value!.tier === t).length);
    expect(byTier('bulk')).toBeGreaterThan(byTier('standard'));
    expect(m.published).toBe(m.jobs);
    expect(m.perTier.premium.perContentMinP50).toBeLessThan(m.perTier.standard.perContentMinP50);
    expect(m.perTier.premium.turnaroundMinP50).toBeLessThan(m.perTier.bulk.turnaroundMinP50);
  });

  it('runs every policy on the same workload and reports the same job count', () => {
    const wl = { ...small, uploadsPerDay: 500, bursts: [seasonDrop(18 * 3600, 5, 20)] };
    const results = (['fifo', 'strict-tier', 'edf', 'marquee'] as const).map((n) => simulate({ workload: wl, fleet: defaultFleet(6), policy: policyByName(n), archetypes, faults: defaultFaults(defaultFleet(6)) }));
    expect(new Set(results.map((r) => r.metrics.jobs)).size).toBe(1);
    for (const r of results) expect(r.metrics.lostJobs + r.metrics.duplicatedJobs).toBe(0);
    expect(results[0]!.metrics.costPerContentMinute).toBeGreaterThan(0);
  });
});
