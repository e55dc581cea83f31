import { describe, expect, it } from 'vitest';
import { seededRng, normal } from '../../../lib/core/rng';
import { fitCostModel, splitVideos, probeOf, TrainingDataError, type MeasuredVideo } from '../../../lib/core/prediction/fit';
import {
  allocate, calibrationFactors, configIndexById, costsForProbe, fromJSON, heuristicModel, InvalidCostModelError, learnedModel,
  predictJob, presetConfigIndex, probeForRendition, probeFromProfile, toJSON, updateCalibration, type Calibration, type CostModelArtifact,
} from '../../../lib/core/prediction';
import { nearestRows } from '../../../lib/core/prediction/model';
import { X264_PRESETS } from '../../../lib/core/prediction/options';
import { chooseRecipe } from '../../../lib/core/recipes';
import { scoreValue } from '../../../lib/core/value';
import { aComplexity, aMetadata, aProfile } from '../../helpers/factories';
import type { Prediction, RenditionPrediction } from '../../../lib/core/types';

/** A small synthetic dataset: x264 presets as configurations, cost ∝ pixels·frames, content-dependent. */
function syntheticVideos(n: number, seed = 1): MeasuredVideo[] {
  const rng = seededRng(seed);
  const presets = ['ultrafast', 'superfast', 'veryfast', 'faster', 'medium', 'slow', 'veryslow'];
  const cost = [1, 1.6, 2.2, 3, 4.5, 7, 16];
  const motionSens = [0, 0.2, 0.3, 0.5, 0.8, 1.2, 2];
  const heights = [360, 480, 720, 1080];
  return Array.from({ length: n }, (_, v) => {
    const height = heights[v % heights.length]!;
    const width = Math.round((height * 16) / 9 / 2) * 2;
    const frames = 300 + Math.floor(rng.next() * 600);
    const motion = rng.next();
    const work = (width * height * frames) / 1e8;
    return {
      name: `Synthetic_${height}P-${v}`,
      width, height, frames, fps: 30,
      encodes: presets.map((p, c) => {
        const t = work * cost[c]! * (1 + motionSens[c]! * motion) * Math.exp(0.03 * normal(rng));
        return { configId: c + 1, options: X264_PRESETS[p]!, wallSec: 0.02 + t / 4, cpuSec: 0.03 + t, bytes: work * 2e5 * (1 + 2 * motion) / (1 + 0.1 * c) };
      }),
    };
  });
}

const SMALL = { components: 2, sizeComponents: 1, neighbours: 5 };
const videos = syntheticVideos(60);
const model = fitCostModel(videos, { ...SMALL, seed: 7 });

describe('cost model training', () => {
  it('is deterministic for a seed', () => {
    expect(toJSON(fitCostModel(videos, { ...SMALL, seed: 7 }))).toBe(toJSON(model));
  });

  it('holds out other videos for the P90 margins with another seed', () => {
    expect(toJSON(fitCostModel(videos, { ...SMALL, seed: 8 }))).not.toBe(toJSON(model));
  });

  it('predicts held-out synthetic videos within 15% from their probe', () => {
    const { train, test } = splitVideos(videos, 0.25, 3);
    const m = fitCostModel(train, { ...SMALL, seed: 1 });
    const errs = test.flatMap((v) => {
      const cost = costsForProbe(m, probeOf(v));
      return v.encodes.filter((e) => e.configId !== 1).map((e) => Math.abs(cost(configIndexById(m, e.configId)).wallSecP50 - e.wallSec) / e.wallSec);
    });
    expect(errs.filter((e) => e <= 0.15).length / errs.length).toBeGreaterThan(0.8);
  });

  it('splits by video: no video on both sides', () => {
    const { train, test } = splitVideos(videos, 0.2, 42);
    expect(train.length + test.length).toBe(videos.length);
    expect(test.filter((v) => train.includes(v))).toEqual([]);
  });

  it('refuses too little data or a missing probe configuration', () => {
    expect(() => fitCostModel(videos.slice(0, 3))).toThrow(TrainingDataError);
    expect(() => fitCostModel(videos, { probeConfigId: 99 })).toThrow(TrainingDataError);
    const noProbe = videos.slice(0, 5).map((v) => ({ ...v, encodes: v.encodes.filter((e) => e.configId !== 1) }));
    expect(() => probeOf(noProbe[0]!)).toThrow(TrainingDataError);
  });
});

