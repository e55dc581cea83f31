import { describe, expect, it } from 'vitest';
import { activeLadder, chooseRecipe, convexHull, crfForQvbrLevel, qvbrLevelForCrf, type RecipeInput } from '../../../lib/core/recipes';
import { chooseAudio } from '../../../lib/core/recipes/audio';
import { crfForCodec, tuneFor } from '../../../lib/core/recipes/codecs';
import { formatOfHeight, ladderPolicy, paretoFront } from '../../../lib/core/recipes/ladder';
import { detailFactor, displaySize, predictKbps, predictVmaf, titleModel, crfForKbps } from '../../../lib/core/recipes/model';
import { leversFor } from '../../../lib/core/value';
import type { ContentProfile, Tier, ValueScore } from '../../../lib/core/types';
import { aComplexity, aProfile, aSource } from '../../helpers/factories';

function aValue(tier: Tier = 'premium', score = 70): ValueScore {
  return { score, tier, components: {}, levers: leversFor(tier, score), policyVersion: 'test' };
}
function recipeFor(profile: ContentProfile, over: Partial<RecipeInput> = {}) {
  return chooseRecipe({ jobId: 'job-1', profile, value: aValue(), formats: ['abr'], ...over });
}
const h264 = (r: ReturnType<typeof recipeFor>) => r.ladder.filter((x) => x.codec === 'h264');
const totalTarget = (r: ReturnType<typeof recipeFor>) => h264(r).reduce((a, x) => a + (x.targetKbps ?? 0), 0);

