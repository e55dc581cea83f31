import type { ContentProfile } from '../types';

/**
 * A small rate–quality model of H.264 (x264) encodes of one title, fed by the content analysis.
 *
 * - Rate: the analyzer's probe encode (x264 crf 23, fast config) gives bits per pixel per frame at the
 *   source size, `c`. At height h and CRF q the predicted rate is
 *   `c · (H/h)^alpha · 2^((23 − q)/kappa) · w·h·fps` — x264 roughly halves the rate every `kappa`≈6 CRF,
 *   and a downscaled picture carries more detail per pixel (alpha≈0.55: a quarter of the pixels
 *   costs ≈ 2.7× fewer bits, not 4×).
 * - Quality (VMAF at the source's display size): VMAF of the encode at its own size falls with CRF
 *   along a logistic curve; upscaling a smaller rendition back to the display size keeps a share
 *   `U = 1 / (1 + (detail · log2(H/h) / upscaleOctaves)^upscaleExponent)` of it. The curve's shape
 *   was measured on synthetic 720p clips (lib/media/synth: fractal motion, noise, test pattern;
 *   not the benchmark clips) at CRF 12: detailed motion keeps 89% of VMAF at 540p, 77% at 360p,
 *   48% at 180p (detail 1). `detail` grows with spatial information (SI) and is highest for screen
 *   content (text does not survive downscaling), lower for flat animation.
 *
 * The constants are general x264 behaviour, not fitted per title. The recipe engine uses the model to
 * predict each title's convex hull (which resolution gives the most quality at each bitrate).
 */
export interface RateQualityModel {
  kappa: number;
  alpha: number;
  /** CRF at which native VMAF is 50. */
  vmafMidCrf: number;
  /** Logistic width of native VMAF vs CRF. */
  vmafCrfWidth: number;
  /** Octaves of downscaling at which an upscaled picture keeps half its VMAF (detail 1). */
  upscaleOctaves: number;
  /** Steepness of the upscaling loss. */
  upscaleExponent: number;
  /** Rate factor of the recipe's preset vs the probe encode at equal CRF. */
  presetRateFactor: number;
}

export const DEFAULT_RQ_MODEL: RateQualityModel = {
  kappa: 6,
  alpha: 0.55,
  vmafMidCrf: 40,
  vmafCrfWidth: 5.5,
  upscaleOctaves: 2.3,
  upscaleExponent: 1.5,
  // The probe is x264's fastest configuration (no CABAC, B-frames, mb-tree or AQ): at equal CRF a
  // normal preset spends roughly 2.5× fewer bits.
  presetRateFactor: 0.4,
};

/** The per-title inputs to the model, derived once from the content profile. */
export interface TitleModel {
  /** Display width/height of the source (rotation applied). */
  width: number;
  height: number;
  fps: number;
  /** Probe bits per pixel per frame at CRF 23 (source size). */
  bpp: number;
  /** Sensitivity to downscaling, ~0.5 (flat animation) .. 1.8 (screen text). */
  detail: number;
  model: RateQualityModel;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Display dimensions of the source: width/height swapped when the picture is rotated by 90°/270°. */
export function displaySize(profile: ContentProfile): { width: number; height: number } {
  const { width, height, rotation } = profile.source;
  return Math.abs(rotation) % 180 === 90 ? { width: height, height: width } : { width, height };
}

/** How much a title loses when downscaled, from SI (measured at ≤360p by the analyzer), flat share and class. */
export function detailFactor(profile: ContentProfile): number {
  const c = profile.complexity;
  const si = c.spatialInfoMean ?? c.spatialInfo;
  // The analyzer measures SI at ≤360p, so it misses the finest detail of larger sources: natural
  // video starts at 1.2 and SI adds to it.
  let d = Number.isFinite(si) && si > 0 ? 1.2 + si / 250 : 1.3;
  // Flat regions (cartoons, slides) survive downscaling; measured share when the analyzer has it.
  if (c.flatShare !== undefined) d *= 1 - 0.5 * Math.min(1, Math.max(0, c.flatShare));
  else if (profile.contentClass === 'animation') d *= 0.8;
  switch (profile.contentClass) {
    case 'screen':
    case 'static':
      d = Math.max(d, 1.8);
      break;
    case 'film-grain':
      d *= 1.1;
      break;
    default:
      break;
  }
  return clamp(d, 0.4, 1.9);
}

/** Build the per-title model; a missing/invalid probe falls back on the difficulty figure. */
export function titleModel(profile: ContentProfile, model: RateQualityModel = DEFAULT_RQ_MODEL): TitleModel {
  const { width, height } = displaySize(profile);
  const probe = profile.complexity.probeBitsPerPixel;
  const bpp = Number.isFinite(probe) && probe > 0 ? probe : 0.02 + 0.25 * clamp(profile.difficulty, 0, 1);
  const fps = Math.min(60, profile.source.fps > 0 ? profile.source.fps : 30);
  return { width, height, fps, bpp, detail: detailFactor(profile), model };
}

/** Width for a height at the source's display aspect ratio, rounded to an even number. */
export function widthFor(t: Pick<TitleModel, 'width' | 'height'>, h: number): number {
  return Math.max(2, 2 * Math.round((t.width * h) / t.height / 2));
}

/** Predicted average video bitrate (kbit/s) of an H.264 encode at height h and CRF q. */
export function predictKbps(t: TitleModel, h: number, crf: number): number {
  const w = widthFor(t, h);
  const bppAt = t.bpp * Math.pow(t.height / h, t.model.alpha) * Math.pow(2, (23 - crf) / t.model.kappa);
  return (bppAt * w * h * t.fps * t.model.presetRateFactor) / 1000;
}

/** CRF that is predicted to produce `kbps` at height h (inverse of predictKbps). */
export function crfForKbps(t: TitleModel, h: number, kbps: number): number {
  const atCrf23 = predictKbps(t, h, 23);
  return 23 - t.model.kappa * Math.log2(kbps / atCrf23);
}

/** VMAF of an encode at its own size, as a function of CRF. */
export function nativeVmaf(m: RateQualityModel, crf: number): number {
  return 100 / (1 + Math.exp((crf - m.vmafMidCrf) / m.vmafCrfWidth));
}

/** Share of VMAF kept when a rendition at height h is upscaled to the display height. */
export function upscaleRetention(t: TitleModel, h: number): number {
  const octaves = Math.log2(t.height / Math.min(h, t.height));
  return 1 / (1 + Math.pow((t.detail * octaves) / t.model.upscaleOctaves, t.model.upscaleExponent));
}

/** Predicted VMAF at the source's display size of an encode at height h and CRF q. */
export function predictVmaf(t: TitleModel, h: number, crf: number): number {
  return clamp(nativeVmaf(t.model, crf) * upscaleRetention(t, h), 0, 100);
}
