import type { AudioFeatures, ComplexityFeatures, ContentClass, SourceInfo } from '../types';

export * from './source';
export * from './sampling';
export * from './frames';
export * from './audio';
export * from './motion';

/**
 * Hard limits checked on probe data before any decode: a header that claims 100000×100000 pixels,
 * 0 fps or a ten-day duration is rejected here, so no worker ever tries to decode it.
 */
export interface SourceLimits {
  maxWidth: number;
  maxHeight: number;
  /** Largest picture area (width × height); 8K UHD is 33 Mpx. */
  maxPixels: number;
  minDimension: number;
  maxDurationSec: number;
  minFps: number;
  maxFps: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxWidth: 8192,
  maxHeight: 8192,
  maxPixels: 8192 * 4352,
  minDimension: 16,
  maxDurationSec: 6 * 3600,
  minFps: 1,
  maxFps: 240,
};

const finite = (n: number): boolean => typeof n === 'number' && Number.isFinite(n);

/** Why a source cannot be encoded, or null when it is acceptable. Pure; reasons are actionable. */
export function rejectionReason(source: SourceInfo, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): string | null {
  if (!(finite(source.width) && finite(source.height) && source.width > 0 && source.height > 0)) return 'no decodable video stream (width or height missing)';
  if (source.width > limits.maxWidth || source.height > limits.maxHeight || source.width * source.height > limits.maxPixels)
    return `resolution ${source.width}x${source.height} exceeds the limit of ${limits.maxWidth}x${limits.maxHeight} (${(limits.maxPixels / 1e6).toFixed(1)} Mpx); the header is corrupt or the source is too large`;
  if (source.width < limits.minDimension || source.height < limits.minDimension)
    return `resolution ${source.width}x${source.height} is below ${limits.minDimension}x${limits.minDimension}`;
  if (!(finite(source.fps) && source.fps >= limits.minFps && source.fps <= limits.maxFps))
    return `frame rate ${finite(source.fps) ? Number(source.fps.toFixed(3)) : source.fps} fps is outside ${limits.minFps}..${limits.maxFps}; the header is corrupt or the frame rate is unsupported`;
  if (!(finite(source.durationSec) && source.durationSec > 0)) return 'duration is zero or unknown: the file has no playable frames';
  if (source.durationSec > limits.maxDurationSec)
    return `duration ${Math.round(source.durationSec)} s exceeds the limit of ${limits.maxDurationSec} s; split the upload or check its header`;
  return null;
}

/**
 * Thresholds of the content-class rule. Motion thresholds are on the overview scale (mean TI of
 * frames at 144 lines, `overviewTemporalInfo`), noise on a native-resolution crop, saturation in
 * chroma units: none of them moves with the source resolution. Calibrated on the synthetic clips of
 * lib/media/synth (320×180 to 960×540) and the real clips in ../shared/clips; the measured values are
 * in docs/analysis-and-value.md.
 */
export const CLASS_RULE = {
  /** Static: nearly every pair of consecutive frames identical, and no cut. A held picture decodes to
   * identical frames; a slide deck changes a few times a minute. */
  staticStillPairShare: 0.8,
  /** Fallback for profiles without the overview features: mean TI below this, no cut. */
  staticTi: 0.5,
  /** Screen content: a dominant background level and large exactly-flat areas. */
  screenDominantLevel: 0.3,
  screenFlatShare: 0.3,
  /** Animation: large exactly-flat areas and a clean (noise-free) picture… */
  animationFlatShare: 0.5,
  animationMaxNoise: 1.5,
  /** …or strongly saturated colour with a clean picture and no fast motion (rendered CGI such as Big Buck Bunny). */
  animationSaturation: 20,
  animationSaturatedMaxNoise: 2,
  /** Film grain: strong pixel noise at the native resolution and almost no flat area. */
  grainNoise: 9,
  grainMaxFlatShare: 0.02,
  /** High motion: strong mean TI (overview scale) or frequent cuts. */
  highMotionTi: 9,
  highMotionCutsPerMinute: 20,
  /** Talking head: motion concentrated in the centre (a presenter before a still background)… */
  talkingCentreConcentration: 1.35,
  /** …or speech over a picture that moves little. */
  talkingSpeechMaxTi: 6,
} as const;