describe('ladder selection', () => {
  it('never puts a rung above the source resolution', () => {
    for (const [w, h] of [[176, 144], [352, 288], [640, 272], [1280, 720], [1920, 1080]] as const) {
      const r = recipeFor(aProfile({}, { width: w, height: h }));
      expect(r.ladder.length).toBeGreaterThan(0);
      for (const x of r.ladder) {
        expect(x.height).toBeLessThanOrEqual(h);
        expect(x.width).toBeLessThanOrEqual(w);
        expect(x.width % 2).toBe(0);
        expect(x.height % 2).toBe(0);
      }
    }
  });

  it('gives hard content more bits than easy content of the same size', () => {
    const easy = recipeFor(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.02, spatialInfo: 40 }), contentClass: 'animation' }));
    const hard = recipeFor(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.2, spatialInfo: 110, temporalInfo: 40 }), contentClass: 'high-motion' }));
    const top = (r: typeof easy) => h264(r).at(-1)!;
    expect(top(hard).targetKbps!).toBeGreaterThan(3 * top(easy).targetKbps!);
    expect(totalTarget(hard)).toBeGreaterThan(3 * totalTarget(easy));
  });

  it('gives screen content fewer, sharper rungs than general video', () => {
    const screen = recipeFor(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.03, spatialInfo: 90, temporalInfo: 1 }), contentClass: 'screen' }, { width: 1920, height: 1080 }));
    const general = recipeFor(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.1, spatialInfo: 60, temporalInfo: 15 }), contentClass: 'general' }, { width: 1920, height: 1080 }));
    expect(h264(screen).length).toBeLessThan(h264(general).length);
    expect(Math.min(...h264(screen).map((x) => x.height))).toBeGreaterThan(Math.min(...h264(general).map((x) => x.height)));
    expect(h264(screen)[0]!.tune).toBe('stillimage');
  });

  it('moves to lower resolutions at the same bitrate when content is hard (predicted hull)', () => {
    const easy = titleModel(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.03 }) }));
    const hard = titleModel(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.3 }) }));
    const bestHeightAt = (t: typeof easy, kbps: number) => {
      const options = [360, 540, 720, 1080].map((h) => ({ h, v: predictVmaf(t, h, crfForKbps(t, h, kbps)) }));
      return options.reduce((a, b) => (b.v > a.v ? b : a)).h;
    };
    expect(bestHeightAt(hard, 1500)).toBeLessThan(bestHeightAt(easy, 1500));
  });

  it('spaces rungs by a visible step in rate and predicted quality', () => {
    const r = recipeFor(aProfile());
    const rungs = h264(r);
    for (let i = 1; i < rungs.length; i++) {
      expect(rungs[i]!.targetKbps! / rungs[i - 1]!.targetKbps!).toBeGreaterThan(1.3);
      expect(rungs[i]!.predictedVmaf! - rungs[i - 1]!.predictedVmaf!).toBeGreaterThan(2);
    }
  });

  it('keeps every rung at or above its format quality floor', () => {
    const r = recipeFor(aProfile({ complexity: aComplexity({ probeBitsPerPixel: 0.25 }) }));
    const floors = { mobile: 40, sd: 55, hd: 65, uhd: 75 };
    for (const x of h264(r)) expect(x.predictedVmaf!).toBeGreaterThanOrEqual(floors[x.format as keyof typeof floors] - 1);
  });

  it('uses fewer rungs for bulk than for premium, and a lower top quality', () => {
    const p = aProfile();
    const premium = chooseRecipe({ jobId: 'j', profile: p, value: aValue('premium'), formats: ['abr'] });
    const bulk = chooseRecipe({ jobId: 'j', profile: p, value: aValue('bulk', 10), formats: ['abr'] });
    expect(bulk.ladder.length).toBeLessThan(premium.ladder.length);
    expect(bulk.ladder.at(-1)!.predictedVmaf!).toBeLessThan(premium.ladder.at(-1)!.predictedVmaf!);
  });

  it('produces one rendition per requested single format, skipping formats above the source', () => {
    const r = recipeFor(aProfile({}, { width: 1280, height: 720 }), { formats: ['mobile', 'hd', 'uhd'] });
    expect(r.ladder.map((x) => x.format)).toEqual(['mobile', 'hd']);
    expect(r.packaging).toEqual(['mp4']);
    expect(r.rationale.join(' ')).toMatch(/uhd skipped/);
  });

  it('falls back to one source-size rung when no requested format fits the source', () => {
    const r = recipeFor(aProfile({}, { width: 1280, height: 720 }), { formats: ['uhd'] });
    expect(h264(r)).toHaveLength(1);
    expect(h264(r)[0]!.height).toBe(720);
  });

  it('aligns keyframes: one GOP duration and frame rate across the whole ladder, closed GOPs', () => {
    const r = recipeFor(aProfile({}, { fps: 29.97 }), { codecs: ['hevc'] });
    expect(new Set(r.ladder.map((x) => x.gopSeconds * x.fps)).size).toBe(1);
    expect(r.ladder.every((x) => x.closedGop)).toBe(true);
  });

  it('packages ABR as HLS, DASH and MP4 downloads', () => {
    expect(recipeFor(aProfile()).packaging).toEqual(['hls', 'dash', 'mp4']);
  });

  it('marks the bottom and top rung and the top of each format mandatory', () => {
    const rungs = h264(recipeFor(aProfile()));
    expect(rungs[0]!.mandatory).toBe(true);
    expect(rungs.at(-1)!.mandatory).toBe(true);
    const formats = new Set(rungs.map((x) => x.format));
    for (const f of formats) expect(rungs.filter((x) => x.format === f).at(-1)!.mandatory).toBe(true);
  });

  it('uses the display size of a rotated source', () => {
    const r = recipeFor(aProfile({}, { width: 1920, height: 1080, rotation: 90 }));
    expect(displaySize(aProfile({}, { width: 1920, height: 1080, rotation: 90 }))).toEqual({ width: 1080, height: 1920 });
    for (const x of r.ladder) expect(x.height).toBeGreaterThan(x.width);
  });

  it('falls back on the difficulty figure when the probe is missing', () => {
    const t = titleModel(aProfile({ complexity: aComplexity({ probeBitsPerPixel: Number.NaN }), difficulty: 1 }));
    expect(t.bpp).toBeCloseTo(0.27);
  });
});