describe('cost model artifact', () => {
  it('round-trips through JSON with identical predictions', () => {
    const back = fromJSON(toJSON(model));
    expect(back).toEqual(model);
    const probe = probeOf(videos[5]!);
    expect(costsForProbe(back, probe)(3)).toEqual(costsForProbe(model, probe)(3));
  });

  it('rejects malformed, truncated or inconsistent artifacts with a named error', () => {
    expect(() => fromJSON('{not json')).toThrow(InvalidCostModelError);
    expect(() => fromJSON({ ...model, format: 99 })).toThrow(InvalidCostModelError);
    const short: CostModelArtifact = { ...model, targets: { ...model.targets, wall: { ...model.targets.wall, q90: [0] } } };
    expect(() => fromJSON(short)).toThrow(/does not cover/);
    const mismatch: CostModelArtifact = { ...model, targets: { ...model.targets, cpu: { ...model.targets.cpu, scores: [] } } };
    expect(() => fromJSON(mismatch)).toThrow(/basis\/scores/);
    const weights: CostModelArtifact = { ...model, targets: { ...model.targets, size: { ...model.targets.size, weight: [1] } } };
    expect(() => fromJSON(weights)).toThrow(/weights/);
    expect(() => fromJSON({ ...model, neighbourRows: [[1], [1, 2]] })).toThrow(/neighbour rows/);
    expect(() => fromJSON({ ...model, probeConfigId: 1234 })).toThrow(/probe configuration/);
  });

  it('returns the probe itself for the probe configuration and P90 ≥ P50 for every other', () => {
    const probe = probeOf(videos[0]!);
    const cost = costsForProbe(model, probe);
    expect(cost(configIndexById(model, 1))).toMatchObject({ wallSecP50: probe.wallSec, cpuSecP50: probe.cpuSec });
    for (let c = 0; c < model.configs.length; c++) {
      expect(cost(c).wallSecP90).toBeGreaterThanOrEqual(cost(c).wallSecP50);
      expect(cost(c).cpuSecP90).toBeGreaterThanOrEqual(cost(c).cpuSecP50);
    }
    expect(() => cost(model.configs.length)).toThrow(RangeError);
  });
});

describe('nearest training videos', () => {
  it('returns the k nearest rows under the weighted distance, nearest first, ties to the lower index', () => {
    const rows = [[0, 0], [5, 0], [1, 9], [2, 0], [1, 0]];
    expect(nearestRows(rows, [0, 0], [1, 0], 3)).toEqual([0, 2, 4]);
    expect(nearestRows(rows, [0, 0], [1, 1], 3)).toEqual([0, 4, 3]);
    expect(nearestRows(rows, [6, 0], [1, 1], 10)).toEqual([1, 3, 4, 0, 2]);
  });

  it('corrects a video from its look-alikes: a content effect the probe features explain non-linearly', () => {
    // Cost of configuration 2 doubles for videos whose probe bits per pixel is high (a step the
    // ridge stage cannot draw); the neighbour stage recovers it.
    const rng = seededRng(5);
    const vids: MeasuredVideo[] = Array.from({ length: 80 }, (_, v) => {
      const bytes = 1e5 * (1 + 9 * rng.next());
      const step = bytes > 5e5 ? 2 : 1;
      return { name: `S_720P-${v}`, width: 1280, height: 720, frames: 600, fps: 30, encodes: [
        { configId: 1, options: X264_PRESETS.ultrafast!, wallSec: 2, cpuSec: 8, bytes },
        { configId: 2, options: X264_PRESETS.medium!, wallSec: 4 * step, cpuSec: 16 * step, bytes: bytes / 2 },
      ] };
    });
    const m = fitCostModel(vids, { seed: 1, components: 1, neighbours: 5 });
    const at = (bytes: number) => costsForProbe(m, { wallSec: 2, cpuSec: 8, bytes, frames: 600, width: 1280, height: 720, fps: 30 })(1).wallSecP50;
    expect(at(2e5)).toBeCloseTo(4, 0);
    expect(at(9e5)).toBeCloseTo(8, 0);
  });
});