/**
 * Content class from measured features; the first rule that matches wins. Each rule has a physical
 * reason (see CLASS_RULE and docs/analysis-and-value.md):
 *
 * 1. static — ≥ 80% of frame pairs unchanged and no cut (a held picture or a slow slide deck);
 * 2. screen — dominant background ≥ 30% and exactly-flat ≥ 30% (pages, desktops: no camera makes
 *    exact flats over a third of the frame);
 * 3. animation — flat ≥ 50% and noise < 1.5 (cel animation: flat fills, no sensor noise), or
 *    saturation ≥ 20, noise < 2 and mean TI below high motion (rendered CGI is clean and vivid;
 *    saturation alone is weak evidence — stage light and sports kits are vivid too — so it yields
 *    to fast motion, which then dominates the encode);
 * 4. film-grain — noise ≥ 9 at native resolution and flat < 2% (grain covers every pixel);
 * 5. high-motion — mean TI ≥ 9 at 144 lines, or ≥ 20 cuts/min;
 * 6. talking-head — motion concentrated in the centre (≥ 1.35× the frame's density: a presenter
 *    moves, the room does not), or speech over a picture whose mean TI is < 6;
 * 7. general.
 *
 * Profiles without the overview features fall back to the analysis-size means (or P.910 maxima)
 * with the same thresholds, which is approximate.
 */
export function classifyContent(c: ComplexityFeatures, audio: AudioFeatures): ContentClass {
  const r = CLASS_RULE;
  const ti = c.overviewTemporalInfo ?? c.temporalInfoMean ?? c.temporalInfo;
  const flat = c.flatShare ?? 0;
  const noise = c.noiseSigma ?? 0;
  const still = c.stillPairShare !== undefined ? c.stillPairShare >= r.staticStillPairShare : ti < r.staticTi;
  const fast = ti >= r.highMotionTi;
  if (still && c.sceneCutsPerMinute === 0) return 'static';
  if ((c.dominantLevelShare ?? 0) >= r.screenDominantLevel && flat >= r.screenFlatShare) return 'screen';
  if (flat >= r.animationFlatShare && noise < r.animationMaxNoise) return 'animation';
  if ((c.saturation ?? 0) >= r.animationSaturation && noise < r.animationSaturatedMaxNoise && !fast) return 'animation';
  if (noise >= r.grainNoise && flat < r.grainMaxFlatShare) return 'film-grain';
  if (fast || c.sceneCutsPerMinute >= r.highMotionCutsPerMinute) return 'high-motion';
  if ((c.centreMotionConcentration ?? 0) >= r.talkingCentreConcentration) return 'talking-head';
  if (ti < r.talkingSpeechMaxTi && audio.kind === 'speech') return 'talking-head';
  return 'general';
}

/**
 * 0..1 difficulty: 80% from the probe encode's bits per pixel on a log scale (0.01 bpp → 0,
 * 3 bpp → 1; bits at fixed quality are the best single measure of how hard a title is to encode),
 * 20% from motion (mean TI / 30).
 */
export function difficultyOf(c: ComplexityFeatures): number {
  const bpp = Math.max(0, Math.min(1, Math.log10(Math.max(c.probeBitsPerPixel, 1e-4) / 0.01) / Math.log10(300)));
  const motion = Math.max(0, Math.min(1, (c.temporalInfoMean ?? c.temporalInfo) / 30));
  const d = 0.8 * bpp + 0.2 * motion;
  return Number.isFinite(d) ? Math.round(d * 1000) / 1000 : 0;
}
