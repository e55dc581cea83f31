/**
 * Quality control of a job's outputs, pure: measured quality and output facts in, a verdict with a
 * precise reason per failure out. The adapters (lib/media/output-checks.ts) gather the facts.
 */
import { FORMAT_PSNR_FLOOR, FORMAT_VMAF_FLOOR } from '../recipes/ladder';
import type { QualityScores, Recipe, Rendition, RenditionResult } from '../types';

export { bdRate, rateQualityHull, pchip, polyfit, type BdRateResult, type RatePoint } from './bdrate';
export { validateMasterPlaylist, validateMediaPlaylist, type PlaylistCheck } from './playlist';

/** What the adapters learned about one rendition's outputs. */
export interface RenditionOutputFacts {
  renditionId: string;
  durationSec?: number;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  /** Presentation times (s) of the video keyframes. */
  keyframeTimes?: number[];
  /** Validation of the rendition's HLS media playlist, when it has one. */
  playlist?: { valid: boolean; errors: string[] };
}

export type QcCheck = 'missing' | 'vmaf-floor' | 'psnr-floor' | 'ssim-floor' | 'duration' | 'video-stream' | 'audio-stream' | 'dimensions' | 'playlist' | 'keyframe-alignment';

export interface QcFailure {
  renditionId?: string;
  check: QcCheck;
  reason: string;
}

export interface QcVerdict {
  passed: boolean;
  failures: QcFailure[];
  /** Short summary: "QC passed (6 renditions)" or the first failures' reasons. */
  reason: string;
}

export interface QcTolerances {
  /** Allowed |output − source| duration, seconds (the larger of this and `durationShare`). */
  durationSec: number;
  durationShare: number;
  /** Keyframes match across the ladder when within this many seconds. */
  keyframeSec: number;
  /**
   * SSIM floor for clean content. A rendition's floor is the smaller of this and `relativeSsim` × the
   * best SSIM in the ladder × (its height ÷ the tallest rung's) — grainy/noisy titles score low SSIM,
   * the more so the smaller the rung — unless its recipe set one from the measured hull; never below
   * `brokenSsim`.
   */
  minSsim: number;
  relativeSsim: number;
  brokenSsim: number;
  /** Without VMAF, PSNR floors loosen to the best PSNR in the ladder minus this (dB), never below `brokenPsnr`. */
  relativePsnrDb: number;
  brokenPsnr: number;
}

export const DEFAULT_QC_TOLERANCES: QcTolerances = { durationSec: 0.5, durationShare: 0.02, keyframeSec: 0.05, minSsim: 0.6, relativeSsim: 0.5, brokenSsim: 0.2, relativePsnrDb: 10, brokenPsnr: 20 };

export interface QcInput {
  recipe: Recipe;
  /** The renditions that were due (the active ladder); others are not judged. */
  ladder?: readonly Rendition[];
  results: readonly RenditionResult[];
  facts?: readonly RenditionOutputFacts[];
  sourceDurationSec?: number;
  /** True when the source has an audio track (so renditions must carry one when the recipe has audio). */
  sourceHasAudio?: boolean;
  tolerances?: Partial<QcTolerances>;
}

/** Quality floor of a rendition: the recipe's, else its format's. */
export function floorOf(r: Rendition): { vmaf: number; psnr: number } {
  if (r.qualityFloor) return r.qualityFloor;
  const f = r.format === 'abr' ? 'hd' : r.format;
  return { vmaf: FORMAT_VMAF_FLOOR[f], psnr: FORMAT_PSNR_FLOOR[f] - 2 };
}

/** The best SSIM and PSNR measured in a ladder's results: the title's own reference for relative floors. */
export interface LadderBest {
  ssim?: number;
  psnr?: number;
  /** Height of the tallest rung judged. */
  height?: number;
}

/**
 * Failures of one rendition's measured quality against its floor (VMAF when measured, else PSNR),
 * plus SSIM. PSNR/SSIM floors are relative to the title (its measured hull via the recipe's floor,
 * else the best rendition of the ladder), so legitimately noisy content is not failed by a floor
 * meant for clean pictures; a broken rendition still fails on VMAF or the broken-picture limits.
 */
export function qualityFailures(r: Rendition, q: QualityScores, tolerances: Partial<QcTolerances> | number = {}, best: LadderBest = {}): QcFailure[] {
  const tol = { ...DEFAULT_QC_TOLERANCES, ...(typeof tolerances === 'number' ? { minSsim: tolerances } : tolerances) };
  const base = floorOf(r);
  const floor = { ...base, psnr: best.psnr !== undefined ? Math.max(tol.brokenPsnr, Math.min(base.psnr, best.psnr - tol.relativePsnrDb)) : base.psnr };
  const minSsim = Math.max(tol.brokenSsim, r.qualityFloor?.ssim ?? (best.ssim !== undefined ? Math.min(tol.minSsim, tol.relativeSsim * best.ssim * Math.min(1, r.height / (best.height ?? r.height))) : tol.minSsim));
  const out: QcFailure[] = [];
  if (q.vmaf !== undefined) {
    if (q.vmaf < floor.vmaf) out.push({ renditionId: r.id, check: 'vmaf-floor', reason: `${r.id}: VMAF ${q.vmaf.toFixed(1)} is below its floor ${floor.vmaf} (${r.format}, ${r.width}x${r.height})` });
  } else if (q.psnr < floor.psnr) {
    out.push({ renditionId: r.id, check: 'psnr-floor', reason: `${r.id}: PSNR ${q.psnr.toFixed(1)} dB is below its floor ${floor.psnr} dB (${r.format}, ${r.width}x${r.height}; VMAF not configured)` });
  }
  if (q.ssim < minSsim) out.push({ renditionId: r.id, check: 'ssim-floor', reason: `${r.id}: SSIM ${q.ssim.toFixed(3)} is below ${minSsim.toFixed(2)}` });
  return out;
}

