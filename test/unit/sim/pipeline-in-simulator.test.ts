import { describe, expect, it } from 'vitest';
import { DEFAULT_PREEMPTION, marqueePolicy } from '../../../lib/core/scheduling';
import { buildArchetypes } from '../../../lib/sim/archetypes';
import type { Fleet } from '../../../lib/sim/fleet';
import { fastLaneRunner } from '../../../lib/sim/plan';
import { criticalPathWork, DEFAULT_DEVICE_SPEEDS, monolithicRunner, titleRunner, type PlanContext } from '../../../lib/sim/runner';
import { NO_FAULTS, simulate, type PublishedJob } from '../../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, type Upload } from '../../../lib/sim/workload';
import { aJob } from '../../helpers/factories';

const archetypes = buildArchetypes();
const uhd = archetypes.find((a) => a.height === 2160 && (a.rungs[0] ?? []).some((r) => r.rendition.height >= 2160))!;
const hd = archetypes.find((a) => a.height === 1080 && a.contentClass === 'general')!;

function ctx(over: Partial<PlanContext> = {}, arche = uhd, durationSec = 1800): PlanContext {
  const rungs = arche.rungs[0]!;
  return { job: aJob({ id: 'j1' }), tier: 'premium', durationSec, workP50: arche.secPerSecP50[0]! * durationSec, rungs, available: ['batch-cpu', 'batch-gpu'], idleSlots: 100, ...over };
}

