import { describe, expect, it } from 'vitest';
import { planDeadlineActions } from '../../../lib/core/deadlines';
import { choosePreemption, DEFAULT_PREEMPTION, marqueePolicy, RESERVE_MARQUEE, queueEntryFor, schedule, speedOn, type BackendPool, type QueueEntry, type RunningSlot } from '../../../lib/core/scheduling';
import type { Job, Tier } from '../../../lib/core/types';
import { aPlannedJob } from '../../helpers/factories';

const MIN = 60_000;

const planned = (id: string, tier: Tier, now = 0, durationSec = 60): Job => aPlannedJob(id, tier, { now, durationSec });

const entry = (job: Job, extra: Partial<QueueEntry> = {}): QueueEntry => queueEntryFor(job, job.createdAt, extra);

const gpu = (free: number, expectedFreeInSec = 0): BackendPool => ({ id: 'batch-gpu', backend: 'batch-gpu', slots: 4, free, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true }, expectedFreeInSec });
const cpu = (free: number): BackendPool => ({ id: 'batch-cpu', backend: 'batch-cpu', slots: 10, free, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } });
const mc = (free: number): BackendPool => ({ id: 'mediaconvert', backend: 'mediaconvert', slots: 2, free, speed: 1.5, acceleratedSpeed: 4, pricing: { kind: 'mediaconvert', tier: 'professional' } });

