import type { ContentClass, Tier, VideoCodec } from '../types';

/** x264 `-tune` for a content class (animation/grain/stillimage), or none for general video and talking heads. */
export function tuneFor(contentClass: ContentClass): string | undefined {
  switch (contentClass) {
    case 'animation':
      return 'animation';
    case 'film-grain':
      return 'grain';
    case 'screen':
    case 'static':
      return 'stillimage';
    // Talking heads get no tune: film's deblock −1 and psy-rd keep skin texture that VMAF does not
    // reward (carphone at equal CRFs, BD-rate vs Apple: tune film +0.9 %, none −4.5 % with the
    // perceptual flags below).
    default:
      return undefined;
  }
}

/** x264 preset per tier at full quality (the time budget each tier buys). */
export const TIER_PRESET: Record<Tier, string> = { critical: 'slow', premium: 'medium', standard: 'medium', bulk: 'fast' };

/** Which extra codecs (beyond H.264, always produced) each tier's budget allows. */
export const TIER_CODECS: Record<Tier, readonly VideoCodec[]> = {
  critical: ['hevc', 'vp9', 'av1'],
  premium: ['hevc', 'vp9'],
  standard: ['hevc'],
  bulk: [],
};

/**
 * CRF of another codec giving about the same quality as x264 at `crf`:
 * x265 ≈ x264 + 4 (x265's default 28 ≈ x264's 23), libvpx-vp9 and libaom-av1 use a 0..63 scale
 * (≈ 1.35× and 1.4× of x264's). Used for ffmpeg; MediaConvert uses the QVBR level instead.
 */
export function crfForCodec(codec: VideoCodec, x264Crf: number): number {
  switch (codec) {
    case 'h264':
      return x264Crf;
    case 'hevc':
      return Math.min(51, x264Crf + 4);
    case 'vp9':
      return Math.min(63, Math.round(x264Crf * 1.35));
    case 'av1':
      return Math.min(63, Math.round(x264Crf * 1.4));
  }
}

/** Bitrate a codec needs relative to H.264 for the same quality (for caps and predictions). */
export const CODEC_RATE_FACTOR: Record<VideoCodec, number> = { h264: 1, hevc: 0.65, vp9: 0.7, av1: 0.55 };

/**
 * QVBR quality level (1..10) ↔ x264 CRF: level = (37 − crf) / 2, so 7 ≈ crf 23, 8 ≈ 21, 9 ≈ 19.
 * An approximation (MediaConvert's QVBR is proprietary) used for MediaConvert renditions and to
 * emulate QVBR with capped CRF; documented in docs/recipes-and-qc.md.
 */
export function qvbrLevelForCrf(crf: number): number {
  return Math.min(10, Math.max(1, Math.round((37 - crf) / 2)));
}

/** Inverse of qvbrLevelForCrf: the x264 CRF that emulates a QVBR quality level. */
export function crfForQvbrLevel(level: number): number {
  return 37 - 2 * Math.min(10, Math.max(1, level));
}

/** H.264 profile: high for every rung. */
export function h264ProfileFor(_height: number): string {
  // High at every size: Apple's HLS Authoring Specification allows High profile for all H.264
  // variants, and Main (no 8x8 transform) costs ~1.7 VMAF at equal rate on a 180p rung (measured on bikes).
  return 'high';
}