describe('codecs, tunes and budget', () => {
  it('adds HEVC/VP9/AV1 only when asked and within the tier budget', () => {
    const p = aProfile();
    const critical = chooseRecipe({ jobId: 'j', profile: p, value: aValue('critical', 95), formats: ['abr'], codecs: ['hevc', 'vp9', 'av1'] });
    const standard = chooseRecipe({ jobId: 'j', profile: p, value: aValue('standard', 40), formats: ['abr'], codecs: ['hevc', 'vp9', 'av1'] });
    const bulk = chooseRecipe({ jobId: 'j', profile: p, value: aValue('bulk', 10), formats: ['abr'], codecs: ['hevc'] });
    expect(new Set(critical.ladder.map((x) => x.codec))).toEqual(new Set(['h264', 'hevc', 'vp9', 'av1']));
    expect(new Set(standard.ladder.map((x) => x.codec))).toEqual(new Set(['h264', 'hevc']));
    expect(standard.rationale.join(' ')).toMatch(/vp9 not produced/);
    expect(new Set(bulk.ladder.map((x) => x.codec))).toEqual(new Set(['h264']));
    expect(new Set(critical.ladder.map((x) => x.id)).size).toBe(critical.ladder.length);
  });

  it('adds HEVC for UHD rungs and keeps 10-bit for HDR sources', () => {
    const r = chooseRecipe({ jobId: 'j', profile: aProfile({}, { width: 3840, height: 2160, hdr: true }), value: aValue('critical', 95), formats: ['abr', 'uhd'] });
    const hevc = r.ladder.filter((x) => x.codec === 'hevc');
    expect(hevc.length).toBeGreaterThan(0);
    expect(hevc.every((x) => x.profile === 'main10')).toBe(true);
    expect(r.ladder.some((x) => x.height > 1080)).toBe(true);
  });

  it('tunes x264 for the content class', () => {
    expect(tuneFor('animation')).toBe('animation');
    expect(tuneFor('film-grain')).toBe('grain');
    expect(tuneFor('screen')).toBe('stillimage');
    expect(tuneFor('talking-head')).toBeUndefined();
    expect(tuneFor('general')).toBeUndefined();
  });

  it('maps CRF across codecs and to QVBR levels and back', () => {
    expect(crfForCodec('hevc', 23)).toBe(27);
    expect(crfForCodec('vp9', 23)).toBe(31);
    expect(crfForCodec('av1', 23)).toBe(32);
    expect(qvbrLevelForCrf(23)).toBe(7);
    expect(crfForQvbrLevel(8)).toBe(21);
    expect(qvbrLevelForCrf(crfForQvbrLevel(9))).toBe(9);
    expect(qvbrLevelForCrf(60)).toBe(1);
  });
});

describe('audio profile', () => {
  const src = aSource();
  it('has no track when the source has none or it is absent', () => {
    expect(chooseAudio(aSource({ audio: null }), { kind: 'speech', channels: 2 }, 'premium')).toBeNull();
    expect(chooseAudio(src, { kind: 'none', channels: 0 }, 'premium')).toBeNull();
  });
  it('spends less on speech than on music, more on music for premium', () => {
    const speech = chooseAudio(src, { kind: 'speech', channels: 1, loudnessLufs: -16 }, 'premium')!;
    const music = chooseAudio(src, { kind: 'music', channels: 6, loudnessLufs: -30 }, 'premium')!;
    const bulkMusic = chooseAudio(src, { kind: 'music', channels: 2 }, 'bulk')!;
    expect(speech).toMatchObject({ bitrateKbps: 64, channels: 1 });
    expect(speech.loudnessTarget).toBeUndefined();
    expect(music).toMatchObject({ bitrateKbps: 160, channels: 2, loudnessTarget: -16 });
    expect(bulkMusic.bitrateKbps).toBe(128);
    expect(chooseAudio(src, { kind: 'silence', channels: 2 }, 'bulk')!.bitrateKbps).toBe(32);
  });
});