describe('learned model on a Marquee recipe', () => {
  const profile = aProfile({ complexity: aComplexity({ probeSecondsPerSecond: 0.05, probeCpuSecondsPerSecond: 0.2 }) });
  const recipe = chooseRecipe({ jobId: 'j', profile, value: scoreValue(aMetadata()), formats: ['abr'] });

  it('predicts every active rung with P90 ≥ P50 and costs that grow with pixels', () => {
    const pred = predictJob(recipe, profile, 'local', learnedModel(model));
    expect(pred.modelVersion).toBe(model.version);
    expect(pred.renditions.length).toBe(recipe.ladder.length);
    for (const r of pred.renditions) {
      expect(r.wallSecP90).toBeGreaterThanOrEqual(r.wallSecP50);
      expect(r.cpuSecP90!).toBeGreaterThanOrEqual(r.cpuSecP50);
      expect(r.outputBytes).toBeGreaterThan(0);
    }
    const byPixels = [...recipe.ladder].sort((a, b) => a.width * a.height - b.width * b.height).map((r) => pred.renditions.find((p) => p.renditionId === r.id)!.cpuSecP50);
    expect(byPixels[byPixels.length - 1]!).toBeGreaterThan(byPixels[0]!);
  });

  it('maps slower presets to costlier configurations', () => {
    const probe = probeFromProfile(profile, model.probeCpuPerWall);
    const cost = costsForProbe(model, probe);
    expect(cost(presetConfigIndex(model, 'veryslow')).cpuSecP50).toBeGreaterThan(cost(presetConfigIndex(model, 'veryfast')).cpuSecP50);
    expect(model.configs[presetConfigIndex(model, 'ultrafast')]!.id).toBe(1);
    expect(presetConfigIndex(model, 'no-such-preset')).toBe(presetConfigIndex(model, 'medium'));
  });

  it('scales the probe to a rung and falls back when the profile lacks probe CPU time', () => {
    const probe = probeFromProfile(aProfile({ complexity: aComplexity({ probeSecondsPerSecond: 0.1 }) }), 4);
    expect(probe.cpuSec).toBeCloseTo(probe.wallSec * 4);
    const half = probeForRendition(probe, { width: 960, height: 540, fps: 15 });
    expect(half.wallSec).toBeCloseTo(probe.wallSec / 8);
    expect(half.frames).toBe(Math.round(probe.frames / 2));
  });

  it('applies the calibration of the backend it predicts for', () => {
    const cal: Calibration = { local: { wall: { logRatio: Math.log(2), n: 10 }, cpu: { logRatio: 0, n: 10 } } };
    const plain = predictJob(recipe, profile, 'local', learnedModel(model));
    const calibrated = predictJob(recipe, profile, 'local', learnedModel(model, { calibration: cal }));
    expect(calibrated.wallSecP50).toBeCloseTo(plain.wallSecP50 * 2, 6);
    expect(calibrated.cpuSecP50).toBeCloseTo(plain.cpuSecP50, 6);
    expect(predictJob(recipe, profile, 'batch-gpu', learnedModel(model, { calibration: cal })).wallSecP50).toBeLessThan(plain.wallSecP50);
  });

  it('keeps the heuristic model available as a fallback', () => {
    const pred = predictJob(recipe, profile, 'local', heuristicModel);
    expect(pred.modelVersion).toBe('heuristic-v0');
    expect(pred.wallSecP90).toBeGreaterThan(pred.wallSecP50);
  });
});

describe('online calibration', () => {
  it('converges on a synthetic drift: a machine 1.8× slower than predicted', () => {
    const rng = seededRng(5);
    let cal: Calibration = {};
    const errors: number[] = [];
    for (let i = 0; i < 80; i++) {
      const raw = 5 + 50 * rng.next();
      const f = calibrationFactors(cal, 'local');
      const predicted = { wallSec: raw * f.wall, cpuSec: raw * 2 * f.cpu };
      const actual = { wallSec: raw * 1.8 * Math.exp(0.05 * normal(rng)), cpuSec: raw * 2 * 0.7 };
      errors.push(Math.abs(predicted.wallSec - actual.wallSec) / actual.wallSec);
      cal = updateCalibration(cal, 'local', predicted, actual);
    }
    expect(calibrationFactors(cal, 'local').wall).toBeCloseTo(1.8, 1);
    expect(calibrationFactors(cal, 'local').cpu).toBeCloseTo(0.7, 1);
    const late = errors.slice(-20);
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(0.08);
    expect(late.filter((e) => e <= 0.15).length).toBeGreaterThanOrEqual(18);
    expect(errors[0]!).toBeGreaterThan(0.4);
    expect(calibrationFactors(cal, 'mediaconvert')).toEqual({ wall: 1, cpu: 1 });
  });

  it('follows a second drift after a new ffmpeg build', () => {
    let cal: Calibration = {};
    const step = (truth: number) => {
      const f = calibrationFactors(cal, 'batch-cpu').wall;
      cal = updateCalibration(cal, 'batch-cpu', { wallSec: 10 * f }, { wallSec: 10 * truth });
    };
    for (let i = 0; i < 40; i++) step(2);
    for (let i = 0; i < 40; i++) step(0.5);
    expect(calibrationFactors(cal, 'batch-cpu').wall).toBeCloseTo(0.5, 2);
  });

  it('is bounded and ignores one wild outlier or invalid figures', () => {
    let cal: Calibration = {};
    for (let i = 0; i < 30; i++) cal = updateCalibration(cal, 'local', { wallSec: 10 * calibrationFactors(cal, 'local').wall }, { wallSec: 10 });
    cal = updateCalibration(cal, 'local', { wallSec: 10 }, { wallSec: 10_000 });
    expect(calibrationFactors(cal, 'local').wall).toBeLessThan(Math.exp(0.5) + 1e-9);
    const same = updateCalibration(cal, 'local', { wallSec: 0 }, { wallSec: Number.NaN });
    expect(same.local).toEqual(cal.local);
    let runaway: Calibration = {};
    for (let i = 0; i < 100; i++) runaway = updateCalibration(runaway, 'local', { wallSec: 1 }, { wallSec: 1000 });
    expect(calibrationFactors(runaway, 'local').wall).toBeCloseTo(8, 6);
  });
});

