import { describe, expect, it } from 'vitest';
import { DEFAULT_PREEMPTION, marqueePolicy, NO_EXPRESS_LANE } from '../../../lib/core/scheduling';
import type { BusinessMetadata, Tier } from '../../../lib/core/types';
import { buildArchetypes } from '../../../lib/sim/archetypes';
import type { Fleet } from '../../../lib/sim/fleet';
import { fastLaneRunner } from '../../../lib/sim/plan';
import { NO_FAULTS, simulate, type PublishedJob } from '../../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, type Upload } from '../../../lib/sim/workload';
import { TIER_METADATA } from '../../helpers/factories';

const archetypes = buildArchetypes();
const hd = archetypes.find((a) => a.height === 1080 && a.contentClass === 'general')!;
const upload = (index: number, tier: Tier, atMs: number, durationSec: number): Upload => ({ index, atMs, archetype: hd.index, durationSec, metadata: { monetized: false, premium: false, formats: ['abr'], ...TIER_METADATA[tier] } as BusinessMetadata, noiseZ: 0, crashU: 1, stuckU: 1 });

const mixedFleet = (cpu: number, gpu: number): Fleet => ({
  name: 'mixed',
  pools: [
    { id: 'batch-gpu', backend: 'batch-gpu', slots: gpu, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
    { id: 'batch-cpu', backend: 'batch-cpu', slots: cpu, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
  ],
});

describe('preemption in the simulator', () => {
  const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay: 6000, days: 0.25, seed: 3, diurnalAmplitude: 0 };
  const run = () => simulate({ workload, fleet: mixedFleet(6, 2), policy: marqueePolicy(), runner: fastLaneRunner(), archetypes, faults: NO_FAULTS, keepJobs: true, preemption: DEFAULT_PREEMPTION, drainHours: 48 });

  it('does not charge a preempted job an attempt: it goes back to QUEUED, never through RETRYING', () => {
    const res = run();
    const victims = res.jobs!.filter((j) => j.decisions.some((d) => /^preempt/.test(d.action)));
    expect(victims.length).toBeGreaterThan(0);
    for (const j of victims) {
      expect(j.attempts).toBe(0);
      expect(j.history.some((h) => h.to === 'RETRYING')).toBe(false);
      expect(j.history.some((h) => h.from === 'ENCODING' && h.to === 'QUEUED' && /preempted/.test(h.reason))).toBe(true);
      expect(j.status).toBe('PUBLISHED');
    }
    expect(res.metrics.retries).toBe(0);
    expect(res.metrics.lostJobs + res.metrics.duplicatedJobs).toBe(0);
  });
});

describe('waiting preemption in the simulator', () => {
  // Four long bulk titles fill every slot (no express slot: it would stay free for the premium
  // title); a short premium title arrives a minute later.
  const scenario = (preemption = DEFAULT_PREEMPTION) => {
    const published: PublishedJob[] = [];
    const extraUploads = [0, 1, 2, 3].map((i) => upload(i, 'bulk', i * 100, 1800)).concat(upload(9, 'premium', 60_000, 60));
    const res = simulate({ workload: { ...DEFAULT_WORKLOAD, uploadsPerDay: 0, days: 0.01 }, fleet: mixedFleet(2, 2), policy: marqueePolicy(NO_EXPRESS_LANE), runner: fastLaneRunner(), archetypes, faults: NO_FAULTS, extraUploads, keepJobs: true, preemption, onPublished: (j) => published.push(j) });
    return { res, premium: published.find((j) => j.id === 'u9')! };
  };

  it('starts a premium title that has waited past its budget on a GPU slot taken from young bulk work', () => {
    const { res, premium } = scenario();
    expect(premium.startedAt - premium.createdAt).toBe(DEFAULT_PREEMPTION.minWaitSec! * 1000);
    const victims = res.jobs!.filter((j) => j.decisions.some((d) => /^preempt/.test(d.action)));
    expect(victims.length).toBeGreaterThan(0);
    expect(victims.every((j) => j.value!.tier === 'bulk')).toBe(true);
    expect(victims.every((j) => j.attempts === 0 && j.status === 'PUBLISHED')).toBe(true);
    expect(res.metrics.lostJobs + res.metrics.duplicatedJobs).toBe(0);
  });

  it('without a wait budget the premium title waits for a slot to free', () => {
    const { premium } = scenario({ ...DEFAULT_PREEMPTION, waitSecPerContentMin: undefined });
    expect(premium.startedAt - premium.createdAt).toBeGreaterThan(DEFAULT_PREEMPTION.maxLostSec * 1000);
  });
});

describe('utilisation of a run cut off at the drain limit', () => {
  it('counts the slot time of tasks still running at the end as busy', () => {
    const fleet: Fleet = { name: 'one', pools: [mixedFleet(1, 0).pools[1]!] };
    const res = simulate({ workload: { ...DEFAULT_WORKLOAD, uploadsPerDay: 0, days: 1 / 24 }, fleet, policy: marqueePolicy(), archetypes, faults: NO_FAULTS, extraUploads: [upload(0, 'standard', 0, 3 * 3600)], drainHours: 0 });
    expect(res.metrics.published).toBe(0);
    expect(res.metrics.utilisation).toBeCloseTo(1, 6);
  });
});