describe('faster variants', () => {
  it('offers a ladder of faster variants, each faster than the last, with a stated quality cost', () => {
    const r = chooseRecipe({ jobId: 'j', profile: aProfile(), value: aValue('premium'), formats: ['abr'] });
    expect(r.variants[0]).toMatchObject({ level: 0, expectedSpeedup: 1, qualityCostVmaf: 0 });
    for (let i = 1; i < r.variants.length; i++) {
      expect(r.variants[i]!.level).toBe(i);
      expect(r.variants[i]!.expectedSpeedup).toBeGreaterThan(r.variants[i - 1]!.expectedSpeedup);
      expect(r.variants[i]!.qualityCostVmaf).toBeGreaterThanOrEqual(r.variants[i - 1]!.qualityCostVmaf);
    }
    expect(r.variants.some((v) => v.name === 'single-pass')).toBe(true);
    expect(r.variants.some((v) => v.accelerated)).toBe(true);
    const deferring = r.variants.at(-1)!;
    expect(deferring.deferredRenditionIds.length).toBeGreaterThan(0);
  });

  it('runs the active variant: preset override applied and deferred rungs removed', () => {
    const r = chooseRecipe({ jobId: 'j', profile: aProfile(), value: aValue('standard', 40), formats: ['abr'] });
    const last = r.variants.length - 1;
    const ladder = activeLadder({ ...r, activeVariant: last });
    expect(ladder.length).toBeLessThan(r.ladder.length);
    expect(ladder.every((x) => x.mandatory && x.preset === r.variants[last]!.presetOverride)).toBe(true);
    expect(activeLadder({ ...r, activeVariant: 99 })).toEqual(r.ladder);
    expect(r.variants.some((v) => v.name === 'single-pass')).toBe(false);
  });
});

describe('rate–quality helpers', () => {
  it('predicts more bits for lower CRF and larger pictures, and inverts exactly', () => {
    const t = titleModel(aProfile());
    expect(predictKbps(t, 1080, 20)).toBeGreaterThan(predictKbps(t, 1080, 26));
    expect(predictKbps(t, 1080, 23)).toBeGreaterThan(predictKbps(t, 720, 23));
    expect(crfForKbps(t, 720, predictKbps(t, 720, 27))).toBeCloseTo(27);
    expect(predictVmaf(t, 1080, 20)).toBeGreaterThan(predictVmaf(t, 540, 20));
  });

  it('rates screen text as most sensitive to downscaling and flat animation as least', () => {
    const d = (cls: ContentProfile['contentClass']) => detailFactor(aProfile({ contentClass: cls }));
    expect(d('screen')).toBeGreaterThan(d('general'));
    expect(d('animation')).toBeLessThan(d('general'));
    expect(d('film-grain')).toBeGreaterThan(d('general'));
  });

  it('keeps only points on the upper convex hull', () => {
    const pts = [{ kbps: 100, vmaf: 50 }, { kbps: 200, vmaf: 60 }, { kbps: 400, vmaf: 85 }, { kbps: 800, vmaf: 90 }, { kbps: 900, vmaf: 80 }];
    expect(paretoFront(pts).map((p) => p.kbps)).toEqual([100, 200, 400, 800]);
    expect(convexHull(pts).map((p) => p.kbps)).toEqual([100, 400, 800]);
  });

  it('maps heights to formats and tiers to policies', () => {
    expect([240, 480, 720, 2160].map(formatOfHeight)).toEqual(['mobile', 'sd', 'hd', 'uhd']);
    expect(ladderPolicy({ qualityLevel: 9, rungSet: 'full' }).topVmaf).toBeGreaterThan(ladderPolicy({ qualityLevel: 7, rungSet: 'core' }).topVmaf);
  });
});
