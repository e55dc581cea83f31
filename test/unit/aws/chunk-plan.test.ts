import { describe, expect, it } from 'vitest';
import { cloudChunkPlan } from '../../../lib/aws/chunk-plan';
import { chunkedExternalId, parseExternalId, slotsOf } from '../../../lib/aws/flow/common';
import { newJob } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import { activeLadder } from '../../../lib/core/recipes';
import type { Job } from '../../../lib/core/types';
import { aMetadata, aProfile } from '../../helpers/factories';

const planned = (durationSec: number, over: (j: Job) => Job = (j) => j): Job =>
  over(planJob(newJob({ id: 'title-1', source: { uri: 's3://in/title-1.mp4' }, metadata: aMetadata({ creatorTier: 'partner', expectedViews: 1_000_000 }), now: 0 }), aProfile({}, { durationSec }), { now: 1, backend: 'batch-gpu' }));

describe('cloudChunkPlan (how a Batch GPU job splits into array children)', () => {
  it('chunks a long title as the pipeline does, one child per chunk, capped at the slots it may use', () => {
    const job = planned(1800);
    const plan = cloudChunkPlan(job, 6);
    expect(plan.width).toBe(6);
    expect(plan.chunked.map((c) => c.renditionId).sort()).toEqual(activeLadder(job.recipe!).filter((r) => r.closedGop).map((r) => r.id).sort());
    for (const { chunks } of plan.chunked) {
      expect(chunks.length).toBeLessThanOrEqual(6);
      // Contiguous, GOP-aligned chunks covering the title.
      expect(chunks.reduce((a, c) => a + c.durationSec, 0)).toBeCloseTo(1800, 0);
      chunks.slice(1).forEach((c, i) => expect(c.startFrame).toBe(chunks[i]!.startFrame + chunks[i]!.frames));
    }
  });

  it('is deterministic: every worker recomputing it with the same cap gets the same plan', () => {
    const job = planned(1800);
    expect(cloudChunkPlan(job, 5)).toEqual(cloudChunkPlan(structuredClone(job), 5));
  });

  it('keeps a short title the allocation does not chunk whole (one job, no array), and with one slot never chunks', () => {
    expect(cloudChunkPlan(planned(60, (j) => ({ ...j, allocation: { ...j.allocation!, chunks: 1 } })), 8)).toMatchObject({ width: 1, chunked: [] });
    expect(cloudChunkPlan(planned(1800), 1).width).toBe(1);
  });

  it('cuts a premium or critical title of 30 s or more into fast-lane chunks (as the schedule bench runs them); a standard one of the same length stays whole', () => {
    const asTier = (tier: 'premium' | 'critical' | 'standard') => (j: Job): Job => ({ ...j, value: { ...j.value!, tier }, allocation: { ...j.allocation!, chunks: 1 } });
    for (const tier of ['premium', 'critical'] as const) {
      const plan = cloudChunkPlan(planned(60, asTier(tier)), 4);
      expect(plan.width).toBeGreaterThanOrEqual(2);
      expect(plan.width).toBeLessThanOrEqual(4);
      for (const { chunks } of plan.chunked) expect(chunks.reduce((a, c) => a + c.durationSec, 0)).toBeCloseTo(60, 0);
    }
    expect(cloudChunkPlan(planned(60, asTier('standard')), 4).width).toBe(1);
    expect(cloudChunkPlan(planned(20, asTier('premium')), 4).width).toBe(1);
  });

  it("follows the allocation's chunk count when the pipeline would not chunk, and spreads open-GOP rungs whole over the children", () => {
    const job = planned(60, (j) => {
      const [first, ...rest] = j.recipe!.ladder;
      return { ...j, allocation: { ...j.allocation!, chunks: 3 }, recipe: { ...j.recipe!, ladder: [first!, ...rest, { ...first!, id: 'open-a', closedGop: false }, { ...first!, id: 'open-b', closedGop: false }] } };
    });
    const plan = cloudChunkPlan(job, 8);
    expect(plan.width).toBe(3);
    expect(plan.whole).toEqual([
      { renditionId: 'open-a', child: 2 },
      { renditionId: 'open-b', child: 1 },
    ]);
  });
});

describe('Batch submission ids', () => {
  it('a chunked submission names its join (what Complete matches), its array and its slots; a plain id is one slot', () => {
    const id = chunkedExternalId('0f1e2d3c-join', '9a8b7c6d-array', 4);
    expect(parseExternalId(id)).toEqual({ primary: '0f1e2d3c-join', arrayId: '9a8b7c6d-array', slots: 4 });
    expect(parseExternalId('1700000000000-abcdef')).toEqual({ primary: '1700000000000-abcdef', slots: 1 });
    expect(slotsOf({ dispatch: { externalId: id } } as Job)).toBe(4);
    expect(slotsOf({} as Job)).toBe(1);
  });
});