const mixedFleet = (cpu: number, gpu: number): Fleet => ({
  name: 'mixed',
  pools: [
    { id: 'batch-gpu', backend: 'batch-gpu', slots: gpu, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
    { id: 'batch-cpu', backend: 'batch-cpu', slots: cpu, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
  ],
});

const premium4k = (index: number, atMs: number, durationSec: number): Upload => ({ index, atMs, archetype: uhd.index, durationSec, metadata: { creatorTier: 'star', expectedViews: 2_000_000, monetized: true, premium: true, formats: ['abr'] }, noiseZ: 0, crashU: 1, stuckU: 1 });

describe('job runners', () => {
  it('plans a monolithic title as one task carrying the whole encode', () => {
    const plan = monolithicRunner.plan(ctx());
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]!.work).toBeCloseTo(ctx().workP50, 6);
  });

  it('prices a monolithic title on a GPU worker at its blended NVENC + host CPU speed', () => {
    const r = titleRunner({ shape: 'monolithic', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true });
    const speed = r.plan(ctx()).tasks[0]!.speedOn!['batch-gpu']!;
    expect(speed).toBeGreaterThan(DEFAULT_DEVICE_SPEEDS.gpuHost);
    expect(speed).toBeLessThan(DEFAULT_DEVICE_SPEEDS.gpuNvenc);
  });

  it('splits a long 4K title into chunks that prefer GPU workers, joined before packaging, with the same encode work', () => {
    const r = titleRunner({ shape: 'multi-stage', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true });
    const plan = r.plan(ctx());
    const chunks = plan.tasks.filter((t) => t.stage === 'encode' && t.preferred?.includes('batch-gpu'));
    expect(chunks.length).toBeGreaterThan(1);
    const joins = plan.tasks.map((t, i) => ({ t, i })).filter(({ t }) => t.stage === 'join');
    expect(joins.length).toBeGreaterThan(0);
    for (const { t } of joins) {
      expect(t.creditWork).toBe(0);
      expect(t.dependsOn.length).toBeGreaterThan(1);
    }
    // Each chunked rendition is packaged after its own join.
    const packagedAfter = plan.tasks.filter((t) => t.stage === 'package').flatMap((t) => t.dependsOn);
    expect(packagedAfter).toEqual(expect.arrayContaining(joins.map(({ i }) => i)));
    const encodeCredit = plan.tasks.filter((t) => t.stage === 'encode').reduce((a, t) => a + (t.creditWork ?? t.work), 0);
    expect(encodeCredit).toBeCloseTo(ctx().workP50, 0);
    expect(criticalPathWork(plan)).toBeLessThan(plan.tasks.reduce((a, t) => a + t.work + t.fixedSec, 0) / 4);
  });

  it('credits a title the same reference work in both shapes, however verification is split', () => {
    const sd = archetypes.find((a) => a.height === 720 && a.contentClass === 'general')!;
    for (const [arche, d] of [[uhd, 1800], [sd, 1200], [sd, 120]] as const) {
      const credit = (shape: 'monolithic' | 'multi-stage') => titleRunner({ shape, devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true }).plan(ctx({}, arche, d)).tasks.reduce((a, t) => a + (t.creditWork ?? t.work), 0);
      expect(credit('multi-stage')).toBeCloseTo(credit('monolithic'), 6);
    }
  });

  it('sends a monolithic title to the worker class it runs fastest on when told to', () => {
    const r = titleRunner({ shape: 'monolithic', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true, monolithicPlacement: 'fastest' });
    for (const [arche, d] of [[uhd, 1800], [archetypes.find((a) => a.height === 480)!, 120]] as const) {
      const t = r.plan(ctx({}, arche, d)).tasks[0]!;
      expect(t.preferred).toEqual(t.speedOn!['batch-gpu']! > 1 ? ['batch-gpu'] : ['batch-cpu', 'local']);
      expect(t.backends).toContain('batch-gpu');
    }
    expect(titleRunner({ shape: 'monolithic', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true }).plan(ctx()).tasks[0]!.preferred).toBeUndefined();
  });

  it('charges a one-pass monolithic ladder less work for the same credit', () => {
    const plain = titleRunner({ shape: 'monolithic', stageCosts: true }).plan(ctx({}, hd, 600)).tasks[0]!;
    const onePass = titleRunner({ shape: 'monolithic', stageCosts: true, monolithicSharedDecode: 0.3 }).plan(ctx({}, hd, 600)).tasks[0]!;
    expect(onePass.work).toBeLessThan(plain.work);
    expect(onePass.creditWork).toBeCloseTo(plain.work, 6);
  });

  it('encodes a whole ladder in one process from one decode when planned at saturation, but splits a premium title', () => {
    const r = titleRunner({ shape: 'multi-stage', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true, chunkToIdle: true, groupWhenBusy: true, alwaysChunkTiers: ['premium'] });
    const busy = r.plan(ctx({ tier: 'standard', idleSlots: 0 }, hd, 600)).tasks.filter((t) => t.stage === 'encode');
    expect(busy).toHaveLength(1);
    const separate = hd.rungs[0]!.reduce((a, x) => a + x.secPerSec * 600, 0);
    expect(busy[0]!.creditWork).toBeCloseTo(separate, 6);
    expect(busy[0]!.work).toBeLessThan(separate);
    expect(r.plan(ctx({ tier: 'standard', idleSlots: 10 }, hd, 600)).tasks.filter((t) => t.stage === 'encode').length).toBeGreaterThan(1);
    expect(r.plan(ctx({ tier: 'premium', idleSlots: 0 }, hd, 600)).tasks.filter((t) => t.stage === 'encode').length).toBeGreaterThan(1);
  });

  it('chunks only as wide as the idle workers when told to, unless the tier always chunks', () => {
    const r = titleRunner({ shape: 'multi-stage', stageCosts: false, chunkToIdle: true, alwaysChunkTiers: ['premium'] });
    expect(r.plan(ctx({ tier: 'standard', idleSlots: 0 })).tasks.filter((t) => t.stage === 'join')).toEqual([]);
    expect(r.plan(ctx({ tier: 'premium', idleSlots: 0 })).tasks.filter((t) => t.stage === 'join').length).toBeGreaterThan(0);
  });

  it('runs only the fast-lane tiers multi-stage in the scheduling bench runner', () => {
    const r = fastLaneRunner();
    expect(r.plan(ctx({ tier: 'standard' }, hd, 600)).tasks).toHaveLength(1);
    expect(r.plan(ctx({ tier: 'premium' }, hd, 600)).tasks.length).toBeGreaterThan(1);
  });
});

