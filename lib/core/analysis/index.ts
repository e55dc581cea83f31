import type { AudioFeatures, ComplexityFeatures, ContentClass, SourceInfo } from '../types';

export * from './source';
export * from './sampling';
export * from './frames';
export * from './audio';

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
 * Thresholds of the content-class rule. Calibrated on the synthetic clips of lib/media/synth and the
 * real clips in ../shared/clips (see docs/analysis-and-value.md for the measured values).
 */
export const CLASS_RULE = {
  /** Mean TI below this with no cut: nothing moves. */
  staticTi: 0.5,
  /** Screen content: a dominant background level and large exactly-flat areas. */
  screenDominantLevel: 0.3,
  screenFlatShare: 0.3,
  /** Animation: large exactly-flat areas and a clean (noise-free) picture… */
  animationFlatShare: 0.5,
  animationMaxNoise: 1.5,
  /** …or strongly saturated colour with a clean picture (rendered CGI such as Big Buck Bunny). */
  animationSaturation: 20,
  animationSaturatedMaxNoise: 2,
  /** Film grain: strong pixel noise and almost no flat area. */
  grainNoise: 9,
  grainMaxFlatShare: 0.02,
  /** High motion: strong mean TI or frequent cuts. */
  highMotionTi: 13,
  highMotionCutsPerMinute: 20,
  /** Talking head: little motion, and the audio is speech. */
  talkingMaxTi: 8,
} as const;

/**
 * Content class from measured features; the first rule that matches wins:
 * static (mean TI < 0.5, no cut) → screen (dominant background ≥ 30% and flat ≥ 30%) →
 * animation (flat ≥ 50% and noise < 1.5, or saturation ≥ 20 and noise < 2) → film-grain (noise ≥ 9, flat < 2%) →
 * high-motion (mean TI ≥ 13 or ≥ 20 cuts/min) → talking-head (mean TI < 8 and speech) → general.
 * Without the optional features (older profiles) the P.910 maxima stand in for the means.
 */
export function classifyContent(c: ComplexityFeatures, audio: AudioFeatures): ContentClass {
  const r = CLASS_RULE;
  const ti = c.temporalInfoMean ?? c.temporalInfo;
  const flat = c.flatShare ?? 0;
  const noise = c.noiseSigma ?? 0;
  if (ti < r.staticTi && c.sceneCutsPerMinute === 0) return 'static';
  if ((c.dominantLevelShare ?? 0) >= r.screenDominantLevel && flat >= r.screenFlatShare) return 'screen';
  if (flat >= r.animationFlatShare && noise < r.animationMaxNoise) return 'animation';
  if ((c.saturation ?? 0) >= r.animationSaturation && noise < r.animationSaturatedMaxNoise) return 'animation';
  if (noise >= r.grainNoise && flat < r.grainMaxFlatShare) return 'film-grain';
  if (ti >= r.highMotionTi || c.sceneCutsPerMinute >= r.highMotionCutsPerMinute) return 'high-motion';
  if (ti < r.talkingMaxTi && audio.kind === 'speech') return 'talking-head';
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
