import { describe, expect, it } from 'vitest';
import { chooseMeasuredRungs, chooseRecipe, envelopePoints, hullMetric, measuresHull, probeCostShare, type MeasuredHull, type TrialPoint } from '../../../lib/core/recipes';
import { ladderPolicy } from '../../../lib/core/recipes/ladder';
import { leversFor } from '../../../lib/core/value';
import type { Tier, ValueScore } from '../../../lib/core/types';
import { aProfile } from '../../helpers/factories';

const value = (tier: Tier = 'premium'): ValueScore => ({ score: 70, tier, components: {}, levers: leversFor(tier, 70), policyVersion: 'test' });
const policy = { ...ladderPolicy(value().levers), minStepVmaf: 2, minKbps: 30 };

/**
 * A synthetic title measured the way the hull probe measures one: rate halves every 6 CRF and
 * scales with pixels^0.75; quality at the display size falls with CRF and with `sharpness`·octaves
 * of downscaling (a detailed title loses more when downscaled).
 */
function syntheticHull(o: { width?: number; height?: number; sharpness: number; bpp?: number; heights?: number[]; crfs?: number[]; vmaf?: boolean }): MeasuredHull {
  const W = o.width ?? 1280;
  const H = o.height ?? 720;
  const heights = o.heights ?? [720, 540, 432, 360, 288, 234, 180];
  const points: TrialPoint[] = [];
  for (const h of heights.filter((x) => x <= H)) {
    for (const crf of o.crfs ?? [20, 27, 34]) {
      const w = 2 * Math.round((W * h) / H / 2);
      const kbps = ((o.bpp ?? 0.08) * W * H * 25 * Math.pow((w * h) / (W * H), 0.75) * Math.pow(2, (23 - crf) / 6)) / 1000;
      const native = 100 / (1 + Math.exp((crf - 38) / 5));
      const octaves = Math.log2(H / h);
      const vmaf = native * (1 - o.sharpness * 0.12 * octaves * octaves - 0.02 * octaves);
      const psnr = 50 - 0.45 * crf - 3 * o.sharpness * octaves;
      points.push({ width: w, height: h, crf, kbps, psnr, ssim: Math.max(0, 1 - (60 - psnr) / 60), ...(o.vmaf === false ? {} : { vmaf }) });
    }
  }
  return { points, trialPreset: 'faster', targetPreset: 'medium', presetRateFactor: 1, presetQualityOffset: 0, sampledSec: 2, costSec: 10 };
}

describe('envelopePoints (measured hull interpolation)', () => {
  const hull = syntheticHull({ sharpness: 1 });
  it('reproduces the measured points at the measured CRFs and interpolates monotonically between them', () => {
    const env = envelopePoints(hull, policy).filter((p) => p.height === 360);
    for (const m of hull.points.filter((p) => p.height === 360)) {
      const at = env.find((p) => p.crf === m.crf)!;
      expect(at.measured).toBe(true);
      expect(at.kbps).toBeCloseTo(m.kbps, 6);
      expect(at.vmaf).toBeCloseTo(m.vmaf!, 6);
    }
    const byCrf = env.sort((a, b) => a.crf - b.crf);
    for (let i = 1; i < byCrf.length; i++) {
      expect(byCrf[i]!.kbps).toBeLessThan(byCrf[i - 1]!.kbps);
      expect(byCrf[i]!.vmaf).toBeLessThanOrEqual(byCrf[i - 1]!.vmaf);
    }
  });
  it('follows the bend of the measured curve between trials instead of the chord', () => {
    // VMAF falls ever faster with CRF: 97.5, 90, 74 at CRF 20, 27, 34. Midway between the first two
    // a chord says 93.8; the curve through all three (PCHIP) sits above it and below the upper trial.
    const bent: MeasuredHull = {
      ...hull,
      points: [20, 27, 34].map((crf, i) => ({ width: 352, height: 288, crf, kbps: [556, 230, 103][i]!, vmaf: [97.5, 90, 74][i]!, psnr: [42, 37, 33][i]!, ssim: 0.9 })),
    };
    const at = (crf: number) => envelopePoints(bent, policy).find((p) => p.crf === crf)!;
    expect(at(24).vmaf).toBeGreaterThan(97.5 + ((90 - 97.5) * 4) / 7 + 0.3);
    expect(at(24).vmaf).toBeLessThan(97.5);
    expect(at(24).measured).toBe(false);
    expect(at(27).measured).toBe(true);
  });
  it('applies the measured preset offset: rate factor and quality offset', () => {
    const base = envelopePoints(hull, policy).find((p) => p.height === 720 && p.crf === 27)!;
    const adj = envelopePoints({ ...hull, presetRateFactor: 1.2, presetQualityOffset: 2 }, policy).find((p) => p.height === 720 && p.crf === 27)!;
    expect(adj.kbps / base.kbps).toBeCloseTo(1.2, 6);
    expect(adj.vmaf - base.vmaf).toBeCloseTo(2, 6);
  });
  it('extrapolates only a few CRFs beyond the measured range and within the policy', () => {
    const env = envelopePoints(hull, policy, 3);
    expect(Math.min(...env.map((p) => p.crf))).toBe(17);
    expect(Math.max(...env.map((p) => p.crf))).toBe(37);
  });
});

