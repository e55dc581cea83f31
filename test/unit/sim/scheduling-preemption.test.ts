import { describe, expect, it } from 'vitest';
import { DEFAULT_PREEMPTION, marqueePolicy } from '../../../lib/core/scheduling';
import { buildArchetypes } from '../../../lib/sim/archetypes';
import type { Fleet } from '../../../lib/sim/fleet';
import { fastLaneRunner, WORK_CONSERVING_MARQUEE } from '../../../lib/sim/plan';
import { NO_FAULTS, simulate } from '../../../lib/sim/simulator';
import { DEFAULT_WORKLOAD } from '../../../lib/sim/workload';

const archetypes = buildArchetypes();

const mixedFleet = (cpu: number, gpu: number): Fleet => ({
  name: 'mixed',
  pools: [
    { id: 'batch-gpu', backend: 'batch-gpu', slots: gpu, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
    { id: 'batch-cpu', backend: 'batch-cpu', slots: cpu, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
  ],
});

describe('preemption in the simulator', () => {
  const workload = { ...DEFAULT_WORKLOAD, uploadsPerDay: 6000, days: 0.25, seed: 3, diurnalAmplitude: 0 };
  const run = () => simulate({ workload, fleet: mixedFleet(6, 2), policy: marqueePolicy(WORK_CONSERVING_MARQUEE), runner: fastLaneRunner(), archetypes, faults: NO_FAULTS, keepJobs: true, preemption: DEFAULT_PREEMPTION, drainHours: 48 });

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
