import { describe, expect, it } from 'vitest';
import { choosePreemption, DEFAULT_MARQUEE_OPTIONS, DEFAULT_PREEMPTION, EXPRESS_LANE, marqueePolicy, NO_EXPRESS_LANE, planPreemptions, queueEntryFor, schedule, waitingPreemptionAt, type BackendPool, type Dispatch, type QueueEntry, type RunningSlot } from '../../../lib/core/scheduling';
import type { Job, Tier } from '../../../lib/core/types';
import { aPlannedJob } from '../../helpers/factories';

const planned = (id: string, tier: Tier, durationSec = 60): Job => aPlannedJob(id, tier, { now: 0, durationSec });
const entry = (job: Job, extra: Partial<QueueEntry> = {}): QueueEntry => queueEntryFor(job, job.createdAt, extra);
const gpu = (free: number, slots = 6): BackendPool => ({ id: 'batch-gpu', backend: 'batch-gpu', slots, free, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true }, expectedFreeInSec: free > 0 ? 0 : 60 });
const cpu = (free: number): BackendPool => ({ id: 'batch-cpu', backend: 'batch-cpu', slots: 40, free, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } });
/** The shipped policy: work-conserving options plus the express lane. */
const express = marqueePolicy();
const MAX_RUN = EXPRESS_LANE.expressMaxRunSec!;

