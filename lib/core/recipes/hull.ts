/**
 * The measured rate–quality hull of a title (per-title encoding as production services do it:
 * Netflix's convex hull / dynamic optimizer). `lib/media/hull-probe.ts` makes cheap trial encodes of
 * sampled segments — candidate resolutions × a few CRFs with a fast preset — and measures them at the
 * source's display size; this module (pure) turns those measurements into a ladder.
 *
 * Steps: (1) correct the trial points for the preset the recipe really uses (a rate factor and a
 * quality offset measured once on the same samples); (2) per resolution, interpolate between the
 * measured CRFs (log-rate and quality are close to linear in CRF over a few steps) and extrapolate a
 * little beyond them; (3) take the upper convex hull over all resolutions — the resolution crossovers
 * fall out of it (the walk uses the Pareto envelope, whose vertices are the hull's); (4) walk the hull from the top rung down with the policy's bitrate spacing,
 * dropping rungs that add too little quality and stopping at the per-format quality floor.
 */
import type { OutputFormat } from '../types';
import { pchip } from '../qc/bdrate';
import { FORMAT_PSNR_FLOOR, FORMAT_VMAF_FLOOR, formatOfHeight, type LadderPoint, type LadderPolicy, paretoFront } from './ladder';

/** One trial encode: its size, CRF, measured rate and quality at the source's display size. */
export interface TrialPoint {
  width: number;
  height: number;
  crf: number;
  kbps: number;
  /** VMAF when a model was configured. */
  vmaf?: number;
  psnr: number;
  ssim: number;
}

/** What the hull probe measured for one title. */
export interface MeasuredHull {
  points: TrialPoint[];
  /** x264 preset of the trial encodes. */
  trialPreset: string;
  /** Preset the offset below was measured against (the recipe's preset). */
  targetPreset: string;
  /** Rate of the target preset ÷ rate of the trial preset at equal CRF and size (measured). */
  presetRateFactor: number;
  /** Quality of the target preset − quality of the trial preset at equal CRF and size (VMAF, else PSNR dB). */
  presetQualityOffset: number;
  /** Seconds of the title the trials encoded (sum of the sampled segments). */
  sampledSec: number;
  /** Wall-clock seconds the probe took (trial encodes + measurements). */
  costSec: number;
}

/** A point of the corrected, interpolated envelope: a LadderPoint with PSNR/SSIM kept for QC floors. */
export interface HullPoint extends LadderPoint {
  psnr: number;
  ssim: number;
  /** True when the point was measured (not interpolated). */
  measured: boolean;
}

/** Which metric the measured hull is judged on: VMAF when every point has it, else PSNR. */
export function hullMetric(points: readonly TrialPoint[]): 'vmaf' | 'psnr' {
  return points.length > 0 && points.every((p) => p.vmaf !== undefined) ? 'vmaf' : 'psnr';
}

/** A policy expressed in PSNR dB for hulls measured without VMAF (VMAF 95 ≈ 42 dB, 4 VMAF ≈ 1 dB). */
function psnrPolicy(policy: LadderPolicy): LadderPolicy {
  return { ...policy, topVmaf: 38 + (policy.topVmaf - 93) * 0.8, minStepVmaf: policy.minStepVmaf / 4, minVmaf: 24 };
}

const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;

/**
 * The envelope points of one title: trial points corrected for the target preset, interpolated per
 * resolution at every integer CRF from `extrapolate` below the lowest to `extrapolate` above the
 * highest measured CRF (clamped to the policy's CRF range). `vmaf` holds the hull metric (PSNR dB
 * when VMAF was not measured).
 */
export function envelopePoints(hull: MeasuredHull, policy: Pick<LadderPolicy, 'minCrf' | 'maxCrf'>, extrapolate = 4): HullPoint[] {
  const metric = hullMetric(hull.points);
  const ceiling = metric === 'vmaf' ? 100 : 100;
  const byHeight = new Map<number, TrialPoint[]>();
  for (const p of hull.points) if (p.kbps > 0) byHeight.set(p.height, [...(byHeight.get(p.height) ?? []), p]);
  const out: HullPoint[] = [];
  for (const [height, raw] of byHeight) {
    const pts = [...raw].sort((a, b) => a.crf - b.crf);
    const q = (p: TrialPoint) => Math.min(ceiling, (metric === 'vmaf' ? p.vmaf! : p.psnr) + hull.presetQualityOffset);
    const lo = Math.max(policy.minCrf, Math.ceil(pts[0]!.crf - extrapolate));
    const hi = Math.min(policy.maxCrf, Math.floor(pts[pts.length - 1]!.crf + extrapolate));
    // Inside the measured CRFs: monotone piecewise-cubic (PCHIP) interpolation of log-rate and
    // quality — VMAF falls ever faster with CRF, so a straight chord between 3 trials under-rates the
    // middle by 1–2 VMAF and moves resolution crossovers (measured on foreman: 234p picked where the
    // source size was better).
    const crfs = pts.map((p) => p.crf);
    const inside = pts.length >= 2 && new Set(crfs).size === crfs.length;
    const lrAt = inside ? pchip(crfs, pts.map((p) => Math.log(p.kbps))) : undefined;
    const qAt = inside ? pchip(crfs, pts.map(q)) : undefined;
    const psnrAt = inside ? pchip(crfs, pts.map((p) => p.psnr)) : undefined;
    const ssimAt = inside ? pchip(crfs, pts.map((p) => p.ssim)) : undefined;
    for (let crf = lo; crf <= hi; crf++) {
      // Segment [a, b] that holds crf (or the end segment, for extrapolation).
      let i = 0;
      while (i < pts.length - 2 && crf > pts[i + 1]!.crf) i++;
      const a = pts[i]!;
      const b = pts[Math.min(i + 1, pts.length - 1)]!;
      const t = b.crf === a.crf ? 0 : (crf - a.crf) / (b.crf - a.crf);
      const within = lrAt !== undefined && crf >= crfs[0]! && crf <= crfs[crfs.length - 1]!;
      // Beyond the measured range quality is only extrapolated halfway (curves flatten at both ends).
      const tq = t < 0 || t > 1 ? (t < 0 ? t / 2 : 1 + (t - 1) / 2) : t;
      const kbps = Math.exp(within ? lrAt(crf) : lerp(Math.log(a.kbps), Math.log(b.kbps), t)) * hull.presetRateFactor;
      const psnr = within ? psnrAt!(crf) : lerp(a.psnr, b.psnr, tq);
      out.push({
        height,
        width: a.width,
        crf,
        kbps,
        vmaf: Math.max(0, Math.min(ceiling, within ? qAt!(crf) : lerp(q(a), q(b), tq))),
        psnr: psnr + (metric === 'psnr' ? hull.presetQualityOffset : 0),
        ssim: Math.min(1, within ? ssimAt!(crf) : lerp(a.ssim, b.ssim, tq)),
        measured: crfs.includes(crf),
      });
    }
  }
  return out;
}

