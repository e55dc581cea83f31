import type { AudioFeatures, ComplexityFeatures, ContentClass, SourceInfo } from '../types';

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