describe('the multi-stage pipeline inside the simulator', () => {
  const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay: 1200, days: 0.25, seed: 5, diurnalAmplitude: 0 };
  const runner = titleRunner({ shape: 'multi-stage', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true });

  it('publishes every title exactly once with the real scheduler, with a long 4K premium title far faster than monolithic', () => {
    const extra = [premium4k(900_000, 3600_000, 2400)];
    const run = (r = runner) => {
      const published: PublishedJob[] = [];
      const res = simulate({ workload, fleet: mixedFleet(12, 3), policy: marqueePolicy(), runner: r, archetypes, faults: NO_FAULTS, extraUploads: extra, keepJobs: true, onPublished: (j) => published.push(j) });
      return { res, latency: published.find((j) => j.id === 'u900000')!.finishedAt - 3600_000 };
    };
    const multi = run();
    const mono = run(titleRunner({ shape: 'monolithic', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true }));
    for (const { res } of [multi, mono]) {
      expect(res.metrics.lostJobs).toBe(0);
      expect(res.metrics.duplicatedJobs).toBe(0);
      expect(res.metrics.published).toBe(res.metrics.jobs);
    }
    expect(multi.res.tasksRun).toBeGreaterThan(mono.res.tasksRun);
    expect(multi.latency * 2).toBeLessThan(mono.latency);
    const job = multi.res.jobs!.find((j) => j.id === 'u900000')!;
    expect(job.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'PUBLISHED']);
  });

  it('retries a crashed chunk alone and keeps the title encoding', () => {
    const res = simulate({ workload: { ...workload, uploadsPerDay: 0 }, fleet: mixedFleet(8, 2), policy: marqueePolicy(), runner, archetypes, faults: { ...NO_FAULTS, crashRate: 0.05 }, extraUploads: [premium4k(1, 0, 1800)], keepJobs: true });
    const job = res.jobs![0]!;
    expect(job.status).toBe('PUBLISHED');
    const retries = job.history.filter((h) => h.to === 'RETRYING');
    expect(retries.length).toBeGreaterThan(0);
    expect(job.history.some((h) => h.to === 'ENCODING' && /failed task is requeued alone/.test(h.reason))).toBe(true);
    expect(res.metrics.lostJobs + res.metrics.duplicatedJobs).toBe(0);
  });
});

describe('bounded preemption in the simulator', () => {
  it('moves young standard overflow off a GPU for a premium title, requeues it, and loses no job', () => {
    const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay: 6000, days: 0.25, seed: 3, diurnalAmplitude: 0 };
    const fleet = mixedFleet(6, 2);
    const res = simulate({ workload, fleet, policy: marqueePolicy(), runner: fastLaneRunner(), archetypes, faults: NO_FAULTS, keepJobs: true, preemption: DEFAULT_PREEMPTION, drainHours: 48 });
    expect(res.metrics.preemptions).toBeGreaterThan(0);
    expect(res.metrics.preemptedSec / res.metrics.preemptions).toBeLessThanOrEqual(DEFAULT_PREEMPTION.maxLostSec);
    const victims = res.jobs!.filter((j) => j.history.some((h) => /preempted on batch-gpu/.test(h.reason)));
    expect(victims.length).toBeGreaterThan(0);
    expect(victims.every((j) => j.value!.tier === 'standard' || j.value!.tier === 'bulk')).toBe(true);
    expect(victims.every((j) => j.status === 'PUBLISHED')).toBe(true);
    expect(res.metrics.lostJobs + res.metrics.duplicatedJobs).toBe(0);
  });
});
