import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { calibrationFactors } from '../../../lib/core/prediction';
import type { Rendition, RenditionResult } from '../../../lib/core/types';
import { CalibrationFile } from '../../../lib/local/calibration';
import { aJob } from '../../helpers/factories';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = () => {
  const d = mkdtempSync(join(tmpdir(), 'marquee-cal-'));
  dirs.push(d);
  return join(d, 'calibration.json');
};

const observation = (predictedSec: number, actualSec: number) => ({
  job: aJob({ prediction: { modelVersion: 't', wallSecP50: predictedSec, wallSecP90: predictedSec, cpuSecP50: predictedSec, renditions: [{ renditionId: 'r', backend: 'local', wallSecP50: predictedSec, wallSecP90: predictedSec * 1.3, cpuSecP50: predictedSec * 2, outputBytes: 1 }] } }),
  rendition: { id: 'r' } as Rendition,
  result: { renditionId: 'r', status: 'done', outputs: [], wallSec: actualSec, cpuSec: actualSec * 2, backend: 'local' } as RenditionResult,
});

describe('CalibrationFile', () => {
  it('learns that this machine is slower than predicted and keeps it for the next run', () => {
    const path = file();
    const cal = new CalibrationFile(path);
    // Every job of this run was planned before any calibration: 2 s predicted, 4 s taken.
    for (let i = 0; i < 8; i++) cal.observe(observation(2, 4));
    const factor = calibrationFactors(cal.current, 'local').wall;
    expect(factor).toBeGreaterThan(1.8);
    expect(factor).toBeLessThanOrEqual(2.0001);
    const reloaded = new CalibrationFile(path);
    expect(calibrationFactors(reloaded.current, 'local').wall).toBeCloseTo(calibrationFactors(cal.current, 'local').wall, 6);
    expect(JSON.parse(readFileSync(path, 'utf8')).local.wall.n).toBe(8);
  });

  it('starts from no calibration when the file is missing or not valid', () => {
    const path = file();
    expect(new CalibrationFile(path).current).toEqual({});
    writeFileSync(path, '{ not json');
    expect(new CalibrationFile(path).current).toEqual({});
    writeFileSync(path, JSON.stringify({ local: { wall: { logRatio: 'x', n: 1 } } }));
    expect(new CalibrationFile(path).current).toEqual({});
  });

  it('ignores a rendition the job has no prediction for', () => {
    const cal = new CalibrationFile(file());
    cal.observe({ ...observation(2, 4), rendition: { id: 'other' } as Rendition });
    expect(cal.current).toEqual({});
  });
});
