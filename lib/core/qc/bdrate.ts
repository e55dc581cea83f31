/**
 * Bjøntegaard delta rate (VCEG-M33): the average bitrate difference between two rate–quality curves
 * over the quality range both cover. Each curve is fitted as log10(rate) = cubic(quality) by least
 * squares (lower degree when a curve has fewer than 4 points), both fits are integrated over the
 * overlapping quality interval, and the mean log-rate difference becomes a percentage:
 * negative = the test curve needs fewer bits for the same quality.
 *
 * Curves are first reduced to their upper convex hull in (rate, quality), so a ladder is judged
 * by the best operating points it offers (a player never has to pick a dominated rung).
 */

export interface RatePoint {
  /** Bitrate (any unit, the same for both curves). */
  rate: number;
  quality: number;
}

/**
 * Upper concave hull of rate–quality points in (rate, quality) — the per-title convex hull: the
 * operating points no mix of other points beats. Sorted by rate.
 */
export function rateQualityHull(points: readonly RatePoint[]): RatePoint[] {
  const sorted = points.filter((p) => p.rate > 0 && Number.isFinite(p.quality)).sort((a, b) => a.rate - b.rate || b.quality - a.quality);
  const front: RatePoint[] = [];
  for (const p of sorted) if (front.length === 0 || p.quality > front[front.length - 1]!.quality) front.push(p);
  const hull: RatePoint[] = [];
  for (const p of front) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      const cross = (b.rate - a.rate) * (p.quality - a.quality) - (b.quality - a.quality) * (p.rate - a.rate);
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

/** Least-squares polynomial (coefficients c0..cd) of y on x, with x centred and scaled for stability. */
export function polyfit(xs: readonly number[], ys: readonly number[], degree: number): { coef: number[]; mu: number; sigma: number } {
  const n = xs.length;
  const mu = xs.reduce((a, b) => a + b, 0) / n;
  const sigma = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / n) || 1;
  const d = Math.min(degree, n - 1);
  const m = d + 1;
  // Normal equations AᵀA c = Aᵀy, solved by Gaussian elimination with partial pivoting.
  const ata = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const aty = new Array<number>(m).fill(0);
  for (let i = 0; i < n; i++) {
    const z = (xs[i]! - mu) / sigma;
    const pow = Array.from({ length: m }, (_, k) => z ** k);
    for (let r = 0; r < m; r++) {
      aty[r]! += pow[r]! * ys[i]!;
      for (let c = 0; c < m; c++) ata[r]![c]! += pow[r]! * pow[c]!;
    }
  }
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(ata[r]![col]!) > Math.abs(ata[piv]![col]!)) piv = r;
    [ata[col], ata[piv]] = [ata[piv]!, ata[col]!];
    [aty[col], aty[piv]] = [aty[piv]!, aty[col]!];
    for (let r = col + 1; r < m; r++) {
      const f = ata[r]![col]! / ata[col]![col]!;
      for (let c = col; c < m; c++) ata[r]![c]! -= f * ata[col]![c]!;
      aty[r]! -= f * aty[col]!;
    }
  }
  const coef = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = aty[r]!;
    for (let c = r + 1; c < m; c++) s -= ata[r]![c]! * coef[c]!;
    coef[r] = s / ata[r]![r]!;
  }
  return { coef, mu, sigma };
}

/** Definite integral of the fitted polynomial over x in [lo, hi]. */
function integratePoly(fit: { coef: number[]; mu: number; sigma: number }, lo: number, hi: number): number {
  const prim = (x: number) => {
    const z = (x - fit.mu) / fit.sigma;
    return fit.sigma * fit.coef.reduce((a, c, k) => a + (c * z ** (k + 1)) / (k + 1), 0);
  };
  return prim(hi) - prim(lo);
}

function evalPoly(fit: { coef: number[]; mu: number; sigma: number }, x: number): number {
  const z = (x - fit.mu) / fit.sigma;
  return fit.coef.reduce((a, c, k) => a + c * z ** k, 0);
}

/**
 * Monotone piecewise-cubic Hermite interpolant (Fritsch–Carlson, as in PCHIP) through (xs, ys),
 * xs strictly increasing. Returns a function; outside the knots it extends the end segments linearly.
 */