describe('express GPU slots', () => {
  // P90 work such that the run on a 4x GPU is well above / below the express bound.
  const longOnGpu = { workP50: 8 * MAX_RUN, workP90: 8 * MAX_RUN };
  const shortOnGpu = { workP50: MAX_RUN, workP90: 2 * MAX_RUN };

  it('keeps the last free GPU slot from a long premium title, which then takes a CPU slot', () => {
    const long = entry(planned('long', 'premium', 2700), longOnGpu);
    const { dispatched } = schedule([long], [cpu(3), gpu(1)], 0, express);
    expect(dispatched.map((d) => d.pool.id)).toEqual(['batch-cpu']);
  });

  it('gives the last free GPU slot to short work of any tier, and long work may use the others', () => {
    const short = entry(planned('short', 'premium'), shortOnGpu);
    expect(schedule([short], [cpu(0), gpu(1)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
    const bulk = entry(planned('bulk', 'bulk'), shortOnGpu);
    expect(schedule([bulk], [cpu(0), gpu(1)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
    const long = entry(planned('long', 'premium', 2700), longOnGpu);
    expect(schedule([long], [cpu(0), gpu(2)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
  });

  it('ships the express lane in the default options', () => {
    expect(DEFAULT_MARQUEE_OPTIONS).toMatchObject(EXPRESS_LANE);
  });

  it("never makes a pool's last general slot express (a 1-slot GPU pool takes long work; the AWS default's 8 keep 2 express)", () => {
    const long = entry(planned('long', 'standard', 2700), longOnGpu);
    expect(schedule([long], [cpu(0), gpu(1, 1)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
    expect(schedule([long], [cpu(0), gpu(2, 8)], 0, express).dispatched).toEqual([]);
    expect(schedule([long], [cpu(0), gpu(3, 8)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
  });

  it('sizes the express slots with the pool (⌈share × slots⌉) and exempts critical work', () => {
    const long = entry(planned('long', 'standard', 2700), longOnGpu);
    const bigGpu = gpu(2, 12);
    expect(schedule([long], [cpu(0), bigGpu], 0, express).dispatched).toEqual([]);
    expect(schedule([long], [cpu(0), { ...bigGpu, free: 3 }], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
    const critical = entry(planned('crit', 'critical', 2700), longOnGpu);
    expect(schedule([critical], [cpu(3), gpu(1)], 0, express).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
  });

  it('does not make a long title wait for a busy GPU whose next free slot it could not take', () => {
    const long = entry(planned('long', 'premium', 2700), longOnGpu);
    const res = schedule([long], [cpu(1), gpu(0)], 0, express);
    expect(res.dispatched.map((d) => d.pool.id)).toEqual(['batch-cpu']);
  });

  it('changes nothing when no express share is configured', () => {
    const long = entry(planned('long', 'premium', 2700), longOnGpu);
    const plain = marqueePolicy(NO_EXPRESS_LANE);
    expect(schedule([long], [cpu(3), gpu(1)], 0, plain).dispatched.map((d) => d.pool.id)).toEqual(['batch-gpu']);
  });
});

describe('waiting preemption', () => {
  const slot = (over: Partial<RunningSlot> = {}): RunningSlot => ({ id: 'r1', poolId: 'batch-gpu', tier: 'bulk', startedAt: 0, protected: false, preemptions: 0, ...over });

  it('gives a queued fast-lane title a wait budget that grows with its length, with a floor', () => {
    const short = entry(planned('short', 'premium', 30));
    const long = entry(planned('long', 'premium', 1800));
    expect(waitingPreemptionAt(short)).toBe(DEFAULT_PREEMPTION.minWaitSec! * 1000);
    expect(waitingPreemptionAt(long)).toBe(30 * DEFAULT_PREEMPTION.waitSecPerContentMin! * 1000);
  });

  it('is off for tiers that may not preempt, and when no budget is configured', () => {
    expect(waitingPreemptionAt(entry(planned('s', 'standard')))).toBe(Infinity);
    expect(waitingPreemptionAt(entry(planned('p', 'premium')), { ...DEFAULT_PREEMPTION, waitSecPerContentMin: undefined })).toBe(Infinity);
    expect(waitingPreemptionAt(entry(planned('s', 'standard'), { emergency: true }))).toBeLessThan(Infinity);
  });

  it('takes the slot on the fastest pool worth it, the youngest victim there', () => {
    const prem = entry(planned('p', 'premium'));
    const running = [slot({ id: 'cpu-young', poolId: 'batch-cpu', startedAt: 90_000 }), slot({ id: 'gpu-old', startedAt: 10_000 }), slot({ id: 'gpu-young', startedAt: 50_000 })];
    // Waiting with no slot: onSpeed is the slowest pool it could run on (CPU, 1), so only a ≥ 2x pool qualifies.
    expect(choosePreemption(prem, 1, running, [cpu(0), gpu(0)], 100_000)?.victim.id).toBe('gpu-young');
    expect(choosePreemption(prem, 1, [running[0]!], [cpu(0), gpu(0)], 100_000)).toBeNull();
  });
});

describe('bounded preemption over a dispatch round (planPreemptions)', () => {
  const slot = (over: Partial<RunningSlot> = {}): RunningSlot => ({ id: 'bulk-gpu', poolId: 'batch-gpu', tier: 'bulk', startedAt: 60_000, protected: false, preemptions: 0, ...over });
  const now = 100_000;
  const onCpu = (e: QueueEntry, pool = cpu(1)): Dispatch => ({ entry: e, pool, speed: 1, estCostUsd: 0.01, reason: 'priority' });
  const round = (over: Partial<Parameters<typeof planPreemptions>[0]>) => planPreemptions({ dispatched: [], waiting: [], running: [slot()], pools: [cpu(0), gpu(0)], policy: express, now, ...over });

  it('moves a premium title about to start on a slow slot onto the GPU slot of young bulk work', () => {
    const prem = entry(planned('p', 'premium'));
    const d = onCpu(prem);
    const picks = round({ dispatched: [d], pools: [cpu(1), gpu(0)] });
    expect(picks).toHaveLength(1);
    expect(picks[0]).toMatchObject({ rule: 'at-start', replaces: d, speed: 4, victim: { id: 'bulk-gpu' } });
    expect(picks[0]!.pool.id).toBe('batch-gpu');
  });

  it('gives a premium title with no slot, waiting past its budget, the GPU slot; not before its budget, nor when a slot is free for it', () => {
    const prem = entry(planned('p', 'premium'));
    expect(round({ waiting: [prem] }).map((p) => [p.rule, p.entry.job.id, p.victim.id])).toEqual([['waiting', 'p', 'bulk-gpu']]);
    expect(round({ waiting: [prem], now: DEFAULT_PREEMPTION.minWaitSec! * 1000 - 1 })).toEqual([]);
    expect(round({ waiting: [prem], pools: [cpu(1), gpu(0)] })).toEqual([]);
  });

  it('takes each victim once, only on pools the round leaves full, and a pinned entry only on its pool', () => {
    const a = entry(planned('a', 'premium'));
    const b = entry(planned('b', 'premium'));
    expect(round({ waiting: [a, b] }).map((p) => p.entry.job.id)).toEqual(['a']);
    expect(round({ waiting: [a], pools: [cpu(0), gpu(1)], dispatched: [] })).toEqual([]);
    expect(round({ waiting: [entry(planned('pin', 'premium'), { pinnedPool: 'batch-cpu' })] })).toEqual([]);
    expect(round({ waiting: [entry(planned('s', 'standard'))] })).toEqual([]);
  });
});
