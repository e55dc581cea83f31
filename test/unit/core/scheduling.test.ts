import { describe, expect, it } from 'vitest';
import {
  admit,
  agingOffsetMs,
  edfPolicy,
  fifoPolicy,
  marqueePolicy,
  policyByName,
  RESERVE_MARQUEE,
  queueEntryFor,
  rankQueue,
  schedule,
  strictTierPolicy,
  type BackendPool,
  type QueueEntry,
} from '../../../lib/core/scheduling';
import type { Job, Tier } from '../../../lib/core/types';
import { escalate } from '../../../lib/core/value';
import { aPlannedJob } from '../../helpers/factories';

const MIN = 60_000;

const planned = (id: string, tier: Tier, now = 0, durationSec = 60): Job => aPlannedJob(id, tier, { now, durationSec });

function entry(job: Job, queuedAt = job.createdAt, extra: Partial<QueueEntry> = {}): QueueEntry {
  return queueEntryFor(job, queuedAt, extra);
}

const pools = (free: Partial<Record<string, number>> = {}): BackendPool[] => [
  { id: 'mediaconvert', backend: 'mediaconvert', slots: 2, free: free.mediaconvert ?? 2, speed: 1.5, acceleratedSpeed: 4, pricing: { kind: 'mediaconvert', tier: 'professional' } },
  { id: 'batch-gpu', backend: 'batch-gpu', slots: 4, free: free['batch-gpu'] ?? 4, speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
  { id: 'batch-cpu', backend: 'batch-cpu', slots: 10, free: free['batch-cpu'] ?? 10, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
];

describe('tiers as the factories score them', () => {
  it('produces one job of each tier', () => {
    expect(['critical', 'premium', 'standard', 'bulk'].map((t) => planned(t, t as Tier).value?.tier)).toEqual(['critical', 'premium', 'standard', 'bulk']);
  });
});

describe('marquee rank', () => {
  const policy = marqueePolicy();
  /** The earlier reserve design: lower tiers on the cheapest pool, a share of fast slots held back. */
  const reserve = marqueePolicy(RESERVE_MARQUEE);

  it('runs a fresh premium job before a standard job that arrived earlier', () => {
    const std = entry(planned('s', 'standard', 0), 0);
    const prem = entry(planned('p', 'premium', 10 * MIN), 10 * MIN);
    expect(rankQueue([std, prem], policy).map((e) => e.job.id)).toEqual(['p', 's']);
  });

  it('lets a standard job that has waited longer than the aging bound go first', () => {
    const bound = agingOffsetMs('standard') - agingOffsetMs('premium');
    const std = entry(planned('s', 'standard', 0), 0);
    const prem = entry(planned('p', 'premium', bound + MIN), bound + MIN);
    expect(rankQueue([prem, std], policy).map((e) => e.job.id)).toEqual(['s', 'p']);
  });

  it('moves an at-risk standard job ahead of fresh premium work (deadline urgency)', () => {
    const std = planned('s', 'standard', 0, 600);
    const atRisk = entry({ ...std, deadlineAt: 40 * MIN }, 0);
    const prem = entry(planned('p', 'premium', 5 * MIN), 5 * MIN);
    expect(policy.reason(atRisk)).toBe('urgent');
    expect(rankQueue([prem, atRisk], policy)[0]!.job.id).toBe('s');
  });

  it('runs an emergency bump before everything, at once', () => {
    const crit = entry(planned('c', 'critical', 0), 0);
    const bumped = escalate(planned('b', 'bulk', 50 * MIN), { by: 'ops', reason: 'breaking news' }, 55 * MIN);
    const e = entry(bumped, 50 * MIN);
    expect(e.emergency).toBe(true);
    expect(bumped.value?.tier).toBe('critical');
    expect(bumped.adjustments.at(-1)).toMatchObject({ kind: 'emergency', fromTier: 'bulk', toTier: 'critical' });
    expect(rankQueue([crit, e], policy)[0]!.job.id).toBe('b');
    expect(policy.reason(e)).toBe('emergency');
  });

  it('sends premium work to the fastest pool and standard to the slowest pool while it has a free slot', () => {
    const prem = entry(planned('p', 'premium'));
    const std = entry(planned('s', 'standard'));
    expect(policy.choosePool(prem, pools(), 0)?.pool.id).toBe('batch-gpu');
    expect(policy.choosePool(std, pools(), 0)?.pool.id).toBe('batch-cpu');
    expect(policy.choosePool(std, pools({ 'batch-cpu': 0 }), 0)?.pool.id).not.toBe('batch-cpu');
  });

  it('with the reserve design, sends standard work to the cheapest pool that meets its deadline', () => {
    const std = entry(planned('s', 'standard'));
    const choice = reserve.choosePool(std, pools(), 0)!;
    const costs = pools().map((p) => reserve.choosePool(std, [p], 0)?.costUsd ?? Infinity);
    expect(choice.costUsd).toBe(Math.min(...costs));
  });

  it('with the reserve design, keeps a share of the fast pool for the fast lane, lending it only to work that frees it quickly', () => {
    const long = entry(planned('s', 'standard', 0, 3600));
    expect(reserve.choosePool(long, pools({ 'batch-gpu': 1 }), 0)?.pool.id).not.toBe('batch-gpu');
    const short = entry(planned('t', 'bulk', 0, 20));
    expect(reserve.choosePool(short, pools({ 'batch-gpu': 1 }), 0)?.pool.id).toBe('batch-gpu');
  });

  it('lets a premium job wait briefly for a busy fast pool instead of a slow slot', () => {
    // A short title: a long one may not wait for a busy GPU whose next free slot is the express one.
    const prem = entry(planned('p', 'premium', 0, 60));
    const busyGpu = pools({ 'batch-gpu': 0, mediaconvert: 0 }).map((p) => (p.id === 'batch-gpu' ? { ...p, expectedFreeInSec: 10 } : p));
    expect(policy.choosePool(prem, busyGpu, 0)).toBeNull();
  });

  it('runs a pinned job only on its pinned pool', () => {
    const e = entry(planned('s', 'standard'), 0, { pinnedPool: 'mediaconvert' });
    expect(policy.choosePool(e, pools(), 0)?.pool.id).toBe('mediaconvert');
    expect(policy.choosePool(e, pools({ mediaconvert: 0 }), 0)).toBeNull();
  });

  it('uses accelerated transcoding speed where the pool offers it', () => {
    const e = entry(planned('p', 'premium'), 0, { accelerated: true });
    const choice = policy.choosePool(e, pools({ 'batch-gpu': 0 }), 0)!;
    expect(choice).toMatchObject({ speed: 4 });
    expect(choice.pool.id).toBe('mediaconvert');
  });
});

describe('baseline policies', () => {
  const a = entry(planned('a', 'bulk', 0), 0);
  const b = entry(planned('b', 'critical', MIN), MIN);

  it('FIFO runs in arrival order regardless of tier', () => {
    expect(rankQueue([b, a], fifoPolicy).map((e) => e.job.id)).toEqual(['a', 'b']);
  });

  it('strict tier priority never lets bulk pass critical', () => {
    const old = entry(planned('old', 'bulk', 0), -100 * 60 * MIN);
    expect(rankQueue([old, b], strictTierPolicy)[0]!.job.id).toBe('b');
  });

  it('EDF runs the earliest deadline first', () => {
    expect(rankQueue([a, b], edfPolicy)[0]!.job.id).toBe('b');
  });

  it('baselines take the fastest free slot', () => {
    expect(fifoPolicy.choosePool(a, pools(), 0)?.pool.id).toBe('batch-gpu');
    expect(policyByName('edf').name).toBe('edf');
    expect(policyByName('strict-tier').choosePool(a, pools({ 'batch-gpu': 0 }), 0)?.pool.id).toBe('mediaconvert');
  });
});

describe('schedule', () => {
  it('fills free slots in rank order and stops when none is left', () => {
    const policy = policyByName('marquee');
    const queue = rankQueue(['bulk', 'premium', 'standard', 'critical'].map((t, i) => entry(planned(t, t as Tier, i * MIN), i * MIN)), policy);
    const one = [{ ...pools()[2]!, free: 2 }];
    const r = schedule(queue, one, 5 * MIN, policy);
    expect(r.dispatched.map((d) => d.entry.job.id)).toEqual(['critical', 'premium']);
    expect(one[0]!.free).toBe(2);
  });

  it('returns the jobs that chose to wait so a heap caller can put them back', () => {
    const policy = marqueePolicy();
    const prem = entry(planned('p', 'premium', 0, 60));
    const std = entry(planned('s', 'standard', 0, 60));
    const ps = pools({ 'batch-gpu': 0, mediaconvert: 0, 'batch-cpu': 1 }).map((p) => (p.id === 'batch-gpu' ? { ...p, expectedFreeInSec: 5 } : p));
    const r = schedule([prem, std], ps, 0, policy, { workConserving: false });
    expect(r.skipped.map((e) => e.job.id)).toEqual(['p']);
    expect(r.dispatched.map((d) => d.entry.job.id)).toEqual(['s']);
  });

  it('does nothing when no slot is free', () => {
    expect(schedule([entry(planned('x', 'bulk'))], pools({ mediaconvert: 0, 'batch-gpu': 0, 'batch-cpu': 0 }), 0, fifoPolicy).dispatched).toEqual([]);
  });
});

describe('admission control', () => {
  const overloaded = { backlogWorkSec: 48 * 3600 * 10, capacityPerSec: 10 };

  it('degrades bulk first when the backlog cannot clear in time, and says so', () => {
    const d = admit(entry(planned('b', 'bulk')), overloaded, 0);
    expect(d).toMatchObject({ admit: 'degraded', level: 1 });
    expect(d.admit === 'degraded' && d.reason).toMatch(/bulk is degraded before higher tiers/);
  });

  it('never degrades premium or critical at admission', () => {
    expect(admit(entry(planned('p', 'premium')), overloaded, 0)).toEqual({ admit: 'as-planned' });
    expect(admit(entry(planned('c', 'critical')), overloaded, 0)).toEqual({ admit: 'as-planned' });
  });

  it('degrades bulk at a backlog where standard is still admitted as planned', () => {
    const moderate = { backlogWorkSec: 13 * 3600 * 10, capacityPerSec: 10, backlogAtOrAboveSec: { standard: 3600 * 10, bulk: 13 * 3600 * 10 } };
    expect(admit(entry(planned('b', 'bulk')), moderate, 0).admit).toBe('degraded');
    expect(admit(entry(planned('s', 'standard')), moderate, 0).admit).toBe('as-planned');
  });

  it('admits as planned when capacity keeps up', () => {
    expect(admit(entry(planned('b', 'bulk')), { backlogWorkSec: 60, capacityPerSec: 10 }, 0)).toEqual({ admit: 'as-planned' });
  });
});
