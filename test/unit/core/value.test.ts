import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidPolicyError } from '../../../lib/core/errors';
import {
  DEFAULT_VALUE_POLICY,
  ageJob,
  agingBaseTier,
  agingBoundMinutes,
  escalate,
  leversFor,
  parseValuePolicy,
  scoreValue,
  tierForScore,
  updateSignals,
} from '../../../lib/core/value';
import { TIERS, tierRank, type Job, type Tier } from '../../../lib/core/types';
import { aJob, aMetadata } from '../../../test/helpers/factories';

const MIN = 60_000;

/** A job already scored under the default policy. */
function scoredJob(meta: Parameters<typeof aMetadata>[0] = {}, over: Partial<Job> = {}): Job {
  const job = aJob(over, meta);
  return { ...job, value: scoreValue(job.metadata) };
}

describe('scoreValue', () => {
  it('orders a star creator’s premium monetised release above a new creator’s home video', () => {
    const star = scoreValue(aMetadata({ creatorTier: 'star', premium: true, monetized: true, expectedViews: 5_000_000 }));
    const home = scoreValue(aMetadata({ creatorTier: 'new', expectedViews: 20 }));
    expect(star.score).toBeGreaterThan(home.score);
    expect(star.tier).toBe('critical');
    expect(home.tier).toBe('bulk');
    expect(tierRank(star.tier)).toBeLessThan(tierRank(home.tier));
  });

  it('grows with views on a log scale and caps the views component', () => {
    const at = (v: number) => scoreValue(aMetadata({ expectedViews: v })).components['views']!;
    expect(at(10_000) - at(1_000)).toBeCloseTo(at(100_000) - at(10_000), 1);
    expect(at(1e11)).toBe(DEFAULT_VALUE_POLICY.weights.viewsCap);
    expect(at(0)).toBe(0);
  });

  it('treats negative, NaN and infinite signals as zero instead of crashing', () => {
    for (const expectedViews of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const s = scoreValue(aMetadata({ expectedViews, trending: Number.NaN }));
      expect(Number.isFinite(s.score)).toBe(true);
      expect(s.components['views']).toBe(0);
    }
  });

  it('adds freshness points as a deadline approaches, only when the time is known', () => {
    const meta = aMetadata({ deadlineAt: 60 * MIN });
    expect(scoreValue(meta).components['freshness']).toBe(0);
    const far = scoreValue(meta, DEFAULT_VALUE_POLICY, 60 * MIN - 1000 * MIN).components['freshness']!;
    const near = scoreValue(meta, DEFAULT_VALUE_POLICY, 50 * MIN).components['freshness']!;
    expect(far).toBe(0);
    expect(near).toBeGreaterThan(9);
  });

  it('keeps every score within 0..100 whatever the signals (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('new', 'regular', 'partner', 'star' as const),
        fc.double({ noNaN: false }),
        fc.boolean(),
        fc.boolean(),
        fc.double(),
        (creatorTier, expectedViews, monetized, premium, trending) => {
          const s = scoreValue(aMetadata({ creatorTier, expectedViews, monetized, premium, trending }));
          return s.score >= 0 && s.score <= 100 && s.tier === tierForScore(s.score);
        },
      ),
    );
  });
});

describe('leversFor', () => {
  it('keeps MediaConvert and Batch priorities in disjoint bands ordered by tier', () => {
    const levers = TIERS.map((t) => [leversFor(t, 0), leversFor(t, 100)] as const);
    for (let i = 1; i < TIERS.length; i++) {
      expect(levers[i]![1].mediaConvertPriority).toBeLessThan(levers[i - 1]![0].mediaConvertPriority);
      expect(levers[i]![1].batchPriority).toBeLessThan(levers[i - 1]![0].batchPriority);
    }
    for (const [lo, hi] of levers) {
      for (const l of [lo, hi]) {
        expect(l.mediaConvertPriority).toBeGreaterThanOrEqual(-50);
        expect(l.mediaConvertPriority).toBeLessThanOrEqual(50);
        expect(l.batchPriority).toBeGreaterThanOrEqual(0);
        expect(l.batchPriority).toBeLessThanOrEqual(9999);
      }
    }
  });

  it('maps the tier to its queue, rung set and quality level', () => {
    expect(leversFor('critical', 95)).toMatchObject({ queue: 'critical', rungSet: 'full', qualityLevel: 9 });
    expect(leversFor('standard', 40)).toMatchObject({ queue: 'standard', rungSet: 'core' });
    expect(leversFor('bulk', 5)).toMatchObject({ queue: 'bulk', rungSet: 'minimal' });
    expect(leversFor('premium', 70).mediaConvertPriority).toBeGreaterThan(leversFor('premium', 61).mediaConvertPriority);
  });
});

