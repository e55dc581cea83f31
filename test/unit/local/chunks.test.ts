import { describe, expect, it } from 'vitest';
import { newJob } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import { FAST_LANE_PIPELINE, pipelinePolicyFor, DEFAULT_PIPELINE_POLICY } from '../../../lib/core/pipeline';
import { activeLadder } from '../../../lib/core/recipes';
import type { Job, Tier } from '../../../lib/core/types';
import { planRenditionChunks } from '../../../lib/local/chunks';
import { aMetadata, aProfile } from '../../helpers/factories';

const titleOf = (durationSec: number, tier: Tier): Job => {
  const job = planJob(newJob({ id: 't', source: { uri: '/in/t.mp4' }, metadata: aMetadata(), now: 0 }), aProfile({}, { durationSec }), { now: 1, backend: 'local' });
  return { ...job, value: { ...job.value!, tier }, allocation: { ...job.allocation!, chunks: 1 } };
};
const closedGopRung = (job: Job) => activeLadder(job.recipe!).find((r) => r.closedGop)!;

describe('local chunk planning for fast-lane titles', () => {
  it('uses the fast-lane pipeline policy for critical and premium titles only', () => {
    expect(pipelinePolicyFor('premium')).toBe(FAST_LANE_PIPELINE);
    expect(pipelinePolicyFor('critical')).toBe(FAST_LANE_PIPELINE);
    expect(pipelinePolicyFor('standard')).toBe(DEFAULT_PIPELINE_POLICY);
    expect(pipelinePolicyFor(undefined)).toBe(DEFAULT_PIPELINE_POLICY);
  });

  it('cuts a premium title of a minute into at most one chunk per worker', () => {
    const job = titleOf(60, 'premium');
    const plan = planRenditionChunks(job, closedGopRung(job), '/out/t', { workers: 3 });
    expect(plan?.chunks.length).toBeGreaterThanOrEqual(2);
    expect(plan?.chunks.length).toBeLessThanOrEqual(3);
    expect(plan?.reason).toMatch(/premium fast lane/);
  });

  it('leaves it whole with one worker (nothing runs in parallel), and leaves a standard title of the same length whole', () => {
    const premium = titleOf(60, 'premium');
    expect(planRenditionChunks(premium, closedGopRung(premium), '/out/t', { workers: 1 })).toBeUndefined();
    const standard = titleOf(60, 'standard');
    expect(planRenditionChunks(standard, closedGopRung(standard), '/out/t', { workers: 3 })).toBeUndefined();
  });
});
