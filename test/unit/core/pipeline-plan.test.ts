import { describe, expect, it } from 'vitest';
import { planJob } from '../../../lib/core/plan';
import { PipelinePlanError, chunksForRendition, encodeCostFromModel, planPipeline } from '../../../lib/core/pipeline';
import type { EncodeTimeModel } from '../../../lib/core/prediction';
import { aJob, aProfile } from '../../helpers/factories';
import { aRendition } from './pipeline-fixtures';

const longUhd = aProfile({}, { width: 3840, height: 2160, durationSec: 1800, fps: 30 });

describe('planning an analysed job\'s pipeline', () => {
  it('prices every encode with the prediction model and chunks the long title', () => {
    const job = planJob(aJob({}, { premium: true, formats: ['abr'] }), longUhd, { now: 0, backend: 'batch-cpu' });
    const g = planPipeline(job, { available: ['batch-cpu'], now: 5, includeAnalyse: true });
    expect(g.jobId).toBe(job.id);
    expect(g.tasks[0]!.stage).toBe('analyse');
    expect(g.tasks.some((t) => t.chunk)).toBe(true);
    const cost = encodeCostFromModel(job.recipe!, job.profile!);
    const whole = job.prediction!.renditions.reduce((a, r) => a + r.wallSecP50, 0);
    const top = job.recipe!.ladder.at(-1)!;
    expect(cost(top, 'batch-cpu')).toBe(job.prediction!.renditions.find((r) => r.renditionId === top.id)!.wallSecP50);
    const encodeWork = g.tasks.filter((t) => t.stage === 'encode').reduce((a, t) => a + t.costSec, 0);
    expect(encodeWork).toBeGreaterThan(whole * 0.9);
  });

  it('refuses a job that has not been analysed', () => {
    expect(() => planPipeline(aJob(), { available: ['local'], now: 0 })).toThrow(PipelinePlanError);
  });

  it('reports a model that forgets a rendition', () => {
    const job = planJob(aJob(), aProfile(), { now: 0, backend: 'local' });
    const forgetful: EncodeTimeModel = { version: 'x', predictRenditions: () => [] };
    expect(() => encodeCostFromModel(job.recipe!, job.profile!, forgetful)(job.recipe!.ladder[0]!, 'local')).toThrow(/no prediction/);
  });

  it('tells the local runtime how to chunk a rendition, or not at all', () => {
    expect(chunksForRendition(aRendition({ height: 2160 }), 300).length).toBeGreaterThan(1);
    expect(chunksForRendition(aRendition({ height: 720 }), 60)).toEqual([]);
    expect(chunksForRendition(aRendition({ height: 2160 }), 300, undefined, 1)).toEqual([]);
  });
});
