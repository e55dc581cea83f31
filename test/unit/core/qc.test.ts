import { describe, expect, it } from 'vitest';
import { bdRate, evaluateQc, floorOf, keyframeMisalignment, pchip, polyfit, rateQualityHull, validateMasterPlaylist, validateMediaPlaylist } from '../../../lib/core/qc';
import { chooseRecipe } from '../../../lib/core/recipes';
import type { Recipe, RenditionResult, ValueScore } from '../../../lib/core/types';
import { leversFor } from '../../../lib/core/value';
import { aProfile } from '../../helpers/factories';

const value: ValueScore = { score: 70, tier: 'premium', components: {}, levers: leversFor('premium', 70), policyVersion: 't' };
const recipe: Recipe = chooseRecipe({ jobId: 'job-1', profile: aProfile(), value, formats: ['abr'] });
const top = recipe.ladder.filter((r) => r.codec === 'h264').at(-1)!;

function goodResults(): RenditionResult[] {
  return recipe.ladder.map((r) => ({ renditionId: r.id, status: 'done', outputs: [`/out/${r.id}.mp4`], quality: { psnr: 40, ssim: 0.97, vmaf: 94 } }));
}
const keyframes = [0, 2, 4, 6, 8];
function goodFacts() {
  return recipe.ladder.map((r) => ({ renditionId: r.id, durationSec: 10, hasVideo: true, hasAudio: true, width: r.width, height: r.height, keyframeTimes: keyframes }));
}

describe('evaluateQc', () => {
  it('passes a ladder that meets every floor and check', () => {
    const v = evaluateQc({ recipe, results: goodResults(), facts: goodFacts(), sourceDurationSec: 10, sourceHasAudio: true });
    expect(v.passed).toBe(true);
    expect(v.reason).toBe(`QC passed (${recipe.ladder.length} renditions)`);
  });

  it('fails a rendition encoded at crf 51 with the rendition, the score and its floor in the reason', () => {
    const results = goodResults().map((r) => (r.renditionId === top.id ? { ...r, quality: { psnr: 22.1, ssim: 0.71, vmaf: 18.4 } } : r));
    const v = evaluateQc({ recipe, results, sourceDurationSec: 10 });
    expect(v.passed).toBe(false);
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatchObject({ renditionId: top.id, check: 'vmaf-floor' });
    expect(v.reason).toContain(`${top.id}: VMAF 18.4 is below its floor ${floorOf(top).vmaf}`);
  });

  it('judges by PSNR when VMAF is not configured, and fails a broken picture on SSIM', () => {
    const results = goodResults().map((r) => (r.renditionId === top.id ? { ...r, quality: { psnr: 19, ssim: 0.4 } } : r));
    const v = evaluateQc({ recipe, results });
    expect(v.failures.map((f) => f.check).sort()).toEqual(['psnr-floor', 'ssim-floor']);
    expect(v.reason).toMatch(/PSNR 19.0 dB is below its floor \d+ dB/);
  });

  it('fails missing and failed encodes', () => {
    const results = goodResults().slice(1).map((r, i) => (i === 0 ? { ...r, status: 'failed' as const, error: 'ffmpeg exited 1' } : r));
    const v = evaluateQc({ recipe, results });
    expect(v.failures.map((f) => f.check)).toEqual(['missing', 'missing']);
    expect(v.failures[1]!.reason).toContain('ffmpeg exited 1');
  });

  it('fails short outputs, missing streams, wrong sizes and invalid playlists with precise reasons', () => {
    const facts = goodFacts();
    facts[0] = { ...facts[0]!, durationSec: 7.5 };
    facts[1] = { ...facts[1]!, hasAudio: false, width: 100 };
    const withPlaylist = [...facts.slice(0, 2), { ...facts[2]!, hasVideo: false, playlist: { valid: false, errors: ['no media segments'] } }, ...facts.slice(3)];
    const v = evaluateQc({ recipe, results: goodResults(), facts: withPlaylist, sourceDurationSec: 10, sourceHasAudio: true });
    const checks = v.failures.map((f) => f.check);
    expect(checks).toEqual(expect.arrayContaining(['duration', 'audio-stream', 'dimensions', 'video-stream', 'playlist']));
    expect(v.failures.find((f) => f.check === 'duration')!.reason).toContain('duration 7.50s vs source 10.00s');
    expect(v.reason).toMatch(/\(\+\d+ more\)/);
  });

  it('fails a rung whose keyframes are not aligned with the rest of the ladder', () => {
    const facts = goodFacts();
    facts[2] = { ...facts[2]!, keyframeTimes: [0, 2, 3.2, 6, 8] };
    const v = evaluateQc({ recipe, results: goodResults(), facts });
    expect(v.failures).toEqual([expect.objectContaining({ check: 'keyframe-alignment', renditionId: recipe.ladder[2]!.id })]);
    expect(v.failures[0]!.reason).toContain('keyframe 2 at 3.200s vs 4.000s');
    expect(keyframeMisalignment([0, 2], [0, 2, 4], 0.05)).toBe('3 keyframes vs 2');
  });

  it('uses format floors for renditions without a recipe floor', () => {
    const { qualityFloor: _f, ...bare } = top;
    expect(floorOf({ ...bare, format: 'hd' })).toEqual({ vmaf: 65, psnr: 28 });
    expect(floorOf({ ...bare, format: 'abr' }).vmaf).toBe(65);
  });
});

