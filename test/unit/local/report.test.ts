import { describe, expect, it } from 'vitest';
import type { Job, RenditionPrediction } from '../../../lib/core/types';
import { buildRunReport, formatRunReport } from '../../../lib/local/report';
import { aJob } from '../../helpers/factories';

const pred = (renditionId: string, wallSecP50: number): RenditionPrediction => ({ renditionId, backend: 'local', wallSecP50, wallSecP90: wallSecP50 * 1.4, cpuSecP50: wallSecP50 * 2, outputBytes: 1 });
/** A published job whose renditions took `actual` seconds against the predicted `predicted`. */
function encoded(id: string, pairs: Array<[number, number]>): Job {
  const ids = pairs.map((_, i) => `r${i}`);
  const base = aJob({ id });
  return {
    ...base,
    status: 'PUBLISHED',
    prediction: { modelVersion: 'm', renditions: pairs.map(([p], i) => pred(ids[i]!, p)), wallSecP50: pairs.reduce((a, [p]) => a + p, 0), wallSecP90: 0, cpuSecP50: 0 },
    renditions: pairs.map(([, a], i) => ({ renditionId: ids[i]!, status: 'done', outputs: [], wallSec: a, cpuSec: a * 2, backend: 'local' })),
  };
}

describe('run report: prediction error', () => {
  it('gives each job its signed total error and per-rendition MAPE, and the run its MAPE and share within ±15%', () => {
    // a: 10 vs 10 (0%), 10 vs 20 (50%); b: 11 vs 10 (10%), 5 vs 4 (25%).
    const jobs = [encoded('a', [[10, 10], [10, 20]]), encoded('b', [[11, 10], [5, 4]])];
    const report = buildRunReport({ jobs, inputs: new Map(), attempts: [], outDir: '/out', wallSec: 3, workers: 1, interrupted: false, now: 0 });
    const [a, b] = report.jobs;
    expect(a!.predictionErrorPct).toBeCloseTo((100 * (20 - 30)) / 30, 1);
    expect(a!.predictionError).toEqual({ renditions: 2, mapePct: 25, within15: 0.5 });
    expect(b!.predictionError).toEqual({ renditions: 2, mapePct: 17.5, within15: 0.5 });
    expect(report.prediction).toMatchObject({ renditions: 4, mapePct: 21.25, within15: 0.5, byBackend: [{ backend: 'local', renditions: 4 }] });
    const text = formatRunReport(report);
    expect(text).toMatch(/MAPE 21\.3% over 4 rendition\(s\), 50% within ±15%/);
    expect(text).toMatch(/err %/);
  });

  it('says so when nothing was encoded, and counts no deadline actions', () => {
    const report = buildRunReport({ jobs: [aJob({ id: 'x', status: 'REJECTED', reason: 'empty' })], inputs: new Map(), attempts: [], outDir: '/out', wallSec: 0, workers: 1, interrupted: false, now: 0 });
    expect(report.prediction).toBeUndefined();
    expect(report.deadlineActions).toEqual({ actions: 0, jobs: 0 });
    expect(formatRunReport(report)).toMatch(/prediction: no rendition encoded/);
  });
});
