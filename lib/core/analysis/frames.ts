/**
 * Picture features from sampled 8-bit luma frames (gray, row-major, `width × height` bytes each).
 *
 * - SI and TI follow ITU-T P.910: SI is the standard deviation of the Sobel gradient magnitude of a
 *   frame, TI the standard deviation of the difference of consecutive frames; P.910 reports the
 *   maximum over time. We compute them on frames scaled to ≤ 360 lines (so that a 4K and a CIF
 *   source are on one scale and the cost is bounded), and TI only across consecutive frames inside
 *   a window and not across a detected cut (a cut is counted as a scene cut instead).
 *   The means over time are kept as well: they are steadier than the maxima on short samples.
 * - Scene cuts: the L1 distance of the 32-bin luma histograms of consecutive frames ≥ 0.5
 *   (histograms shrug off motion and noise but not a change of scene).
 * - Flat share: pixels whose Sobel magnitude is below 1 — exactly flat areas, which camera
 *   footage (sensor noise) almost never has and screen content and animation have in plenty.
 * - Dominant level share: pixels at the most common luma value — a page, slide or desktop background.
 * - Noise: Immerkær's fast noise-variance estimate (1996): a 3×3 Laplacian-difference mask whose
 *   response is almost zero on edges and smooth gradients and proportional to noise (film grain).
 */
export interface FrameFeatures {
  siMax: number;
  siMean: number;
  tiMax: number;
  tiMean: number;
  sceneCuts: number;
  /** Frame pairs compared (inside windows, cuts excluded). */
  pairs: number;
  frames: number;
  flatShare: number;
  noiseSigma: number;
  /** Mean share of pixels at the most common luma level: a page or desktop background. */
  dominantLevelShare: number;
}

const HIST_BINS = 32;
export const CUT_HISTOGRAM_DISTANCE = 0.5;
const FLAT_GRADIENT = 1;

/** Sobel gradient magnitude statistics of one frame: standard deviation and share of flat pixels. */
export function sobelStats(f: Uint8Array, w: number, h: number, stride = 1): { sd: number; flatShare: number } {
  if (w < 3 || h < 3) return { sd: 0, flatShare: 1 };
  let sum = 0;
  let sum2 = 0;
  let flat = 0;
  for (let y = 1; y < h - 1; y += stride) {
    const r0 = (y - 1) * w;
    const r1 = y * w;
    const r2 = (y + 1) * w;
    for (let x = 1; x < w - 1; x += stride) {
      const a = f[r0 + x - 1]!, b = f[r0 + x]!, c = f[r0 + x + 1]!;
      const d = f[r1 + x - 1]!, e = f[r1 + x + 1]!;
      const g = f[r2 + x - 1]!, hh = f[r2 + x]!, i = f[r2 + x + 1]!;
      const gx = c + 2 * e + i - (a + 2 * d + g);
      const gy = g + 2 * hh + i - (a + 2 * b + c);
      const m = Math.sqrt(gx * gx + gy * gy);
      sum += m;
      sum2 += m * m;
      if (m < FLAT_GRADIENT) flat++;
    }
  }
  const n = Math.ceil((w - 2) / stride) * Math.ceil((h - 2) / stride);
  const mean = sum / n;
  return { sd: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), flatShare: flat / n };
}

/** Standard deviation of the pixel difference of two frames (P.910 TI for one pair). */
export function differenceSd(a: Uint8Array, b: Uint8Array, stride = 1): number {
  const len = Math.min(a.length, b.length);
  if (len === 0) return 0;
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let i = 0; i < len; i += stride) {
    const d = b[i]! - a[i]!;
    sum += d;
    sum2 += d * d;
    n++;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - mean * mean));
}

/** Normalised 32-bin luma histogram, and the share of pixels at the single most common 8-bit level. */
export function lumaHistogram(f: Uint8Array): Float64Array {
  return lumaStats(f).hist;
}

function lumaStats(f: Uint8Array, stride = 1): { hist: Float64Array; dominant: number } {
  const levels = new Uint32Array(256);
  let count = 0;
  for (let i = 0; i < f.length; i += stride, count++) levels[f[i]!]! += 1;
  const hist = new Float64Array(HIST_BINS);
  let top = 0;
  for (let v = 0; v < 256; v++) {
    hist[v >> 3]! += levels[v]!;
    if (levels[v]! > top) top = levels[v]!;
  }
  const n = Math.max(1, count);
  for (let i = 0; i < HIST_BINS; i++) hist[i]! /= n;
  return { hist, dominant: top / n };
}

/** L1 distance of two normalised histograms, 0..2. */
export function histogramDistance(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - (b[i] ?? 0));
  return d;
}

/** Immerkær noise sigma of one frame (8-bit units). */
export function noiseSigma(f: Uint8Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  for (let y = 1; y < h - 1; y++) {
    const r0 = (y - 1) * w;
    const r1 = y * w;
    const r2 = (y + 1) * w;
    for (let x = 1; x < w - 1; x++) {
      const v =
        f[r0 + x - 1]! - 2 * f[r0 + x]! + f[r0 + x + 1]! -
        2 * f[r1 + x - 1]! + 4 * f[r1 + x]! - 2 * f[r1 + x + 1]! +
        f[r2 + x - 1]! - 2 * f[r2 + x]! + f[r2 + x + 1]!;
      sum += Math.abs(v);
    }
  }
  return (Math.sqrt(Math.PI / 2) * sum) / (6 * (w - 2) * (h - 2));
}