describe('parseValuePolicy', () => {
  it('returns the shipped defaults for an empty override', () => {
    expect(parseValuePolicy({})).toEqual(DEFAULT_VALUE_POLICY);
    expect(parseValuePolicy(undefined)).toEqual(DEFAULT_VALUE_POLICY);
  });

  it('merges a partial override from JSON text (a policy file or CDK context)', () => {
    const p = parseValuePolicy('{"version":"ops-7","thresholds":{"critical":90},"weights":{"creator":{"star":50}}}');
    expect(p.version).toBe('ops-7');
    expect(p.thresholds).toEqual({ ...DEFAULT_VALUE_POLICY.thresholds, critical: 90 });
    expect(p.weights.creator.star).toBe(50);
    expect(p.weights.creator.new).toBe(DEFAULT_VALUE_POLICY.weights.creator.new);
  });

  it.each([
    ['{not json', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    [{ thresholds: { critical: 50, premium: 60 } }, /thresholds.*critical > premium > standard/],
    [{ weights: { monetized: 'lots' } }, /weights\.monetized/],
    [{ weights: { premium: -1 } }, /weights\.premium/],
    [{ agingStepMinutes: { bulk: 0 } }, /agingStepMinutes\.bulk/],
    [{ defaultDeadlineMinutes: { bulk: 10 } }, /defaultDeadlineMinutes.*shorter turnaround/],
    [{ tiers: ['gold'] }, /Unrecognized key|tiers/],
    [{ version: '../etc/passwd' }, /version/],
  ])('rejects %j with a reason naming the field', (input, reason) => {
    expect(() => parseValuePolicy(input)).toThrow(InvalidPolicyError);
    expect(() => parseValuePolicy(input)).toThrow(reason);
  });

  it('ignores prototype-pollution keys in an override', () => {
    const p = parseValuePolicy(JSON.parse('{"__proto__":{"polluted":true},"version":"x"}'));
    expect(p.version).toBe('x');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('ageJob', () => {
  it('promotes a queued bulk job one tier per aging step and makes it critical within the bound', () => {
    const step = DEFAULT_VALUE_POLICY.agingStepMinutes.bulk;
    let job = scoredJob({ creatorTier: 'new', expectedViews: 0 });
    expect(job.value!.tier).toBe('bulk');
    const tiers: Tier[] = [];
    for (let t = 0; t <= agingBoundMinutes('bulk'); t += 10) {
      job = ageJob(job, 0, t * MIN);
      tiers.push(job.value!.tier);
    }
    expect(tiers[Math.floor((step - 10) / 10)]).toBe('bulk');
    expect(tiers[step / 10]).toBe('standard');
    expect(tiers[(2 * step) / 10]).toBe('premium');
    expect(tiers.at(-1)).toBe('critical');
    expect(agingBoundMinutes('bulk')).toBe(3 * step);
    expect(job.adjustments.map((a) => [a.kind, a.fromTier, a.toTier, a.by])).toEqual([
      ['aging', 'bulk', 'standard', 'scheduler'],
      ['aging', 'standard', 'premium', 'scheduler'],
      ['aging', 'premium', 'critical', 'scheduler'],
    ]);
    expect(job.value!.levers.queue).toBe('critical');
    expect(job.value!.score).toBe(scoredJob({ creatorTier: 'new', expectedViews: 0 }).value!.score);
  });

  it('is idempotent and never demotes', () => {
    const job = ageJob(scoredJob({ creatorTier: 'new', expectedViews: 0 }), 0, 130 * MIN);
    expect(ageJob(job, 0, 130 * MIN)).toBe(job);
    expect(ageJob(job, 0, 10 * MIN)).toBe(job);
  });

  it('leaves a critical job and an unscored job alone', () => {
    const critical = scoredJob({ creatorTier: 'star', premium: true, monetized: true, expectedViews: 1e7 });
    expect(ageJob(critical, 0, 10_000 * MIN)).toBe(critical);
    const unscored = aJob();
    expect(ageJob(unscored, 0, 10_000 * MIN)).toBe(unscored);
  });

  it('bounds every tier’s wait behind higher tiers by rank × step (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom<Tier>('premium', 'standard', 'bulk'), fc.integer({ min: 0, max: 2000 }), (tier, waited) => {
        const base = scoredJob();
        const job = { ...base, value: { ...base.value!, tier } };
        const aged = ageJob(job, 0, waited * MIN);
        return waited >= agingBoundMinutes(tier) ? aged.value!.tier === 'critical' : tierRank(aged.value!.tier) <= tierRank(tier);
      }),
    );
  });

  it('ages from the tier an update set, not the tier scored at upload', () => {
    const job = scoredJob({ creatorTier: 'new', expectedViews: 0 });
    const updated = updateSignals(job, { expectedViews: 1e6 }, 5 * MIN, 'analytics');
    expect(agingBaseTier(updated)).toBe(updated.value!.tier);
    const aged = ageJob(updated, 0, DEFAULT_VALUE_POLICY.agingStepMinutes[updated.value!.tier] * MIN);
    expect(tierRank(aged.value!.tier)).toBe(tierRank(updated.value!.tier) - 1);
  });
});

describe('updateSignals', () => {
  it('raises a job that starts trending and records who and why', () => {
    const job = scoredJob({ creatorTier: 'partner', expectedViews: 10_000 });
    const up = updateSignals(job, { trending: 1, expectedViews: 5_000_000 }, 10 * MIN, 'trends-service');
    expect(up.value!.score).toBeGreaterThan(job.value!.score);
    expect(tierRank(up.value!.tier)).toBeLessThan(tierRank(job.value!.tier));
    expect(up.adjustments.at(-1)).toMatchObject({ kind: 'trending', by: 'trends-service', fromTier: job.value!.tier, toTier: up.value!.tier });
    expect(up.adjustments.at(-1)!.reason).toMatch(/trending 0 → 1/);
    expect(up.metadata.trending).toBe(1);
  });

  it('tightens a default deadline to the new tier’s turnaround, but not an upload’s own deadline', () => {
    const job = { ...scoredJob({ creatorTier: 'regular', expectedViews: 100 }), deadlineAt: 1440 * MIN };
    const up = updateSignals(job, { expectedViews: 1e9, trending: 1 }, MIN, 'analytics');
    expect(up.deadlineAt).toBe(DEFAULT_VALUE_POLICY.defaultDeadlineMinutes[up.value!.tier] * MIN);
    const own = { ...scoredJob({ expectedViews: 100, deadlineAt: 1000 * MIN }), deadlineAt: 1000 * MIN };
    expect(updateSignals(own, { expectedViews: 1e9, trending: 1 }, MIN, 'analytics').deadlineAt).toBe(1000 * MIN);
  });

  it('lowers a job whose viewership forecast collapses, as a viewership adjustment', () => {
    const job = scoredJob({ creatorTier: 'partner', expectedViews: 1e8, monetized: true });
    const down = updateSignals(job, { expectedViews: 10 }, MIN, 'analytics');
    expect(down.value!.score).toBeLessThan(job.value!.score);
    expect(down.adjustments.at(-1)!.kind).toBe('viewership');
  });

  it('keeps an emergency bump in force when the forecast falls', () => {
    const bumped = escalate(scoredJob({ expectedViews: 1e6 }), { reason: 'CEO keynote', by: 'ops@example.com' }, MIN);
    const down = updateSignals(bumped, { expectedViews: 1 }, 2 * MIN, 'analytics');
    expect(down.value!.tier).toBe('critical');
  });

  it('records nothing when the signals did not change or are not numbers', () => {
    const job = scoredJob({ expectedViews: 1000 });
    expect(updateSignals(job, { expectedViews: 1000 }, MIN, 'x')).toBe(job);
    expect(updateSignals(job, { expectedViews: Number.NaN }, MIN, 'x')).toBe(job);
    const unscored = aJob();
    expect(updateSignals(unscored, { trending: 1 }, MIN, 'x')).toBe(unscored);
  });
});

describe('escalate', () => {
  it('makes a bulk job critical with a new, earlier deadline and records the operator', () => {
    const job = { ...scoredJob({ creatorTier: 'new', expectedViews: 0 }), deadlineAt: 1440 * MIN };
    const bumped = escalate(job, { reason: 'breaking news', by: 'arn:aws:iam::1:user/ops', deadlineAt: 20 * MIN }, 5 * MIN);
    expect(bumped.value!.tier).toBe('critical');
    expect(bumped.value!.score).toBeGreaterThanOrEqual(DEFAULT_VALUE_POLICY.thresholds.critical);
    expect(bumped.value!.levers.queue).toBe('critical');
    expect(bumped.deadlineAt).toBe(20 * MIN);
    expect(bumped.adjustments.at(-1)).toMatchObject({ kind: 'emergency', by: 'arn:aws:iam::1:user/ops', reason: 'breaking news', fromTier: 'bulk', toTier: 'critical' });
  });

  it('never lowers a tier or pushes a deadline back', () => {
    const job = { ...scoredJob({ creatorTier: 'star', premium: true, monetized: true, expectedViews: 1e7 }), deadlineAt: 30 * MIN };
    const bumped = escalate(job, { tier: 'standard', reason: 'typo', by: 'ops', deadlineAt: 999 * MIN }, MIN);
    expect(bumped.value!.tier).toBe('critical');
    expect(bumped.deadlineAt).toBe(30 * MIN);
  });

  it('raises to a requested intermediate tier and sanitises reason and principal', () => {
    const job = scoredJob({ creatorTier: 'new', expectedViews: 0 });
    const bumped = escalate(job, { tier: 'premium', reason: 'launch\u0000\u001b[31m' + 'x'.repeat(2000), by: '\n' }, MIN);
    expect(bumped.value!.tier).toBe('premium');
    const adj = bumped.adjustments.at(-1)!;
    // eslint-disable-next-line no-control-regex -- asserting control characters are gone
    expect(adj.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(adj.reason.length).toBeLessThanOrEqual(500);
    expect(adj.by).toBe('unknown');
  });

  it('only moves the deadline of a job that has no value yet', () => {
    const job = { ...aJob(), deadlineAt: 100 * MIN };
    const bumped = escalate(job, { reason: 'r', by: 'b', deadlineAt: 50 * MIN }, MIN);
    expect(bumped.deadlineAt).toBe(50 * MIN);
    expect(bumped.adjustments).toEqual([]);
  });
});
