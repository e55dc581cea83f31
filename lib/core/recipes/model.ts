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
 *   along a logistic curve; upscaling a smaller rendition back to the display size loses
 *   `upscaleLoss · detail · (1 − h/H)^2` points, where `detail` grows with spatial information (SI) and
 *   is highest for screen content (text does not survive downscaling) and lowest for flat animation.
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
  /** VMAF points lost when a rendition of zero height were upscaled (scaled by detail·(1−s)²). */
  upscaleLoss: number;
  /** Rate factor of the recipe's preset vs the probe encode at equal CRF. */
  presetRateFactor: number;
}

export const DEFAULT_RQ_MODEL: RateQualityModel = {
  kappa: 6,
  alpha: 0.55,
  vmafMidCrf: 40,
  vmafCrfWidth: 5.5,
  upscaleLoss: 80,
  presetRateFactor: 0.9,
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

/** How much a title loses when downscaled, from SI and the content class. */
export function detailFactor(profile: ContentProfile): number {
  const si = profile.complexity.spatialInfo;
  let d = Number.isFinite(si) && si > 0 ? 0.45 + si / 110 : 0.9;
  switch (profile.contentClass) {
    case 'screen':
    case 'static':
      d = Math.max(d, 1.5);
      break;
    case 'animation':
      d *= 0.8;
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

/** Predicted VMAF at the source's display size of an encode at height h and CRF q. */
export function predictVmaf(t: TitleModel, h: number, crf: number): number {
  const s = clamp(h / t.height, 0, 1);
  const loss = t.model.upscaleLoss * t.detail * (1 - s) * (1 - s);
  return clamp(nativeVmaf(t.model, crf) - loss, 0, 100);
}
