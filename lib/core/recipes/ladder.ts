import type { OutputFormat, PriorityLevers } from '../types';
import { predictKbps, predictVmaf, type TitleModel } from './model';

/** Heights Marquee considers for rungs (plus the source's own height). */
export const CANDIDATE_HEIGHTS = [144, 180, 234, 270, 288, 360, 432, 480, 540, 720, 900, 1080, 1440, 2160] as const;

/** The smallest VMAF a rung of each format may be predicted (and later measured) to reach. */
export const FORMAT_VMAF_FLOOR: Record<Exclude<OutputFormat, 'abr'>, number> = { mobile: 40, sd: 55, hd: 65, uhd: 75 };
/** PSNR floors (dB) used by QC when VMAF is not configured. */
export const FORMAT_PSNR_FLOOR: Record<Exclude<OutputFormat, 'abr'>, number> = { mobile: 26, sd: 28, hd: 30, uhd: 32 };

/** Format of a rung from its height. */
export function formatOfHeight(h: number): Exclude<OutputFormat, 'abr'> {
  if (h <= 360) return 'mobile';
  if (h <= 576) return 'sd';
  if (h <= 1080) return 'hd';
  return 'uhd';
}

/** A predicted operating point: height, CRF, predicted rate and quality. */
export interface LadderPoint {
  height: number;
  width: number;
  crf: number;
  kbps: number;
  vmaf: number;
}

export interface LadderPolicy {
  /** Predicted VMAF the top rung aims at. */
  topVmaf: number;
  /** Lowest CRF (best quality) any rung uses: beyond it bits buy nothing visible. */
  minCrf: number;
  maxCrf: number;
  /** Consecutive rungs differ by at least this bitrate ratio (else the lower one adds nothing). */
  minStepRatio: number;
  /** Consecutive rungs differ by at least this many predicted VMAF points. */
  minStepVmaf: number;
  /** The bottom rung: stop below this bitrate or this VMAF. */
  minKbps: number;
  minVmaf: number;
  maxRungs: number;
}

/** Top quality and rung density per value lever: QVBR level → top VMAF; rung set → spacing. */
export function ladderPolicy(levers: Pick<PriorityLevers, 'qualityLevel' | 'rungSet'>): LadderPolicy {
  const ql = Math.min(10, Math.max(1, Math.round(levers.qualityLevel)));
  const spacing = { full: { ratio: 1.55, rungs: 8 }, core: { ratio: 1.9, rungs: 6 }, minimal: { ratio: 2.6, rungs: 3 } }[levers.rungSet];
  return {
    // QVBR 7 (broadcast) → VMAF 93, 8 → 95, 9 → 96.5, 10 → 98: the top rung sits about one JND
    // (≈6 VMAF) below transparent for premium titles.
    topVmaf: Math.min(98, 93 + (ql - 7) * 1.7),
    minCrf: 17,
    maxCrf: 42,
    minStepRatio: spacing.ratio,
    minStepVmaf: 4,
    minKbps: 60,
    minVmaf: 35,
    maxRungs: spacing.rungs,
  };
}

/** Every (height, CRF) operating point of the title at or below the source height. */
export function operatingPoints(t: TitleModel, policy: LadderPolicy, maxHeight = t.height): LadderPoint[] {
  // Never more than two octaves below the source (beyond that upscaling destroys the picture), never below 144p.
  const lowest = Math.min(t.height, Math.max(144, t.height / 4));
  const heights = [...new Set([...CANDIDATE_HEIGHTS.filter((h) => h < t.height), t.height])].filter((h) => h <= maxHeight && h >= lowest);
  const pts: LadderPoint[] = [];
  for (const height of heights) {
    for (let crf = policy.minCrf; crf <= policy.maxCrf; crf += 1) {
      pts.push({ height, width: 0, crf, kbps: predictKbps(t, height, crf), vmaf: predictVmaf(t, height, crf) });
    }
  }
  return pts.map((p) => ({ ...p, width: 2 * Math.round((t.width * p.height) / t.height / 2) }));
}

/** Points that no other point beats on both rate and quality (each costlier point is better), by rate. */
export function paretoFront<P extends { kbps: number; vmaf: number }>(points: readonly P[]): P[] {
  const sorted = [...points].filter((p) => p.kbps > 0).sort((a, b) => a.kbps - b.kbps || b.vmaf - a.vmaf);
  const front: P[] = [];
  for (const p of sorted) if (front.length === 0 || p.vmaf > front[front.length - 1]!.vmaf) front.push(p);
  return front;
}

/**
 * Upper convex hull of rate–quality points in (log rate, quality): the points no mix of other
 * points beats. Sorted by rate.
 */
export function convexHull<P extends { kbps: number; vmaf: number }>(points: readonly P[]): P[] {
  const front = paretoFront(points);
  const hull: P[] = [];
  const x = (p: P) => Math.log(p.kbps);
  for (const p of front) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      // b lies on or below the chord a→p: drop it.
      const cross = (x(b) - x(a)) * (p.vmaf - a.vmaf) - (b.vmaf - a.vmaf) * (x(p) - x(a));
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

/**
 * Choose the rungs: walk the predicted hull from the top target downwards, taking a rung each time
 * the rate has dropped by the policy's step ratio and quality by a visible step; never a rung whose
 * predicted VMAF is below its format's floor, never above the source height.
 */
export function chooseRungs(t: TitleModel, policy: LadderPolicy, maxHeight = t.height): LadderPoint[] {
  const points = operatingPoints(t, policy, maxHeight).filter((p) => p.vmaf >= FORMAT_VMAF_FLOOR[formatOfHeight(p.height)]);
  // The envelope over all resolutions: at each rate, the resolution/CRF with the most quality.
  const hull = paretoFront(points);
  if (hull.length === 0) return [];
  // Top: at the largest allowed size (viewers on big screens get the source's detail), the
  // cheapest CRF that reaches the target, or the best there is.
  const topHeight = Math.max(...points.map((p) => p.height));
  const atTop = points.filter((p) => p.height === topHeight).sort((a, b) => a.kbps - b.kbps);
  const top = atTop.find((p) => p.vmaf >= policy.topVmaf) ?? atTop[atTop.length - 1] ?? hull[hull.length - 1]!;
  const rungs: LadderPoint[] = [top];
  let last = top;
  for (;;) {
    if (rungs.length >= policy.maxRungs) break;
    const next = [...hull]
      .reverse()
      .find((p) => p.kbps <= last.kbps / policy.minStepRatio && p.vmaf <= last.vmaf - policy.minStepVmaf);
    if (!next || next.kbps < policy.minKbps || next.vmaf < policy.minVmaf) break;
    rungs.push(next);
    last = next;
  }
  return rungs.reverse();
}
