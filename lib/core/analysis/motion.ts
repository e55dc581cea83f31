/**
 * Motion and scene-cut features of the *overview* stream: gray frames at a fixed small height
 * (`OVERVIEW_HEIGHT` lines, whatever the source size) over the whole of a short title, or over long
 * stretches of a long one. A fixed height puts every source on one scale, so the thresholds of the
 * class rule hold for a 176×144 phone clip and a 4K master alike; a small height makes scanning a
 * whole title cheap (the decode dominates, not the arithmetic).
 *
 * - Scene cuts: a pair of consecutive frames is a cut when the L1 distance of their 32-bin luma
 *   histograms is ≥ 0.5 (a change of scene changes the light), or when it is ≥ 0.2 *and* the frame
 *   difference spikes: TI ≥ 20 and ≥ 3× the median TI of the 5 pairs either side. A cut between two
 *   shots of similar light (same histogram) still changes every pixel at once, while motion —
 *   however fast — changes the difference gradually; the local median makes the spike test adapt to
 *   handheld or fast footage, where a fixed TI threshold would fire on every pan.
 * - Mean TI (P.910 temporal information per pair, cut pairs excluded) at the fixed height.
 * - Still pairs: pairs whose TI is below 0.1. A repeated picture decodes to identical frames (skipped
 *   blocks), so anything above rounding means something moved — however small or slow.
 * - Centre motion concentration: the frame is cut into a 16-column grid; per pair, each cell's mean
 *   absolute difference above the pair's noise floor (its 10th-percentile cell) is motion energy.
 *   The concentration is the energy density in the centre (middle half of the width, middle two
 *   thirds of the height) over the density in the whole frame: 1 for motion spread evenly (a pan, a
 *   zoom, a crowd), above 1 when the motion sits where a presenter sits while the edges stay still.
 */
import { histogramDistance } from './frames';

/** Height of the overview frames, lines (even). */
export const OVERVIEW_HEIGHT = 144;
export const CUT_HISTOGRAM_DISTANCE_STRONG = 0.5;
export const CUT_HISTOGRAM_DISTANCE_WEAK = 0.2;
export const CUT_MIN_TI = 20;
export const CUT_TI_SPIKE = 3;
const CUT_NEIGHBOURS = 5;
export const STILL_PAIR_TI = 0.1;
const GRID_COLUMNS = 16;
/** Overview pixels read: one in `SAMPLE_STRIDE` along rows and columns. */
const SAMPLE_STRIDE = 2;

export interface OverviewFeatures {
  frames: number;
  /** Frame pairs compared (cuts included). */
  pairs: number;
  sceneCuts: number;
  /** Mean TI over non-cut pairs, at the overview height. */
  tiMean: number;
  /** Share of pairs (cuts included) with TI < 0.1: nothing moved. */
  stillPairShare: number;
  /** Motion energy density in the centre region over the whole frame's (1 = even; 0 when nothing moves). */
  centreMotionConcentration: number;
}

const median = (xs: number[]): number => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Which pairs of one run of consecutive frames are cuts, given their histogram distances and TIs. */
export function cutPairs(distances: number[], tis: number[]): boolean[] {
  return distances.map((d, p) => {
    if (d >= CUT_HISTOGRAM_DISTANCE_STRONG) return true;
    if (d < CUT_HISTOGRAM_DISTANCE_WEAK) return false;
    const around = [...tis.slice(Math.max(0, p - CUT_NEIGHBOURS), p), ...tis.slice(p + 1, p + 1 + CUT_NEIGHBOURS)];
    return tis[p]! >= Math.max(CUT_MIN_TI, CUT_TI_SPIKE * median(around));
  });
}

/**
 * Layout of the motion grid for a frame size, over the pixels actually read: every `SAMPLE_STRIDE`-th
 * pixel of every `SAMPLE_STRIDE`-th row. Picking pixels (not averaging them) leaves the per-pixel
 * statistics — difference moments, histogram shares, cell means — unbiased at a quarter of the cost.
 */