/** Floor of a rung of the given height on the hull metric. */
function floorOn(metric: 'vmaf' | 'psnr', format: Exclude<OutputFormat, 'abr'>): number {
  return metric === 'vmaf' ? FORMAT_VMAF_FLOOR[format] : FORMAT_PSNR_FLOOR[format];
}

/** Options of the measured ladder walk. */
export interface MeasuredLadderOptions {
  /** Largest rung height (1080p unless UHD/critical). */
  maxHeight?: number;
  /**
   * Above the tier's target the top rung keeps climbing while a rate doubling still buys this much
   * (VMAF; PSNR ÷ 4; default 1.5). With 3, carphone's top rung stopped at VMAF 95.6 for 135 kbit/s,
   * under the quality Apple's lowest rung gives the same QCIF title.
   */
  kneeGainPerDoubling?: number;
  /** Best quality any rung aims at (VMAF; beyond it nobody sees a difference). */
  maxTopVmaf?: number;
}

/**
 * Choose rungs on the measured convex hull. The top rung sits at the largest measured height at
 * the cheapest CRF reaching the tier's target — or higher while the hull is still steep (a rate
 * doubling buying ≥ `kneeGainPerDoubling`), as small sources reach transparency cheaply; each next
 * rung is the richest envelope point at least `minStepRatio` cheaper and `minStepVmaf` worse and no
 * taller than the rung above; no rung
 * under its format's floor or the policy's minimum rate.
 */
export function chooseMeasuredRungs(hull: MeasuredHull, policy: LadderPolicy, opts: MeasuredLadderOptions = {}): HullPoint[] {
  const metric = hullMetric(hull.points);
  const pol = metric === 'vmaf' ? policy : psnrPolicy(policy);
  const knee = (opts.kneeGainPerDoubling ?? 1.5) / (metric === 'vmaf' ? 1 : 4);
  const maxTop = metric === 'vmaf' ? (opts.maxTopVmaf ?? 98) : 48;
  const maxHeight = opts.maxHeight ?? Infinity;
  const points = envelopePoints(hull, pol).filter((p) => p.height <= maxHeight && p.vmaf >= floorOn(metric, formatOfHeight(p.height)));
  if (points.length === 0) return [];
  const topHeight = Math.max(...points.map((p) => p.height));
  const atTop = points.filter((p) => p.height === topHeight).sort((a, b) => a.kbps - b.kbps);
  let topIdx = atTop.findIndex((p) => p.vmaf >= pol.topVmaf);
  if (topIdx < 0) topIdx = atTop.length - 1;
  // Knee: climb while the next CRF step is still steep (gain per rate doubling ≥ knee) and below the ceiling.
  while (topIdx + 1 < atTop.length) {
    const a = atTop[topIdx]!;
    const b = atTop[topIdx + 1]!;
    const doublings = Math.log2(b.kbps / a.kbps);
    if (b.vmaf > maxTop || doublings <= 0 || (b.vmaf - a.vmaf) / doublings < knee) break;
    topIdx++;
  }
  const top = atTop[topIdx]!;
  // The envelope (Pareto front over every resolution): at each rate the resolution/CRF with the most
  // quality. Rungs are taken on it rather than only on the convex hull's vertices, which are sparse
  // (a rung between two vertices would otherwise fall to the lower one, far below its target rate).
  const hullPts = paretoFront(points.filter((p) => p.kbps <= top.kbps));
  const rungs: HullPoint[] = [top];
  let last = top;
  while (rungs.length < pol.maxRungs) {
    // Resolution never grows down the ladder (players and viewers expect smaller rungs below).
    const next = [...hullPts].reverse().find((p) => p.height <= last.height && p.kbps <= last.kbps / pol.minStepRatio && p.vmaf <= last.vmaf - pol.minStepVmaf);
    if (!next || next.kbps < pol.minKbps || next.vmaf < pol.minVmaf) break;
    rungs.push(next);
    last = next;
  }
  return rungs.reverse();
}

/** Share of the trial cost in an encode budget, for reports: probe seconds ÷ ladder encode seconds. */
export function probeCostShare(hull: Pick<MeasuredHull, 'costSec'>, ladderEncodeSec: number): number {
  return ladderEncodeSec > 0 ? hull.costSec / ladderEncodeSec : Infinity;
}
