import { describe, expect, it } from 'vitest';
import { byValue, planDeadlineActions } from '../../../lib/core/deadlines';
import { fifoPolicy, marqueePolicy, queueEntryFor, type BackendPool, type QueueEntry } from '../../../lib/core/scheduling';
import type { Job, Tier } from '../../../lib/core/types';
import { aPlannedJob } from '../../helpers/factories';

const MIN = 60_000;

const planned = (id: string, tier: Tier, durationSec: number, now = 0): Job => aPlannedJob(id, tier, { now, durationSec });

const cpuOnly = (slots: number, free = 0): BackendPool[] => [
  { id: 'batch-cpu', backend: 'batch-cpu', slots, free, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true }, expectedFreeInSec: 60 },
];
const withGpu = (gpuFree: number): BackendPool[] => [
  ...cpuOnly(4),
  { id: 'batch-gpu', backend: 'batch-gpu', slots: 1, free: gpuFree, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true }, expectedFreeInSec: 30 },
];

/** A queue of background work that keeps the fleet busy for `minutes`. */
function backlog(minutes: number, slots: number, now = 0): QueueEntry[] {
  const job = planned('bg', 'bulk', 60, now);
  const per = job.prediction!.wallSecP50;
  const n = Math.ceil((minutes * 60 * slots) / per);
  return Array.from({ length: n }, (_, i) => queueEntryFor({ ...job, id: `bg-${i}` }, now - 1000 * MIN));
}

describe('planDeadlineActions', () => {
  const policy = marqueePolicy();

  it('raises the priority of a queued job whose P90 finish is past its deadline, at no quality cost', () => {
    const job = planned('s', 'standard', 60);
    const atRisk = queueEntryFor({ ...job, deadlineAt: 40 * MIN }, 0);
    const plans = planDeadlineActions({ queued: [...backlog(60, 4), atRisk], pools: cpuOnly(4), now: 0, policy });
    const plan = plans.find((p) => p.jobId === 's')!;
    expect(plan.steps).toEqual(['raise-priority']);
    expect(plan.qualityCostVmaf).toBe(0);
    expect(plan.boostMs).toBeGreaterThan(0);
    expect(plan.job.decisions.at(-1)).toMatchObject({ kind: 'deadline', action: 'raise-priority', qualityCostVmaf: 0 });
    expect(plan.job.decisions.at(-1)!.expectedGainSec).toBeGreaterThan(0);
  });

  it('switches to a faster variant when a raise alone cannot make the deadline, recording the quality cost', () => {
    const job = planned('c', 'critical', 1800);
    const e = queueEntryFor({ ...job, deadlineAt: ((job.prediction!.wallSecP90 * 0.8) * 1000) }, 0);
    const plan = planDeadlineActions({ queued: [e], pools: cpuOnly(4, 4), now: 0, policy })[0]!;
    expect(plan.steps).toContain('switch-variant');
    expect(plan.variantLevel).toBeGreaterThan(0);
    expect(plan.job.recipe!.activeVariant).toBe(plan.variantLevel);
    expect(plan.qualityCostVmaf).toBeGreaterThan(0);
    expect(plan.job.decisions.some((d) => d.action.startsWith('switch-variant') && (d.qualityCostVmaf ?? 0) > 0)).toBe(true);
  });

  it('prefers moving to a faster backend (no quality cost) over a faster preset', () => {
    const job = planned('p', 'premium', 1800);
    const e = queueEntryFor({ ...job, deadlineAt: job.prediction!.wallSecP90 * 0.6 * 1000 }, 0, { pinnedPool: 'batch-cpu' });
    const plan = planDeadlineActions({ queued: [e], pools: withGpu(1), now: 0, policy })[0]!;
    expect(plan.steps).toContain('move-backend');
    expect(plan.pinnedPool).toBe('batch-gpu');
    expect(plan.qualityCostVmaf).toBe(0);
  });

  it('judges risk at the speed of pools that have slots (a backend scaled to zero is not a fast slot)', () => {
    const job = planned('z', 'premium', 1800);
    const e = queueEntryFor({ ...job, deadlineAt: job.prediction!.wallSecP90 * 0.6 * 1000 }, 0);
    const pools = withGpu(0).map((p) => (p.id === 'batch-gpu' ? { ...p, slots: 0 } : p));
    const plan = planDeadlineActions({ queued: [e], pools, now: 0, policy }).find((p) => p.jobId === 'z');
    expect(plan?.steps).toContain('switch-variant');
    expect(plan?.pinnedPool).not.toBe('batch-gpu');
  });

  it('resolves two high-priority jobs competing for the one fast slot by value, explicitly', () => {
    const a = planned('crit', 'critical', 1800);
    const b = planned('prem', 'premium', 1800);
    const deadline = a.prediction!.wallSecP90 * 0.45 * 1000;
    const ea = queueEntryFor({ ...a, deadlineAt: deadline }, 0, { pinnedPool: 'batch-cpu' });
    const eb = queueEntryFor({ ...b, deadlineAt: deadline }, 0, { pinnedPool: 'batch-cpu' });
    const plans = planDeadlineActions({ queued: [eb, ea], pools: withGpu(1), now: 0, policy });
    const pa = plans.find((p) => p.jobId === 'crit')!;
    const pb = plans.find((p) => p.jobId === 'prem')!;
    expect(pa.conflictWith).toBeUndefined();
    expect(pb.conflictWith).toBe('crit');
    expect(pa.qualityCostVmaf).toBeLessThanOrEqual(pb.qualityCostVmaf);
    expect(pb.job.decisions.at(-1)!.reason).toMatch(/conflict with crit/);
  });

  it('restarts a running job on a faster variant while little of it is done', () => {
    const job = planned('r', 'critical', 1800);
    const p90 = job.prediction!.wallSecP90;
    const plans = planDeadlineActions({
      queued: [],
      running: [{ job: { ...job, deadlineAt: p90 * 0.7 * 1000 }, poolId: 'batch-cpu', startedAt: 0, expectedEndP90: p90 * 1000, progress: 0.05, workP90: p90 }],
      pools: withGpu(1),
      now: 10_000,
      policy,
    });
    expect(plans[0]).toMatchObject({ jobId: 'r', steps: ['restart-faster'], pinnedPool: 'batch-gpu' });
  });

  it('leaves jobs that will make their deadline alone', () => {
    const e = queueEntryFor(planned('ok', 'standard', 60), 0);
    expect(planDeadlineActions({ queued: [e], pools: cpuOnly(4, 4), now: 0, policy })).toEqual([]);
  });

  it('does nothing for policies without deadline management', () => {
    const e = queueEntryFor({ ...planned('x', 'standard', 600), deadlineAt: 1 }, 0);
    expect(planDeadlineActions({ queued: [e], pools: cpuOnly(1), now: 0, policy: fifoPolicy })).toEqual([]);
  });

  it('orders by value: emergency, tier, score', () => {
    const jobs = [planned('b', 'bulk', 60), planned('c', 'critical', 60), planned('p', 'premium', 60)];
    expect([...jobs].sort(byValue).map((j) => j.id)).toEqual(['c', 'p', 'b']);
  });
});
