import type { AudioFeatures, ComplexityFeatures, ContentClass, SourceInfo } from '../types';

/** Hard limits checked on probe data before any decode. v0 — the analysis issue deepens this. */
export interface SourceLimits {
  maxWidth: number;
  maxHeight: number;
  maxDurationSec: number;
  minFps: number;
  maxFps: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxWidth: 8192,
  maxHeight: 8192,
  maxDurationSec: 6 * 3600,
  minFps: 1,
  maxFps: 240,
};

/** Why a source cannot be encoded, or null when it is acceptable. */
export function rejectionReason(source: SourceInfo, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): string | null {
  if (!(source.width > 0 && source.height > 0)) return 'no decodable video stream';
  if (source.width > limits.maxWidth || source.height > limits.maxHeight)
    return `resolution ${source.width}x${source.height} exceeds ${limits.maxWidth}x${limits.maxHeight}`;
  if (!(source.fps >= limits.minFps && source.fps <= limits.maxFps))
    return `frame rate ${source.fps} outside ${limits.minFps}..${limits.maxFps}`;
  if (!(source.durationSec > 0)) return 'duration is zero or unknown';
  if (source.durationSec > limits.maxDurationSec)
    return `duration ${source.durationSec}s exceeds ${limits.maxDurationSec}s`;
  return null;
}

/** Content class from measured features. */
export function classifyContent(c: ComplexityFeatures, _audio: AudioFeatures): ContentClass {
  if (c.temporalInfo < 2) return 'static';
  if (c.temporalInfo > 25 || c.sceneCutsPerMinute > 20) return 'high-motion';
  return 'general';
}

/** 0..1 difficulty from the probe encode's bits per pixel and the motion. */
export function difficultyOf(c: ComplexityFeatures): number {
  const bpp = Math.min(1, c.probeBitsPerPixel / 0.3);
  const motion = Math.min(1, c.temporalInfo / 40);
  return Math.min(1, 0.7 * bpp + 0.3 * motion);
}