describe('HLS playlist validation', () => {
  const media = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXTINF:4.0,', 's0.ts', '#EXTINF:2.5,', 's1.ts', '#EXT-X-ENDLIST', ''].join('\n');
  it('accepts a VOD media playlist and reports its segments', () => {
    const c = validateMediaPlaylist(media);
    expect(c.valid).toBe(true);
    expect(c.media!.totalSec).toBeCloseTo(6.5);
    expect(c.media!.segments.map((s) => s.uri)).toEqual(['s0.ts', 's1.ts']);
  });
  it('rejects a segment longer than the target duration, a missing end tag and a dangling EXTINF', () => {
    const bad = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXTINF:4.0,', 's0.ts', '#EXTINF:2,'].join('\n');
    const c = validateMediaPlaylist(bad);
    expect(c.valid).toBe(false);
    expect(c.errors).toEqual(expect.arrayContaining(['segment s0.ts: 4s exceeds the target duration 2s', 'VOD playlist without #EXT-X-ENDLIST', 'segment 1: #EXTINF without a URI']));
    expect(validateMediaPlaylist('hello').errors).toEqual(expect.arrayContaining(['first line is not #EXTM3U', 'missing or invalid #EXT-X-TARGETDURATION', 'no media segments']));
  });
  it('validates master playlists', () => {
    const ok = validateMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p/index.m3u8\n');
    expect(ok).toMatchObject({ valid: true, variants: [{ uri: '360p/index.m3u8', bandwidth: 800000, resolution: '640x360' }] });
    const bad = validateMasterPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=640x360\n#EXT-X-STREAM-INF:BANDWIDTH=1\n');
    expect(bad.errors).toEqual(expect.arrayContaining(['variant 0: #EXT-X-STREAM-INF without BANDWIDTH', 'variant 0: #EXT-X-STREAM-INF without a URI']));
  });
});

describe('BD-rate', () => {
  const anchor = [{ rate: 100, quality: 60 }, { rate: 200, quality: 72 }, { rate: 400, quality: 82 }, { rate: 800, quality: 89 }, { rate: 1600, quality: 94 }];

  it('is −50% for a curve that needs half the bits at every quality, +100% for double', () => {
    const half = anchor.map((p) => ({ ...p, rate: p.rate / 2 }));
    const double = anchor.map((p) => ({ ...p, rate: p.rate * 2 }));
    expect(bdRate(anchor, half)!.percent).toBeCloseTo(-50, 6);
    expect(bdRate(anchor, double)!.percent).toBeCloseTo(100, 6);
    expect(bdRate(anchor, anchor)!.percent).toBeCloseTo(0, 9);
    expect(bdRate(anchor, half)!.fits).toEqual(['cubic', 'cubic']);
  });

  it('integrates only over the quality range both curves cover', () => {
    const partial = anchor.slice(1, 4).map((p) => ({ ...p, rate: p.rate * 0.8 }));
    const r = bdRate(anchor, partial)!;
    expect(r.overlap).toEqual([72, 89]);
    expect(r.percent).toBeCloseTo(-20, 0);
  });

  it('is undefined without two hull points or without a shared quality range', () => {
    expect(bdRate(anchor, [{ rate: 100, quality: 50 }])).toBeUndefined();
    expect(bdRate(anchor, [{ rate: 10, quality: 10 }, { rate: 20, quality: 20 }])).toBeUndefined();
  });

  it('judges a ladder by its hull: a dominated rung does not change the result', () => {
    const test = anchor.map((p) => ({ ...p, rate: p.rate * 0.7 }));
    const withDominated = [...test, { rate: 1000, quality: 70 }];
    expect(rateQualityHull(withDominated)).toHaveLength(test.length);
    expect(bdRate(anchor, withDominated)!.percent).toBeCloseTo(bdRate(anchor, test)!.percent, 9);
  });

  it('falls back to the monotone interpolant on a flat curve instead of overshooting', () => {
    const flatTop = [{ rate: 148, quality: 17.5 }, { rate: 360, quality: 19.2 }, { rate: 634, quality: 20.8 }, { rate: 2895, quality: 28.13 }, { rate: 4312, quality: 28.21 }];
    const test = [{ rate: 334, quality: 22.07 }, { rate: 738, quality: 25.77 }, { rate: 2188, quality: 35.71 }];
    const r = bdRate(flatTop, test)!;
    expect(r.fits[1]).toBe('pchip');
    expect(r.percent).toBeGreaterThan(-90);
    expect(r.percent).toBeLessThan(0);
  });

  it('fits polynomials exactly when they have as many points as coefficients, and interpolates monotonically', () => {
    const f = polyfit([1, 2, 3, 4], [1, 8, 27, 64], 3);
    const at = (x: number) => f.coef.reduce((a, c, k) => a + c * ((x - f.mu) / f.sigma) ** k, 0);
    expect(at(2.5)).toBeCloseTo(15.625, 6);
    const p = pchip([0, 1, 2], [0, 1, 1]);
    for (let x = 0; x <= 2; x += 0.1) expect(p(x)).toBeLessThanOrEqual(1 + 1e-12);
    expect(pchip([0, 1], [0, 2])(0.5)).toBeCloseTo(1);
  });
});
