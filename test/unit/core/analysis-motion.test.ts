import { describe, expect, it } from 'vitest';
import {
  CLASS_RULE,
  MAX_OVERVIEW_SEC,
  OVERVIEW_HEIGHT,
  OverviewAccumulator,
  classifyContent,
  cutPairs,
  FrameFeatureAccumulator,
  frameFeatures,
  limitedToFullRange,
  medianNoiseSigma,
  noiseSigma,
  overviewFeatures,
  samplingPlan,
  sobelStats,
} from '../../../lib/core/analysis';
import { seededRng } from '../../../lib/core/rng';
import type { AudioFeatures } from '../../../lib/core/types';
import { aComplexity, aSource } from '../../helpers/factories';
import { FRAME_H, FRAME_W, grayFrame } from '../../helpers/frames';

const W = FRAME_W;
const H = FRAME_H;
const frame = grayFrame;
const rng = seededRng(11);
/** A fixed random texture, sampled at a shifted position: global motion. */
const texture = Array.from({ length: 4 * W * H }, () => rng.next() * 255);
const panned = (dx: number) => frame((x, y) => texture[(y * 2 * W + ((x + dx) % (2 * W))) % texture.length]!);
/** A ramp across the frame; `lo` raises its floor (changes the luma histogram a little). */
const hRamp = (shift: number) => frame((x) => ((x + shift) % W) * 4);
const vRamp = frame((_, y) => 32 + (y / (H - 1)) * 223);
const noAudio: AudioFeatures = { kind: 'none', channels: 0 };

describe('scene cuts on the overview stream', () => {
  it('counts a change of light as a cut and nothing during steady motion', () => {
    const dark = frame(() => 12);
    const shot = [hRamp(0), hRamp(1), hRamp(2), dark, dark];
    const f = overviewFeatures([shot], W, H);
    expect(f.sceneCuts).toBe(1);
    expect(f.pairs).toBe(4);
    expect(overviewFeatures([[0, 1, 2, 3, 4, 5].map(panned)], W, H).sceneCuts).toBe(0);
  });

  it('catches a cut between shots of similar light by the spike of the frame difference', () => {
    // 6 pairs of slow motion, then a cut to a picture whose histogram differs by only 0.25
    const shot = [0, 1, 2, 3, 4, 5, 6].map(hRamp);
    const f = overviewFeatures([[...shot, vRamp, vRamp]], W, H);
    expect(f.sceneCuts).toBe(1);
  });

  it('decides a weak histogram change by the local motion around it', () => {
    // TI alone: a spike over calm pairs is a cut; the same TI amid equally fast pairs is motion
    expect(cutPairs([0.05, 0.05, 0.3, 0.05, 0.05], [4, 5, 40, 4, 5])).toEqual([false, false, true, false, false]);
    expect(cutPairs([0.3, 0.3, 0.3, 0.3, 0.3], [35, 40, 38, 36, 39])).toEqual([false, false, false, false, false]);
    // a page turn (a big difference, the same histogram) is not a change of scene
    expect(cutPairs([0.03, 0.04, 0.03], [0, 40, 0])).toEqual([false, false, false]);
    expect(cutPairs([0.6], [1])).toEqual([true]);
  });

  it('never pairs frames across windows', () => {
    const f = overviewFeatures([[hRamp(0), hRamp(1)], [frame(() => 12), frame(() => 12)]], W, H);
    expect(f.pairs).toBe(2);
    expect(f.sceneCuts).toBe(0);
    expect(f.frames).toBe(4);
  });
});

