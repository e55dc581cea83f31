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
import { differenceSd, histogramDistance, lumaHistogram } from './frames';

/** Height of the overview frames, lines (even). */
export const OVERVIEW_HEIGHT = 144;
export const CUT_HISTOGRAM_DISTANCE_STRONG = 0.5;
export const CUT_HISTOGRAM_DISTANCE_WEAK = 0.2;
export const CUT_MIN_TI = 20;
export const CUT_TI_SPIKE = 3;
const CUT_NEIGHBOURS = 5;
export const STILL_PAIR_TI = 0.1;
const GRID_COLUMNS = 16;

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

/** Layout of the motion grid for a frame size: columns, rows and which cells are "centre". */
function grid(w: number, h: number): { gx: number; gy: number; cellOf: Uint16Array; centre: Uint8Array; centreArea: number } {
  const gx = Math.min(GRID_COLUMNS, Math.max(1, w));
  const gy = Math.min(h, Math.max(3, Math.round((GRID_COLUMNS * h) / Math.max(1, w))));
  const cellOf = new Uint16Array(w * h);
  for (let y = 0; y < h; y++) {
    const cy = Math.min(gy - 1, Math.floor((y * gy) / h));
    for (let x = 0; x < w; x++) cellOf[y * w + x] = cy * gx + Math.min(gx - 1, Math.floor((x * gx) / w));
  }
  const centre = new Uint8Array(gx * gy);
  for (let cy = 0; cy < gy; cy++)
    for (let cx = 0; cx < gx; cx++) if (cx >= gx / 4 && cx < (3 * gx) / 4 && cy >= gy / 6 && cy < (5 * gy) / 6) centre[cy * gx + cx] = 1;
  let centreArea = 0;
  for (let i = 0; i < cellOf.length; i++) centreArea += centre[cellOf[i]!]!;
  return { gx, gy, cellOf, centre, centreArea: centreArea / Math.max(1, cellOf.length) };
}

/** Features of overview windows (each a run of consecutive frames of `w × h` gray bytes). */
export function overviewFeatures(windows: Uint8Array[][], w: number, h: number): OverviewFeatures {
  const g = grid(w, h);
  const cells = g.gx * g.gy;
  const sums = new Float64Array(cells);
  const counts = new Float64Array(cells);
  for (let i = 0; i < g.cellOf.length; i++) counts[g.cellOf[i]!]! += 1;
  let frames = 0;
  let pairs = 0;
  let cuts = 0;
  let still = 0;
  let centreEnergy = 0;
  let totalEnergy = 0;
  const kept: number[] = [];
  for (const win of windows) {
    frames += win.length;
    const hists = win.map((f) => lumaHistogram(f));
    const distances: number[] = [];
    const tis: number[] = [];
    for (let i = 1; i < win.length; i++) {
      distances.push(histogramDistance(hists[i - 1]!, hists[i]!));
      tis.push(differenceSd(win[i - 1]!, win[i]!));
    }
    const isCut = cutPairs(distances, tis);
    tis.forEach((ti, p) => {
      pairs++;
      if (ti < STILL_PAIR_TI) still++;
      if (isCut[p]) {
        cuts++;
        return;
      }
      kept.push(ti);
      const a = win[p]!;
      const b = win[p + 1]!;
      sums.fill(0);
      for (let i = 0; i < g.cellOf.length; i++) sums[g.cellOf[i]!]! += Math.abs(a[i]! - b[i]!);
      const mad = Array.from(sums, (s, c) => s / Math.max(1, counts[c]!));
      const floor = [...mad].sort((x, y) => x - y)[Math.floor(cells * 0.1)] ?? 0;
      mad.forEach((m, c) => {
        const e = Math.max(0, m - floor) * counts[c]!;
        totalEnergy += e;
        if (g.centre[c]) centreEnergy += e;
      });
    });
  }
  const concentration = totalEnergy > 0 && g.centreArea > 0 ? centreEnergy / totalEnergy / g.centreArea : 0;
  return {
    frames,
    pairs,
    sceneCuts: cuts,
    tiMean: kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : 0,
    stillPairShare: pairs ? still / pairs : 0,
    centreMotionConcentration: concentration,
  };
}