/**
 * Mean chroma saturation of one 4:2:0 frame's U and V planes: the distance of (U, V) from neutral
 * grey, in 8-bit units, as ffmpeg's `signalstats` SATAVG. Cartoons and CGI are far more saturated
 * than camera footage.
 */
export function meanSaturation(u: Uint8Array, v: Uint8Array): number {
  const n = Math.min(u.length, v.length);
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const du = u[i]! - 128;
    const dv = v[i]! - 128;
    sum += Math.sqrt(du * du + dv * dv);
  }
  return sum / n;
}

/** Split a buffer of concatenated gray frames into frames (a trailing partial frame is dropped). */
export function splitFrames(buf: Uint8Array, w: number, h: number): Uint8Array[] {
  const size = w * h;
  if (size <= 0) return [];
  const count = Math.floor(buf.length / size);
  return Array.from({ length: count }, (_, i) => buf.subarray(i * size, (i + 1) * size));
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
/** Median of a list (0 when empty). */
export const median = (xs: number[]): number => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Features of sampled windows of frames. Each window is a run of consecutive frames; pairs are
 * only formed inside a window. Noise is measured on up to 3 frames per window (it changes slowly).
 */
export interface FrameFeatureOptions {
  /** Measure SI and flatness on every n-th frame of a window (default 1: all). The picture's detail
   * changes slowly, the Sobel pass is the dearest part, and TI still uses every pair. */
  spatialEvery?: number;
  /** Estimate noise here (default true); the analyzer measures it on a native-resolution crop instead. */
  noise?: boolean;
  /**
   * Read one pixel in `pixelStride` along rows and columns for SI and flatness (the Sobel kernel still
   * sees its full-resolution neighbours), and one in `pixelStride² − 1` for histograms and TI (default 1:
   * every pixel). Picking pixels, unlike averaging them, leaves the per-pixel statistics unbiased.
   */
  pixelStride?: number;
}

export function frameFeatures(windows: Uint8Array[][], w: number, h: number, opts: FrameFeatureOptions = {}): FrameFeatures {
  const acc = new FrameFeatureAccumulator(w, h, opts);
  const noise: number[] = [];
  windows.forEach((win, k) =>
    win.forEach((f, i) => {
      acc.add(k, f);
      if ((opts.noise ?? true) && (i === 0 || i === win.length - 1 || i === win.length >> 1)) noise.push(noiseSigma(f, w, h));
    }),
  );
  // the median ignores a frame that is all edges (a title card) or all black
  return { ...acc.finish(), noiseSigma: median(noise) };
}

/**
 * SI, TI, cuts, flatness and dominant level of sampled windows, frame by frame as the frames arrive
 * (the analyzer feeds it while ffmpeg still decodes). Frames of different windows may interleave;
 * pairs are only formed inside a window. The accumulator keeps the previous frame of each window, so
 * a frame must not be overwritten after `add`. Noise is not measured here (`noiseSigma` is 0).
 */
export class FrameFeatureAccumulator {
  private readonly every: number;
  private readonly stride: number;
  private readonly flatStride: number;
  private readonly si: number[] = [];
  private readonly flats: number[] = [];
  private readonly ti: number[] = [];
  private readonly dominant: number[] = [];
  private readonly runs = new Map<number, { next: number; prev: Uint8Array; prevHist: Float64Array }>();
  private cuts = 0;
  private frames = 0;

  constructor(
    private readonly w: number,
    private readonly h: number,
    opts: Omit<FrameFeatureOptions, 'noise'> = {},
  ) {
    this.every = Math.max(1, Math.floor(opts.spatialEvery ?? 1));
    this.stride = Math.max(1, Math.floor(opts.pixelStride ?? 1));
    this.flatStride = Math.max(1, this.stride * this.stride - 1);
  }

  /** Add the next frame of window `window` (a window's frames in order). */
  add(window: number, f: Uint8Array): void {
    const run = this.runs.get(window);
    const i = run?.next ?? 0;
    this.frames++;
    if (i % this.every === 0) {
      const s = sobelStats(f, this.w, this.h, this.stride);
      this.si.push(s.sd);
      this.flats.push(s.flatShare);
    }
    const { hist, dominant: top } = lumaStats(f, this.flatStride);
    this.dominant.push(top);
    if (run) {
      if (histogramDistance(run.prevHist, hist) >= CUT_HISTOGRAM_DISTANCE) this.cuts++;
      else this.ti.push(differenceSd(run.prev, f, this.flatStride));
    }
    this.runs.set(window, { next: i + 1, prev: f, prevHist: hist });
  }

  finish(): FrameFeatures {
    const { si, ti } = this;
    return {
      siMax: si.length ? Math.max(...si) : 0,
      siMean: mean(si),
      tiMax: ti.length ? Math.max(...ti) : 0,
      tiMean: mean(ti),
      sceneCuts: this.cuts,
      pairs: ti.length,
      frames: this.frames,
      flatShare: mean(this.flats),
      noiseSigma: 0,
      dominantLevelShare: mean(this.dominant),
    };
  }
}

/** Median Immerkær noise over frames (the median ignores a title card or a black frame). */
export function medianNoiseSigma(frames: Uint8Array[], w: number, h: number): number {
  return median(frames.map((f) => noiseSigma(f, w, h)));
}