describe('allocation follows the prediction', () => {
  const rendition = (wall: number, cpu: number): RenditionPrediction => ({ renditionId: 'r', backend: 'mediaconvert', wallSecP50: wall, wallSecP90: wall * 1.3, cpuSecP50: cpu, outputBytes: 1 });
  const prediction = (wall: number, cpu = wall * 4, n = 3): Prediction => ({
    modelVersion: 'm', renditions: Array.from({ length: n }, () => rendition(wall / n, cpu / n)), wallSecP50: wall, wallSecP90: wall * 1.3, cpuSecP50: cpu,
  });

  it('turns on accelerated transcoding when MediaConvert would run over 10 minutes', () => {
    const long = allocate(prediction(700), 'mediaconvert');
    expect(long.accelerated).toBe(true);
    expect(long.reasons.join(' ')).toMatch(/accelerated transcoding/);
    expect(allocate(prediction(200), 'mediaconvert').accelerated).toBe(false);
  });

  it('chooses GPU Batch for a heavy or UHD job and MediaConvert for a light one', () => {
    const heavy = allocate(prediction(1200, 8000), 'mediaconvert', { chooseBackend: true });
    expect(heavy).toMatchObject({ backend: 'batch-gpu', gpus: 1 });
    expect(heavy.reasons.join(' ')).toMatch(/GPU Batch/);
    expect(allocate(prediction(60, 200), 'batch-gpu', { chooseBackend: true, source: { durationSec: 60, height: 2160 } }).backend).toBe('batch-gpu');
    expect(allocate(prediction(60, 200), 'batch-gpu', { chooseBackend: true }).backend).toBe('mediaconvert');
    expect(allocate(prediction(60, 200), 'local', { chooseBackend: true }).backend).toBe('local');
  });

  it('uses more chunks as the predicted time grows, bounded by the source length', () => {
    const src = { durationSec: 600, height: 1080 };
    const short = allocate(prediction(60), 'batch-cpu', { source: src });
    const long = allocate(prediction(1800), 'batch-cpu', { source: src });
    expect(short.chunks).toBe(1);
    expect(long.chunks).toBeGreaterThan(short.chunks);
    expect(long.reasons.join(' ')).toMatch(/chunks/);
    expect(allocate(prediction(1800), 'batch-cpu', { source: { durationSec: 40, height: 1080 } }).chunks).toBe(2);
    expect(allocate(prediction(60), 'batch-gpu', { source: { durationSec: 600, height: 2160 } }).chunks).toBeGreaterThanOrEqual(4);
  });

  it('sizes Batch vCPUs and memory from the predicted CPU time', () => {
    const light = allocate(prediction(60, 100), 'batch-cpu');
    const heavy = allocate(prediction(600, 6000), 'batch-cpu');
    expect(heavy.vcpus).toBeGreaterThan(light.vcpus);
    expect(heavy.memoryMiB).toBeGreaterThanOrEqual(heavy.vcpus * 2048);
    expect(heavy.vcpus).toBeLessThanOrEqual(16);
  });

  it('gives a local job as many pool slots as it has renditions, up to the pool', () => {
    expect(allocate(prediction(60, 200, 5), 'local', { localPoolSlots: 4 }).slots).toBe(4);
    expect(allocate(prediction(60, 200, 1), 'local', { localPoolSlots: 4 }).slots).toBe(1);
    expect(allocate(prediction(60, 200, 3), 'local').reasons.join(' ')).toMatch(/2 of 2 local slots/);
  });
});