function grid(w: number, h: number): { cells: number; index: Uint32Array; cellOf: Uint16Array; counts: Float64Array; centre: Uint8Array; centreArea: number } {
  const gx = Math.min(GRID_COLUMNS, Math.max(1, w));
  const gy = Math.max(1, Math.min(h, Math.max(3, Math.round((GRID_COLUMNS * h) / Math.max(1, w)))));
  const step = w >= 4 * GRID_COLUMNS && h >= 24 ? SAMPLE_STRIDE : 1;
  const xs = Math.ceil(w / step);
  const ys = Math.ceil(h / step);
  const index = new Uint32Array(xs * ys);
  const cellOf = new Uint16Array(xs * ys);
  const counts = new Float64Array(gx * gy);
  let k = 0;
  for (let y = 0; y < h; y += step) {
    const cy = Math.min(gy - 1, Math.floor((y * gy) / h));
    for (let x = 0; x < w; x += step) {
      const c = cy * gx + Math.min(gx - 1, Math.floor((x * gx) / w));
      index[k] = y * w + x;
      cellOf[k++] = c;
      counts[c]! += 1;
    }
  }
  const centre = new Uint8Array(gx * gy);
  let centrePixels = 0;
  for (let cy = 0; cy < gy; cy++)
    for (let cx = 0; cx < gx; cx++)
      if (cx >= gx / 4 && cx < (3 * gx) / 4 && cy >= gy / 6 && cy < (5 * gy) / 6) {
        centre[cy * gx + cx] = 1;
        centrePixels += counts[cy * gx + cx]!;
      }
  return { cells: gx * gy, index, cellOf, counts, centre, centreArea: centrePixels / Math.max(1, k) };
}

const HIST_BINS = 32;

/**
 * The 8-bit map from limited-range luma (16–235) to full range (0–255), as swscale applies it when it
 * converts YUV to gray. The analyzer takes the luma plane as it is (cheaper) and maps it here instead.
 */
export function limitedToFullRange(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.max(0, Math.round(((v - 16) * 255) / 219))));
}

export interface OverviewAccumulatorOptions {
  /** Map applied to every pixel read, e.g. `limitedToFullRange()` (default: none). */
  levels?: Uint8Array;
}

/**
 * Overview features computed frame by frame as the frames arrive (the analyzer feeds it while ffmpeg
 * is still decoding, so the arithmetic overlaps the decode). Keeps only the previous frame of each
 * window and a few numbers per pair; cuts are decided at `finish()`, when each pair's neighbours are known.
 */
export class OverviewAccumulator {
  private readonly g: ReturnType<typeof grid>;
  private readonly mad: Float64Array;
  private readonly cellSums: Int32Array;
  private readonly levels = new Int32Array(HIST_BINS);
  /** Two buffers the sampled pixels alternate in: the current frame's and the previous one's. */
  private readonly buffers: [Uint8Array, Uint8Array];
  private prev: Uint8Array | null = null;
  private prevHist: Float64Array | null = null;
  private window = -1;
  private frames = 0;
  /** Per window, per pair: histogram distance, TI, centre and total motion energy. */
  private readonly runs: { d: number[]; ti: number[]; centre: number[]; total: number[] }[] = [];

  private readonly map: Uint8Array | undefined;

  constructor(
    private readonly w: number,
    private readonly h: number,
    opts: OverviewAccumulatorOptions = {},
  ) {
    this.map = opts.levels;
    this.g = grid(w, h);
    this.buffers = [new Uint8Array(this.g.index.length), new Uint8Array(this.g.index.length)];
    this.cellSums = new Int32Array(this.g.cells);
    this.mad = new Float64Array(this.g.cells);
  }