describe('motion on the overview stream', () => {
  const still = frame((x, y) => 60 + ((x * 7 + y * 13) % 50));
  /** The still picture with a textured block moving inside the centre: a presenter before a still room. */
  const presenter = (t: number) => {
    const f = Uint8Array.from(still);
    for (let y = 14; y < 34; y++) for (let x = 24 + (t % 4); x < 40 + (t % 4); x++) f[y * W + x] = texture[(y * 31 + x * 17 + t * 101) % texture.length]!;
    return f;
  };

  it('finds motion concentrated in the centre for a presenter and spread evenly for a pan', () => {
    const head = overviewFeatures([[0, 1, 2, 3, 4, 5].map(presenter)], W, H);
    expect(head.centreMotionConcentration).toBeGreaterThan(CLASS_RULE.talkingCentreConcentration);
    expect(head.stillPairShare).toBe(0);
    const pan = overviewFeatures([[0, 1, 2, 3, 4, 5].map(panned)], W, H);
    expect(pan.centreMotionConcentration).toBeGreaterThan(0.8);
    expect(pan.centreMotionConcentration).toBeLessThan(1.2);
    expect(pan.tiMean).toBeGreaterThan(head.tiMean);
  });

  it('reads a held picture as all still pairs with no motion', () => {
    const f = overviewFeatures([[still, still, still, still]], W, H);
    expect(f).toMatchObject({ stillPairShare: 1, tiMean: 0, centreMotionConcentration: 0, sceneCuts: 0 });
    expect(overviewFeatures([], W, H)).toMatchObject({ frames: 0, pairs: 0, stillPairShare: 0, tiMean: 0 });
  });

  it('accumulates frame by frame, copying each frame so a reused buffer cannot corrupt the next pair', () => {
    const acc = new OverviewAccumulator(W, H);
    const buf = new Uint8Array(W * H);
    for (const t of [0, 1, 2, 3]) {
      buf.set(presenter(t));
      acc.add(0, buf);
    }
    acc.add(0, new Uint8Array(10)); // a short tail frame is ignored
    expect(acc.finish()).toEqual(overviewFeatures([[0, 1, 2, 3].map(presenter)], W, H));
  });
});

describe('overview levels', () => {
  it('maps limited-range luma onto full range as a YUV-to-gray conversion does', () => {
    const map = limitedToFullRange();
    expect([map[0], map[16], map[126], map[235], map[255]]).toEqual([0, 0, 128, 255, 255]);
  });

  it('measures frames through the level map as it would measure the mapped frames', () => {
    const map = limitedToFullRange();
    const frames = [0, 1, 2, 3].map(panned);
    const mapped = frames.map((f) => f.map((v) => map[v]!));
    const acc = new OverviewAccumulator(W, H, { levels: map });
    frames.forEach((f) => acc.add(0, f));
    expect(acc.finish()).toEqual(overviewFeatures([mapped], W, H));
  });
});

describe('sampling plan: overview and noise crop', () => {
  it('scans a short title whole at 144 lines whatever the source size', () => {
    for (const [w, h] of [[3840, 2160], [176, 144], [320, 180]] as const) {
      const p = samplingPlan(aSource({ durationSec: 12, width: w, height: h }));
      expect(p.overview).toEqual([{ startSec: 0, durationSec: 12 }]);
      expect(p.overviewShare).toBe(1);
      expect(p.overviewHeight).toBe(OVERVIEW_HEIGHT);
      expect(p.overviewWidth).toBe(2 * Math.round((w * OVERVIEW_HEIGHT) / h / 2));
    }
  });

  it('scans a long title around each window for 10 s plus 5% of the rest past 30 s, at most 2 minutes', () => {
    for (const d of [60, 600, 3600, 6 * 3600]) {
      const p = samplingPlan(aSource({ durationSec: d }));
      const total = p.overview.reduce((s, w) => s + w.durationSec, 0);
      expect(total).toBeCloseTo(Math.min(MAX_OVERVIEW_SEC, 10 + 0.05 * (d - 30)), 1);
      expect(p.overview).toHaveLength(p.windows.length);
      p.windows.forEach((win, i) => {
        const ov = p.overview[i]!;
        expect(ov.startSec).toBeLessThanOrEqual(win.startSec + 1e-9);
        expect(ov.startSec + ov.durationSec).toBeGreaterThanOrEqual(win.startSec + win.durationSec - 1e-3);
        expect(ov.startSec + ov.durationSec).toBeLessThanOrEqual(d + 1e-3);
      });
    }
  });

  it('measures noise on a native-resolution centre crop of at most 256×256', () => {
    expect(samplingPlan(aSource({ width: 1920, height: 1080 }))).toMatchObject({ noiseCropWidth: 256, noiseCropHeight: 256 });
    expect(samplingPlan(aSource({ width: 175, height: 143 }))).toMatchObject({ noiseCropWidth: 174, noiseCropHeight: 142 });
  });
});

