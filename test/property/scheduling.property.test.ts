import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planJob } from '../../lib/core/plan';
import { agingOffsetMs, baseTier, DEFAULT_MARQUEE_OPTIONS, DEFAULT_PREEMPTION, marqueePolicy, RESERVE_MARQUEE, queueEntryFor, rankQueue, schedule, type BackendPool, type MarqueeOptions } from '../../lib/core/scheduling';
import { TIERS, tierRank, type BusinessMetadata } from '../../lib/core/types';
import { buildArchetypes } from '../../lib/sim/archetypes';
import { defaultFleet } from '../../lib/sim/fleet';
import { fastLaneRunner } from '../../lib/sim/plan';
import { DEFAULT_DEVICE_SPEEDS, titleRunner, type JobRunner } from '../../lib/sim/runner';
import { NO_FAULTS, simulate } from '../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, type Upload } from '../../lib/sim/workload';
import { aJob, aProfile, TIER_METADATA } from '../helpers/factories';

const MIN = 60_000;
const META = TIER_METADATA;
const archetypes = buildArchetypes();

describe('scheduler properties', () => {
  it.each([
    ['no size offset (RESERVE_MARQUEE)', RESERVE_MARQUEE, 0],
    ['shipped (size offset: the bound loosens by its cap)', {}, (DEFAULT_MARQUEE_OPTIONS.sizeOffsetCapMinutes ?? 0) * MIN],
  ] as [string, Partial<MarqueeOptions>, number][])('a higher tier never waits behind a lower one beyond the aging bound (urgency lifts at most one tier) — %s', (_name, options, slack) => {
    const policy = marqueePolicy(options);
    const arbJob = fc.record({
      tier: fc.constantFrom(...TIERS),
      queuedMin: fc.integer({ min: 0, max: 600 }),
      durationSec: fc.integer({ min: 10, max: 3600 }),
      deadlineMin: fc.option(fc.integer({ min: 1, max: 1500 }), { nil: undefined }),
      boostMin: fc.constantFrom(0, 0, 30, 120),
    });
    fc.assert(
      fc.property(fc.array(arbJob, { minLength: 2, maxLength: 25 }), fc.integer({ min: 1, max: 8 }), (jobs, slots) => {
        const now = 700 * MIN;
        const entries = jobs.map((j, i) => {
          const planned = planJob(aJob({ id: `j${i}`, createdAt: j.queuedMin * MIN }, META[j.tier]), aProfile({}, { durationSec: j.durationSec }), { now: j.queuedMin * MIN, backend: 'batch-cpu' });
          const job = j.deadlineMin !== undefined ? { ...planned, deadlineAt: j.deadlineMin * MIN } : planned;
          return queueEntryFor(job, j.queuedMin * MIN, { boostMs: j.boostMin * MIN });
        });
        const pools: BackendPool[] = [{ ...defaultFleet(10).pools[2]!, id: 'cpu', slots, free: slots, pricing: { kind: 'free' } }];
        const { dispatched } = schedule(rankQueue(entries, policy), pools, now, policy);
        const ran = new Set(dispatched.map((d) => d.entry));
        for (const l of ran)
          for (const h of entries) {
            if (ran.has(h)) continue;
            const tl = baseTier(l.job);
            const th = baseTier(h.job);
            if (tierRank(th) >= tierRank(tl)) continue;
            const above = TIERS[Math.max(0, tierRank(tl) - 1)]!;
            const bound = Math.min(agingOffsetMs(tl), agingOffsetMs(above)) - agingOffsetMs(th);
            expect(h.queuedAt - l.queuedAt).toBeGreaterThanOrEqual(bound - slack);
          }
      }),
      { numRuns: 300 },
    );
  });

  const runners: [string, JobRunner | undefined, Partial<MarqueeOptions>][] = [
    ['monolithic', undefined, {}],
    ['chunked fast lane, shipped options, bounded preemption', fastLaneRunner(), {}],
    ['multi-stage pipeline on a mixed fleet', titleRunner({ shape: 'multi-stage', devices: DEFAULT_DEVICE_SPEEDS, stageCosts: true }), {}],
  ];
  it.each(runners)('under any interleaving of arrivals, completions, crashes and bumps no job is lost or duplicated and every job ends terminal — %s', (_name, runner, options) => {
    const arbUpload = fc.record({
      atMin: fc.integer({ min: 0, max: 600 }),
      durationSec: fc.integer({ min: 15, max: 2400 }),
      archetype: fc.integer({ min: 0, max: archetypes.length - 1 }),
      tier: fc.constantFrom(...TIERS),
      crashU: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(arbUpload, { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (ups, crashRate, bumps, slots, seed) => {
          const extra: Upload[] = ups.map((u, i) => ({ index: i, atMs: u.atMin * MIN, archetype: u.archetype, durationSec: u.durationSec, metadata: { formats: ['abr'], ...META[u.tier] } as BusinessMetadata, noiseZ: 0, crashU: u.crashU, stuckU: 1 }));
          const fleet = defaultFleet(slots);
          const r = simulate({
            workload: { ...DEFAULT_WORKLOAD, uploadsPerDay: 0, days: 0.5, seed },
            fleet,
            policy: marqueePolicy(options),
            ...(runner ? { runner, preemption: DEFAULT_PREEMPTION } : {}),
            archetypes,
            faults: { ...NO_FAULTS, crashRate, nodeLosses: [{ atSec: 3 * 3600, poolId: fleet.pools[fleet.pools.length - 1]!.id, slots: 1, durationSec: 1800 }], spotInterruptionsPerSlotHour: 0.5 },
            bumps: bumps.filter((b) => b < ups.length).map((b) => ({ uploadIndex: b, afterSec: 300 })),
            extraUploads: extra,
            keepJobs: true,
            drainHours: 96,
          });
          expect(r.metrics.lostJobs).toBe(0);
          expect(r.metrics.duplicatedJobs).toBe(0);
          expect(r.jobs!.length).toBe(ups.length);
          expect(new Set(r.jobs!.map((j) => j.id)).size).toBe(ups.length);
          for (const j of r.jobs!) expect(['PUBLISHED', 'FAILED']).toContain(j.status);
        },
      ),
      { numRuns: runner ? 30 : 60 },
    );
  });
});