  /** Add the next frame of window `window` (frames of one window in order; a new index starts a new run). */
  add(window: number, frame: Uint8Array): void {
    if (frame.length < this.w * this.h) return;
    const { index, cellOf, counts, centre, cells } = this.g;
    const m = index.length;
    // our own copy of the sampled pixels (the caller may reuse its buffer), in the buffer `prev` is not in
    const cur = this.prev === this.buffers[0] ? this.buffers[1] : this.buffers[0];
    const map = this.map;
    if (map) for (let k = 0; k < m; k++) cur[k] = map[frame[index[k]!]!]!;
    else for (let k = 0; k < m; k++) cur[k] = frame[index[k]!]!;
    const levels = this.levels;
    levels.fill(0);
    const pairWithPrev = window === this.window && this.prev !== null && this.prevHist !== null;
    if (!pairWithPrev) {
      for (let k = 0; k < m; k++) levels[cur[k]! >> 3]! += 1;
    } else {
      // one pass: histogram, difference moments, and per-cell absolute differences (integers)
      const a = this.prev!;
      const sums = this.cellSums;
      sums.fill(0);
      let sum = 0;
      let sum2 = 0;
      for (let k = 0; k < m; k++) {
        const v = cur[k]!;
        levels[v >> 3]! += 1;
        const d = v - a[k]!;
        sum += d;
        sum2 += d * d;
        sums[cellOf[k]!]! += d < 0 ? -d : d;
      }
      const mean = sum / m;
      const ti = Math.sqrt(Math.max(0, sum2 / m - mean * mean));
      for (let c = 0; c < cells; c++) this.mad[c] = sums[c]! / Math.max(1, counts[c]!);
      const floor = Float64Array.from(this.mad).sort()[Math.floor(cells * 0.1)] ?? 0;
      let c0 = 0;
      let t0 = 0;
      for (let c = 0; c < cells; c++) {
        const e = Math.max(0, this.mad[c]! - floor) * counts[c]!;
        t0 += e;
        if (centre[c]) c0 += e;
      }
      const run = this.runs.at(-1)!;
      run.ti.push(ti);
      run.centre.push(c0);
      run.total.push(t0);
    }
    const hist = new Float64Array(HIST_BINS);
    for (let b = 0; b < HIST_BINS; b++) hist[b] = levels[b]! / m;
    if (!pairWithPrev) {
      this.window = window;
      this.runs.push({ d: [], ti: [], centre: [], total: [] });
    } else {
      this.runs.at(-1)!.d.push(histogramDistance(this.prevHist!, hist));
    }
    this.frames++;
    this.prev = cur;
    this.prevHist = hist;
  }

  finish(): OverviewFeatures {
    let pairs = 0;
    let cuts = 0;
    let still = 0;
    let centreEnergy = 0;
    let totalEnergy = 0;
    let tiSum = 0;
    let kept = 0;
    for (const run of this.runs) {
      const isCut = cutPairs(run.d, run.ti);
      run.ti.forEach((ti, p) => {
        pairs++;
        if (ti < STILL_PAIR_TI) still++;
        if (isCut[p]) {
          cuts++;
          return;
        }
        kept++;
        tiSum += ti;
        centreEnergy += run.centre[p]!;
        totalEnergy += run.total[p]!;
      });
    }
    return {
      frames: this.frames,
      pairs,
      sceneCuts: cuts,
      tiMean: kept ? tiSum / kept : 0,
      stillPairShare: pairs ? still / pairs : 0,
      centreMotionConcentration: totalEnergy > 0 && this.g.centreArea > 0 ? centreEnergy / totalEnergy / this.g.centreArea : 0,
    };
  }
}

/** Features of overview windows (each a run of consecutive frames of `w × h` gray bytes). */
export function overviewFeatures(windows: Uint8Array[][], w: number, h: number): OverviewFeatures {
  const acc = new OverviewAccumulator(w, h);
  windows.forEach((win, i) => win.forEach((f) => acc.add(i, f)));
  return acc.finish();
}