describe('chooseMeasuredRungs', () => {
  it('puts the top rung at the largest allowed height reaching the tier target, never above the cap', () => {
    const rungs = chooseMeasuredRungs(syntheticHull({ sharpness: 1 }), policy, { maxHeight: 540 });
    const top = rungs.at(-1)!;
    expect(top.height).toBe(540);
    expect(top.vmaf).toBeGreaterThanOrEqual(policy.topVmaf);
    for (const r of rungs) expect(r.height).toBeLessThanOrEqual(540);
  });
  it('spaces rungs by the policy ratio, each adding visible quality, above the format floors', () => {
    const rungs = chooseMeasuredRungs(syntheticHull({ sharpness: 1 }), policy);
    expect(rungs.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < rungs.length; i++) {
      expect(rungs[i]!.kbps / rungs[i - 1]!.kbps).toBeGreaterThanOrEqual(policy.minStepRatio - 1e-9);
      expect(rungs[i]!.vmaf - rungs[i - 1]!.vmaf).toBeGreaterThanOrEqual(policy.minStepVmaf);
      expect(rungs[i]!.height).toBeGreaterThanOrEqual(rungs[i - 1]!.height);
    }
    expect(rungs[0]!.vmaf).toBeGreaterThanOrEqual(40);
  });
  it('keeps resolution longer on a detailed title than on a soft one (crossovers come from the measurement)', () => {
    const meanHeight = (s: number) => {
      const r = chooseMeasuredRungs(syntheticHull({ sharpness: s }), policy);
      return r.reduce((a, p) => a + p.height, 0) / r.length;
    };
    expect(meanHeight(2)).toBeGreaterThan(meanHeight(0.2));
  });
  it('climbs above the tier target while the hull is steep, up to the ceiling', () => {
    const cheap = syntheticHull({ width: 176, height: 144, heights: [144], sharpness: 1, crfs: [14, 20, 27] });
    const top = chooseMeasuredRungs(cheap, policy).at(-1)!;
    expect(top.vmaf).toBeGreaterThan(policy.topVmaf);
    expect(top.vmaf).toBeLessThanOrEqual(98);
  });
  it('works on PSNR when VMAF was not measured', () => {
    const hull = syntheticHull({ sharpness: 1, vmaf: false });
    expect(hullMetric(hull.points)).toBe('psnr');
    const rungs = chooseMeasuredRungs(hull, policy);
    expect(rungs.length).toBeGreaterThanOrEqual(2);
    expect(rungs.at(-1)!.height).toBe(720);
  });
  it('returns no rungs when nothing reaches a floor', () => {
    const hull = syntheticHull({ sharpness: 1 });
    expect(chooseMeasuredRungs({ ...hull, points: hull.points.map((p) => ({ ...p, vmaf: 10 })) }, policy)).toEqual([]);
  });
});

describe('chooseRecipe on a measured hull', () => {
  const profile = aProfile({}, { width: 1280, height: 720 });
  const hull = syntheticHull({ sharpness: 1 });
  it('uses the measured points for rate, quality and QC floors (SSIM relative to the title)', () => {
    const r = chooseRecipe({ jobId: 'j', profile, value: value(), formats: ['abr'], preset: 'medium', measuredHull: hull });
    const env = envelopePoints(hull, policy);
    expect(r.rationale[0]).toMatch(/^measured hull: 21 trial encodes/);
    for (const x of r.ladder.filter((l) => l.codec === 'h264')) {
      const p = env.find((e) => e.height === x.height && e.crf === x.crf)!;
      expect(x.targetKbps).toBe(Math.round(p.kbps));
      expect(x.predictedVmaf).toBeCloseTo(p.vmaf, 1);
      expect(x.qualityFloor!.ssim).toBeLessThanOrEqual(Math.max(0.2, p.ssim - 0.15) + 0.005);
      expect(x.qualityFloor!.vmaf).toBeLessThanOrEqual(x.predictedVmaf!);
    }
  });
  it('falls back on the predicted model without a measurement', () => {
    const r = chooseRecipe({ jobId: 'j', profile, value: value(), formats: ['abr'] });
    expect(r.rationale[0]).toMatch(/predicted hull/);
  });
  it('picks one measured rung per single format', () => {
    const r = chooseRecipe({ jobId: 'j', profile, value: value(), formats: ['sd', 'hd'], measuredHull: hull });
    expect(r.ladder.map((x) => x.format).sort()).toEqual(['hd', 'sd']);
  });
  it('measures premium and critical titles only, and reports the probe cost share', () => {
    expect((['critical', 'premium', 'standard', 'bulk'] as Tier[]).filter(measuresHull)).toEqual(['critical', 'premium']);
    expect(probeCostShare({ costSec: 10 }, 40)).toBeCloseTo(0.25, 9);
    expect(probeCostShare({ costSec: 10 }, 0)).toBe(Infinity);
  });
});