/** Keyframe times that differ from the reference rung's (beyond tolerance), first few only. */
export function keyframeMisalignment(reference: readonly number[], other: readonly number[], tol: number): string | undefined {
  if (reference.length !== other.length) return `${other.length} keyframes vs ${reference.length}`;
  for (let i = 0; i < reference.length; i++) {
    if (Math.abs(reference[i]! - other[i]!) > tol) return `keyframe ${i} at ${other[i]!.toFixed(3)}s vs ${reference[i]!.toFixed(3)}s`;
  }
  return undefined;
}

/**
 * Judge a job's renditions: each due rendition must exist, meet its quality floor, last as long
 * as the source, carry video (and audio when expected), match its planned size, have a valid
 * playlist, and put its keyframes where every other rung of the same frame rate puts them.
 */
export function evaluateQc(input: QcInput): QcVerdict {
  const tol = { ...DEFAULT_QC_TOLERANCES, ...input.tolerances };
  const ladder = input.ladder ?? input.recipe.ladder;
  const failures: QcFailure[] = [];
  const facts = new Map((input.facts ?? []).map((f) => [f.renditionId, f]));
  const measuredQ = input.results.filter((x) => x.status === 'done' && x.quality && ladder.some((r) => r.id === x.renditionId)).map((x) => x.quality!);
  const best: LadderBest = measuredQ.length > 0 ? { ssim: Math.max(...measuredQ.map((x) => x.ssim)), psnr: Math.max(...measuredQ.map((x) => x.psnr)), height: Math.max(...ladder.map((r) => r.height)) } : {};
  for (const r of ladder) {
    const res = input.results.find((x) => x.renditionId === r.id);
    if (!res || res.status !== 'done') {
      failures.push({ renditionId: r.id, check: 'missing', reason: `${r.id}: ${res ? `encode ${res.status}${res.error ? ` (${res.error})` : ''}` : 'no result'}` });
      continue;
    }
    if (res.quality) failures.push(...qualityFailures(r, res.quality, tol, best));
    const f = facts.get(r.id);
    if (!f) continue;
    if (!f.hasVideo) failures.push({ renditionId: r.id, check: 'video-stream', reason: `${r.id}: output has no video stream` });
    if (input.recipe.audio && input.sourceHasAudio && !f.hasAudio) failures.push({ renditionId: r.id, check: 'audio-stream', reason: `${r.id}: output has no audio stream but the source and recipe have one` });
    if (f.width !== undefined && f.height !== undefined && (f.width !== r.width || f.height !== r.height))
      failures.push({ renditionId: r.id, check: 'dimensions', reason: `${r.id}: output is ${f.width}x${f.height}, planned ${r.width}x${r.height}` });
    if (input.sourceDurationSec !== undefined && f.durationSec !== undefined) {
      const allowed = Math.max(tol.durationSec, tol.durationShare * input.sourceDurationSec);
      const diff = f.durationSec - input.sourceDurationSec;
      if (Math.abs(diff) > allowed)
        failures.push({ renditionId: r.id, check: 'duration', reason: `${r.id}: duration ${f.durationSec.toFixed(2)}s vs source ${input.sourceDurationSec.toFixed(2)}s (off by ${diff.toFixed(2)}s, allowed ${allowed.toFixed(2)}s)` });
    }
    if (f.playlist && !f.playlist.valid) failures.push({ renditionId: r.id, check: 'playlist', reason: `${r.id}: invalid HLS playlist: ${f.playlist.errors.join('; ')}` });
  }
  // Keyframe alignment across rungs that share a frame rate and GOP (the ABR switching set).
  const groups = new Map<string, { id: string; times: number[] }[]>();
  for (const r of ladder) {
    const times = facts.get(r.id)?.keyframeTimes;
    if (!times) continue;
    const key = `${r.fps}:${r.gopSeconds}`;
    groups.set(key, [...(groups.get(key) ?? []), { id: r.id, times }]);
  }
  for (const members of groups.values()) {
    const ref = members[0]!;
    for (const m of members.slice(1)) {
      const why = keyframeMisalignment(ref.times, m.times, tol.keyframeSec);
      if (why) failures.push({ renditionId: m.id, check: 'keyframe-alignment', reason: `${m.id}: keyframes not aligned with ${ref.id}: ${why}` });
    }
  }
  const passed = failures.length === 0;
  const reason = passed
    ? `QC passed (${ladder.length} renditions)`
    : `QC failed: ${failures.slice(0, 3).map((f) => f.reason).join('; ')}${failures.length > 3 ? ` (+${failures.length - 3} more)` : ''}`;
  return { passed, failures, reason };
}