export function pchip(xs: readonly number[], ys: readonly number[]): (x: number) => number {
  const n = xs.length;
  const h = xs.slice(1).map((x, i) => x - xs[i]!);
  const delta = h.map((hi, i) => (ys[i + 1]! - ys[i]!) / hi);
  const m = new Array<number>(n).fill(0);
  if (n === 2) m[0] = m[1] = delta[0]!;
  else {
    for (let i = 1; i < n - 1; i++) {
      const d0 = delta[i - 1]!;
      const d1 = delta[i]!;
      if (d0 * d1 <= 0) m[i] = 0;
      else {
        const w1 = 2 * h[i]! + h[i - 1]!;
        const w2 = h[i]! + 2 * h[i - 1]!;
        m[i] = (w1 + w2) / (w1 / d0 + w2 / d1);
      }
    }
    const end = (h0: number, h1: number, d0: number, d1: number) => {
      let d = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
      if (Math.sign(d) !== Math.sign(d0)) d = 0;
      else if (Math.sign(d0) !== Math.sign(d1) && Math.abs(d) > Math.abs(3 * d0)) d = 3 * d0;
      return d;
    };
    m[0] = end(h[0]!, h[1]!, delta[0]!, delta[1]!);
    m[n - 1] = end(h[n - 2]!, h[n - 3]!, delta[n - 2]!, delta[n - 3]!);
  }
  return (x: number) => {
    let i = 0;
    while (i < n - 2 && x > xs[i + 1]!) i++;
    const t = (x - xs[i]!) / h[i]!;
    const t2 = t * t;
    const t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * ys[i]! + (t3 - 2 * t2 + t) * h[i]! * m[i]! + (-2 * t3 + 3 * t2) * ys[i + 1]! + (t3 - t2) * h[i]! * m[i + 1]!;
  };
}

function integrateFn(f: (x: number) => number, lo: number, hi: number, steps = 400): number {
  const dx = (hi - lo) / steps;
  let s = f(lo) + f(hi);
  for (let k = 1; k < steps; k++) s += f(lo + k * dx) * (k % 2 ? 4 : 2);
  return (s * dx) / 3;
}

export type BdFit = 'cubic' | 'pchip';

/**
 * Integral of log10(rate) over quality in [lo, hi] for one hull: the VCEG-M33 cubic least-squares
 * fit when the hull has 4+ points and the fit is monotone (rate grows with quality) over the
 * interval; otherwise the monotone piecewise-cubic interpolant (the fallback used by the JVET/AOM
 * BD-rate tools), which cannot overshoot on flat or short curves.
 */
function logRateIntegral(hull: readonly RatePoint[], lo: number, hi: number): { value: number; fit: BdFit } {
  const q = hull.map((p) => p.quality);
  const lr = hull.map((p) => Math.log10(p.rate));
  if (hull.length >= 4) {
    const fit = polyfit(q, lr, 3);
    let monotone = true;
    for (let k = 1; k <= 50 && monotone; k++) monotone = evalPoly(fit, lo + ((hi - lo) * k) / 50) >= evalPoly(fit, lo + ((hi - lo) * (k - 1)) / 50) - 1e-9;
    if (monotone) return { value: integratePoly(fit, lo, hi), fit: 'cubic' };
  }
  return { value: integrateFn(pchip(q, lr), lo, hi), fit: 'pchip' };
}

export interface BdRateResult {
  /** Percent rate difference of `test` vs `anchor` (negative = test needs fewer bits). */
  percent: number;
  /** Quality interval both curves cover. */
  overlap: [number, number];
  anchorPoints: number;
  testPoints: number;
  /** How each curve was fitted. */
  fits: [BdFit, BdFit];
}

/**
 * BD-rate of `test` against `anchor`, or undefined when either hull has fewer than 2 points or the
 * curves share no quality range.
 */
export function bdRate(anchor: readonly RatePoint[], test: readonly RatePoint[]): BdRateResult | undefined {
  const a = rateQualityHull(anchor);
  const t = rateQualityHull(test);
  if (a.length < 2 || t.length < 2) return undefined;
  const lo = Math.max(a[0]!.quality, t[0]!.quality);
  const hi = Math.min(a[a.length - 1]!.quality, t[t.length - 1]!.quality);
  if (!(hi > lo)) return undefined;
  const ia = logRateIntegral(a, lo, hi);
  const it = logRateIntegral(t, lo, hi);
  const avgDiff = (it.value - ia.value) / (hi - lo);
  return { percent: (Math.pow(10, avgDiff) - 1) * 100, overlap: [lo, hi], anchorPoints: a.length, testPoints: t.length, fits: [ia.fit, it.fit] };
}