describe('entries that name their backends and speeds (pipeline tasks)', () => {
  it('never sends a task to a backend it cannot run on', () => {
    const task = entry(planned('t', 'premium'), { backends: ['batch-cpu', 'batch-gpu'] });
    const { dispatched } = schedule([task], [mc(2), cpu(0), gpu(0)], 0, marqueePolicy());
    expect(dispatched).toEqual([]);
  });

  it('uses the per-backend speed a task carries instead of the pool speed', () => {
    const av1OnGpu = entry(planned('t', 'standard'), { speedOn: { 'batch-gpu': 0.25 } });
    expect(speedOn(gpu(1), av1OnGpu)).toBe(0.25);
    expect(speedOn(cpu(1), av1OnGpu)).toBe(1);
  });

  it('gives a free GPU to the stolen task it runs best, not merely the first in rank', () => {
    const qc = entry(planned('qc', 'premium', 0), { preferredBackends: ['batch-cpu'], backends: ['batch-cpu', 'batch-gpu'], speedOn: { 'batch-gpu': 0.25 } });
    const encode = entry(planned('enc', 'premium', MIN), { preferredBackends: ['batch-cpu'], backends: ['batch-cpu', 'batch-gpu'], speedOn: { 'batch-gpu': 4 } });
    const { dispatched } = schedule([qc, encode], [cpu(0), gpu(1)], 2 * MIN, marqueePolicy());
    expect(dispatched.map((d) => [d.entry.job.id, d.pool.id])).toEqual([['enc', 'batch-gpu']]);
  });

  it('keeps a task on its preferred worker class while one is free', () => {
    const uhd = entry(planned('4k', 'standard'), { preferredBackends: ['batch-gpu'], backends: ['batch-cpu', 'batch-gpu'] });
    const { dispatched } = schedule([uhd], [cpu(5), gpu(1)], 0, marqueePolicy());
    expect(dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
  });
});

describe('work-conserving fast lane', () => {
  it('hands a slot left idle after the walk to a premium job that chose to wait for a faster pool (by default)', () => {
    const prem = entry(planned('p', 'premium'));
    const waiting = schedule([prem], [cpu(1), gpu(0, 30)], 0, marqueePolicy(), { workConserving: false });
    expect(waiting.dispatched).toEqual([]);
    const conserving = schedule([prem], [cpu(1), gpu(0, 30)], 0, marqueePolicy());
    expect(conserving.dispatched.map((d) => d.pool.id)).toEqual(['batch-cpu']);
  });

  it('bounds the total wait for a faster pool: a job queued past the bound takes the free slot', () => {
    const prem = planned('p', 'premium', 0);
    const { dispatched } = schedule([entry(prem)], [cpu(1), gpu(0, 30)], 10 * MIN, marqueePolicy());
    expect(dispatched.map((d) => d.pool.id)).toEqual(['batch-cpu']);
  });

  it('lets standard work overflow onto fast pools only when no slow slot is free', () => {
    const policy = marqueePolicy();
    const std = entry(planned('s', 'standard'));
    expect(policy.choosePool(std, [cpu(1), gpu(4)], 0)?.pool.id).toBe('batch-cpu');
    expect(policy.choosePool(std, [cpu(0), gpu(4)], 0)?.pool.id).toBe('batch-gpu');
    // The old idle reserve would have refused the last GPU slots.
    expect(marqueePolicy(RESERVE_MARQUEE).choosePool(std, [cpu(0), gpu(1)], 0)).toBeNull();
  });

  it('ranks a long title of a tier behind a short one queued a little later, within the cap', () => {
    const policy = marqueePolicy({ sizeOffsetMsPerWorkSec: 250, sizeOffsetCapMinutes: 15 });
    const far = (j: Job) => ({ ...j, deadlineAt: 24 * 60 * MIN });
    const long = entry(far(planned('long', 'premium', 0, 2700)));
    const short = entry(far(planned('short', 'premium', MIN, 60)));
    expect(policy.rankKey(short)).toBeLessThan(policy.rankKey(long));
    const later = entry(far(planned('later', 'premium', 20 * MIN, 60)));
    expect(policy.rankKey(long)).toBeLessThan(policy.rankKey(later));
  });

  it('judges urgency of a pipeline task on its whole job (jobWorkP90)', () => {
    const policy = marqueePolicy();
    const job = { ...planned('j', 'standard', 0, 600), deadlineAt: 300 * MIN };
    const chunk = entry(job, { workP50: 30, workP90: 40 });
    expect(policy.reason(chunk)).toBe('priority');
    expect(policy.reason({ ...chunk, jobWorkP90: 250 * 60 })).toBe('urgent');
  });
});

describe('deadline sweep over pre-filtered candidates', () => {
  it('acts on candidates only, and a raise ranks the job ahead of aged work at the front of the queue', () => {
    const policy = marqueePolicy();
    const now = 300 * MIN;
    const atRisk = entry({ ...planned('late', 'critical', now - MIN, 1200), deadlineAt: now + 30 * MIN });
    const fine = entry(planned('fine', 'bulk', now - 2 * MIN, 60));
    const plans = planDeadlineActions({ queued: [atRisk, fine], candidates: [atRisk], pools: [cpu(0)], now, policy, frontRankKey: now - 200 * MIN });
    expect(plans.map((p) => p.jobId)).toEqual(['late']);
    const raised = plans[0]!;
    expect(raised.steps).toContain('raise-priority');
    expect(policy.rankKey({ ...atRisk, boostMs: raised.boostMs ?? 0 })).toBeLessThan(now - 60 * MIN);
  });
});

describe('bounded preemption', () => {
  const slot = (over: Partial<RunningSlot> = {}): RunningSlot => ({ id: 'r1', poolId: 'batch-gpu', tier: 'standard', startedAt: 0, protected: false, preemptions: 0, ...over });

  it('lets a premium job take a fast slot from the youngest young standard task', () => {
    const prem = entry(planned('p', 'premium'));
    const pick = choosePreemption(prem, 1, [slot({ id: 'old', startedAt: 0 }), slot({ id: 'young', startedAt: 60_000 })], [cpu(1), gpu(0)], 100_000);
    expect(pick?.victim.id).toBe('young');
    expect(pick?.pool.id).toBe('batch-gpu');
  });

  it('never preempts for a standard job, nor protected, premium, already-preempted or old work', () => {
    const pools = [cpu(1), gpu(0)];
    expect(choosePreemption(entry(planned('s', 'standard')), 1, [slot()], pools, 10_000)).toBeNull();
    const prem = entry(planned('p', 'premium'));
    expect(choosePreemption(prem, 1, [slot({ protected: true })], pools, 10_000)).toBeNull();
    expect(choosePreemption(prem, 1, [slot({ tier: 'premium' })], pools, 10_000)).toBeNull();
    expect(choosePreemption(prem, 1, [slot({ preemptions: 1 })], pools, 10_000)).toBeNull();
    expect(choosePreemption(prem, 1, [slot({ startedAt: 0 })], pools, (DEFAULT_PREEMPTION.maxLostSec + 1) * 1000)).toBeNull();
    // Not worth it when the fast slot is not at least minSpeedup faster than the slot it would get.
    expect(choosePreemption(prem, 3, [slot()], pools, 10_000)).toBeNull();
  });
});