describe('frame features options', () => {
  it('measures SI on every n-th frame and can leave noise to the crop', () => {
    const frames = [panned(0), hRamp(0), panned(2), hRamp(1)];
    const all = frameFeatures([frames], W, H);
    const half = frameFeatures([frames], W, H, { spatialEvery: 2, noise: false });
    expect(half.tiMean).toBeCloseTo(all.tiMean, 9);
    expect(half.siMean).toBeCloseTo((sobelStats(frames[0]!, W, H).sd + sobelStats(frames[2]!, W, H).sd) / 2, 9);
    expect(half.siMean).toBeGreaterThan(all.siMean); // the ramps (frames 1 and 3) were skipped
    expect(half.noiseSigma).toBe(0);
    expect(all.noiseSigma).toBeGreaterThan(0);
  });

  it('reads every other pixel without biasing SI, TI, flatness or the dominant level', () => {
    // a moving texture beside a flat panel: some flat area, a dominant level, motion and detail
    const frames = [0, 1, 2, 3, 4, 5].map(panned).map((f) => Uint8Array.from(f, (v, k) => (k % W < W / 3 ? 90 : v)));
    const all = frameFeatures([frames], W, H);
    const sub = frameFeatures([frames], W, H, { pixelStride: 2 });
    expect(sub.siMean).toBeGreaterThan(all.siMean * 0.9);
    expect(sub.siMean).toBeLessThan(all.siMean * 1.1);
    expect(sub.tiMean).toBeGreaterThan(all.tiMean * 0.9);
    expect(sub.tiMean).toBeLessThan(all.tiMean * 1.1);
    expect(Math.abs(sub.flatShare - all.flatShare)).toBeLessThan(0.05);
    expect(Math.abs(sub.dominantLevelShare - all.dominantLevelShare)).toBeLessThan(0.05);
  });

  it('measures windows whose frames arrive interleaved as it measures them one after another', () => {
    const a = [0, 1, 2, 3].map(panned);
    const b = [7, 9, 11].map(panned);
    const acc = new FrameFeatureAccumulator(W, H, { spatialEvery: 2, pixelStride: 2 });
    [[0, a[0]], [1, b[0]], [0, a[1]], [1, b[1]], [1, b[2]], [0, a[2]], [0, a[3]]].forEach(([w, f]) => acc.add(w as number, f as Uint8Array));
    expect(acc.finish()).toEqual(frameFeatures([a, b], W, H, { spatialEvery: 2, pixelStride: 2, noise: false }));
  });

  it('takes the median noise over frames, so one busy title card does not read as grain', () => {
    const noisy = () => frame(() => 128 + (rng.next() - 0.5) * 60);
    const flat = frame(() => 100);
    expect(medianNoiseSigma([flat, flat, noisy()], W, H)).toBe(0);
    expect(medianNoiseSigma([noisy(), noisy(), flat], W, H)).toBeGreaterThan(noiseSigma(flat, W, H) + 10);
    expect(medianNoiseSigma([], W, H)).toBe(0);
  });
});

describe('classifyContent with overview features', () => {
  const c = aComplexity;
  const speech: AudioFeatures = { kind: 'speech', channels: 1 };

  it('calls a slide deck static by its unchanged pairs, whatever its mean TI', () => {
    expect(classifyContent(c({ temporalInfoMean: 0.45, overviewTemporalInfo: 0.44, stillPairShare: 0.98, sceneCutsPerMinute: 0, flatShare: 0.8 }), noAudio)).toBe('static');
  });

  it('does not call a slow zoom static even when its mean TI is tiny', () => {
    const zoom = c({ temporalInfoMean: 0.3, overviewTemporalInfo: 0.27, stillPairShare: 0.05, sceneCutsPerMinute: 0, flatShare: 0.17, noiseSigma: 3.8, saturation: 54 });
    expect(classifyContent(zoom, speech)).toBe('talking-head');
    expect(classifyContent(zoom, noAudio)).toBe('general');
  });

  it('recognises a talking head without audio from motion concentrated in the centre', () => {
    const carphone = c({ overviewTemporalInfo: 8.2, stillPairShare: 0, centreMotionConcentration: 1.53, sceneCutsPerMinute: 0, flatShare: 0.01, noiseSigma: 2.1, saturation: 8.6 });
    expect(classifyContent(carphone, noAudio)).toBe('talking-head');
    expect(classifyContent({ ...carphone, centreMotionConcentration: 1.0 }, noAudio)).toBe('general');
  });

  it('lets fast motion win over vivid colour, but not over flat cel animation', () => {
    const vividFast = c({ overviewTemporalInfo: 11, stillPairShare: 0, sceneCutsPerMinute: 0, flatShare: 0.17, noiseSigma: 1.0, saturation: 88 });
    expect(classifyContent(vividFast, noAudio)).toBe('high-motion');
    expect(classifyContent({ ...vividFast, overviewTemporalInfo: 6 }, noAudio)).toBe('animation');
    expect(classifyContent({ ...vividFast, flatShare: 0.8 }, noAudio)).toBe('animation');
  });

  it('classes high motion from frequent cuts found by the scan', () => {
    expect(classifyContent(c({ overviewTemporalInfo: 5, stillPairShare: 0, sceneCutsPerMinute: 30, centreMotionConcentration: 1.5 }), noAudio)).toBe('high-motion');
  });
});
