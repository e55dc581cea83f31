import type { ContentProfile, OutputFormat, Packaging, Recipe, Rendition, Tier, ValueScore, VideoCodec } from '../types';
import { chooseAudio } from './audio';
import { CODEC_RATE_FACTOR, crfForCodec, h264ProfileFor, qvbrLevelForCrf, TIER_CODECS, TIER_PRESET, tuneFor } from './codecs';
import { chooseRungs, FORMAT_PSNR_FLOOR, FORMAT_VMAF_FLOOR, formatOfHeight, ladderPolicy, type LadderPoint } from './ladder';
import { chooseMeasuredRungs, type HullPoint, type MeasuredHull } from './hull';
import { DEFAULT_RQ_MODEL, predictKbps, predictVmaf, titleModel, type RateQualityModel, type TitleModel } from './model';
import { buildVariants } from './variants';

export { convexHull, chooseRungs, ladderPolicy, formatOfHeight, FORMAT_VMAF_FLOOR, FORMAT_PSNR_FLOOR } from './ladder';
export { titleModel, predictKbps, predictVmaf, DEFAULT_RQ_MODEL } from './model';
export { chooseMeasuredRungs, envelopePoints, hullMetric, probeCostShare, type MeasuredHull, type TrialPoint, type HullPoint } from './hull';
export { qvbrLevelForCrf, crfForQvbrLevel, crfForCodec, tuneFor } from './codecs';

/** What the recipe engine decides from. */
export interface RecipeInput {
  jobId: string;
  profile: ContentProfile;
  value: ValueScore;
  formats: OutputFormat[];
  /** Codecs the platform asks for besides H.264 (produced when the tier's budget allows). */
  codecs?: VideoCodec[];
  /** Override the x264 preset of level 0 (benchmarks use one preset for every ladder). */
  preset?: string;
  /** Override the rate–quality model constants. */
  model?: RateQualityModel;
  /** Keyframe interval in seconds (default 2: divides 4 s and 6 s segments). */
  gopSeconds?: number;
  /**
   * The title's measured rate–quality hull (trial encodes, `lib/media/hull-probe.ts`). When given, the
   * ladder is chosen on it; otherwise on the predicted model (e.g. the Lambda analyzer, or tiers whose
   * budget does not pay for trial encodes — see `measuresHull`).
   */
  measuredHull?: MeasuredHull;
}

/**
 * Tiers whose budget pays for a hull probe (trial encodes of sampled segments before the ladder is
 * chosen): critical and premium. The probe costs roughly 10–40 % of one ladder's encode time on short
 * titles and a few percent on long ones (the sampled seconds do not grow with the title); standard and
 * bulk titles use the predicted model, which costs nothing beyond the analysis.
 */
export const HULL_PROBE_TIERS: readonly Tier[] = ['critical', 'premium'];

/** True when a title of this tier should be measured with a hull probe before its recipe is chosen. */
export function measuresHull(tier: Tier): boolean {
  return HULL_PROBE_TIERS.includes(tier);
}

/** Heights each single format covers. */
const FORMAT_BAND: Record<Exclude<OutputFormat, 'abr'>, [number, number]> = { mobile: [1, 360], sd: [361, 576], hd: [577, 1080], uhd: [1081, 8192] };

/** Peak (VBV) cap vs the predicted average: Apple allows peaks of 200% of the average for VOD. */
const PEAK_FACTOR = 2;

/**
 * The content-aware recipe: ladder (resolutions and CRF/QVBR targets from the title's predicted
 * rate–quality hull), codec settings per rendition, audio, packaging, and faster variants.
 * Pure and deterministic: the same profile, value and formats always give the same recipe.
 */
export function chooseRecipe(input: RecipeInput): Recipe {
  const { profile, value } = input;
  const tier = value.tier;
  const t = titleModel(profile, input.model ?? DEFAULT_RQ_MODEL);
  const policy = ladderPolicy(value.levers);
  const gopSeconds = input.gopSeconds ?? 2;
  const preset = input.preset ?? TIER_PRESET[tier];
  const passes = tier === 'critical' || tier === 'premium' ? 2 : 1;
  const rationale: string[] = [];

  const formats = input.formats.length > 0 ? input.formats : (['abr'] as OutputFormat[]);
  const abr = formats.includes('abr');
  let points: (LadderPoint & Partial<Pick<HullPoint, 'psnr' | 'ssim'>>)[];
  const measured = input.measuredHull && input.measuredHull.points.length > 0 ? input.measuredHull : undefined;
  const measuredPolicy = { ...policy, minStepVmaf: 2, minKbps: 30 };
  if (abr && measured) {
    const cap = formats.includes('uhd') || tier === 'critical' ? t.height : Math.min(t.height, 1080);
    points = chooseMeasuredRungs(measured, measuredPolicy, { maxHeight: cap });
    rationale.push(
      `measured hull: ${measured.points.length} trial encodes (${measured.trialPreset}, ${measured.sampledSec.toFixed(1)} s sampled, ${measured.costSec.toFixed(1)} s), ` +
        `${measured.targetPreset} vs ${measured.trialPreset}: rate ×${measured.presetRateFactor.toFixed(2)}, quality ${measured.presetQualityOffset >= 0 ? '+' : ''}${measured.presetQualityOffset.toFixed(1)}; ` +
        `${points.length} rungs ${points.map((p) => `${p.height}p@crf${p.crf}≈${Math.round(p.kbps)}k`).join(' ')}`,
    );
  } else if (abr) {
    const cap = formats.includes('uhd') || tier === 'critical' ? t.height : Math.min(t.height, 1080);
    points = chooseRungs(t, policy, cap);
    rationale.push(
      `probe ${t.bpp.toFixed(3)} bpp at crf 23, detail ${t.detail.toFixed(2)} (SI ${profile.complexity.spatialInfo.toFixed(0)}, ${profile.contentClass}): ` +
        `predicted hull gives ${points.length} rungs ${points.map((p) => `${p.height}p@${Math.round(p.kbps)}k`).join(' ')}`,
    );
  } else {
    points = [];
    for (const f of formats as Exclude<OutputFormat, 'abr'>[]) {
      const [lo, hi] = FORMAT_BAND[f];
      if (t.height < lo) {
        rationale.push(`${f} skipped: source is ${t.height}p, Marquee never upscales`);
        continue;
      }
      const best = measured
        ? chooseMeasuredRungs(measured, { ...measuredPolicy, maxRungs: 1 }, { maxHeight: Math.min(hi, t.height) })[0]
        : chooseRungs(t, { ...policy, maxRungs: 1 }, Math.min(hi, t.height))[0];
      if (best && best.height >= lo) points.push(best);
      else rationale.push(`${f}: no rung in ${lo}..${hi}p reaches the ${f} floor`);
    }
  }
  if (points.length === 0) {
    const crf = 23;
    points = [{ height: t.height, width: 2 * Math.round(t.width / 2), crf, kbps: predictKbps(t, t.height, crf), vmaf: predictVmaf(t, t.height, crf) }];
    rationale.push(`fallback: one rung at the source size (${t.height}p, crf ${crf})`);
  }
  points = dedupe(points).sort((a, b) => a.height - b.height || a.kbps - b.kbps);

  const tune = tuneFor(profile.contentClass);
  const ladder: Rendition[] = [];
  const topOfFormat = new Map<string, number>();
  points.forEach((p, i) => topOfFormat.set(formatOfHeight(p.height), i));
  const ids = new Set<string>();
  points.forEach((p, i) => {
    const crf = Math.round(p.crf);
    const format = formatOfHeight(p.height);
    const fromHull = measured !== undefined && p.psnr !== undefined;
    const kbps = fromHull ? p.kbps : predictKbps(t, p.height, crf);
    const vmaf = fromHull ? p.vmaf : predictVmaf(t, p.height, crf);
    ladder.push({
      id: uniqueId(ids, `${p.height}p-h264`),
      format,
      width: p.width,
      height: p.height,
      fps: t.fps,
      codec: 'h264',
      crf,
      qvbrQuality: Math.min(qvbrLevelForCrf(crf), Math.max(value.levers.qualityLevel, 1)),
      maxBitrateKbps: roundKbps(kbps * PEAK_FACTOR),
      bufferKbits: roundKbps(kbps * PEAK_FACTOR * 2),
      targetKbps: roundKbps(kbps),
      predictedVmaf: Math.round(vmaf * 10) / 10,
      preset,
      profile: h264ProfileFor(p.height),
      ...(tune ? { tune } : {}),
      gopSeconds,
      closedGop: true,
      mandatory: i === 0 || i === points.length - 1 || topOfFormat.get(format) === i,
      qualityFloor: fromHull ? measuredFloor(format, p, measured!) : floorFor(format, vmaf),
    });
  });

  const allowed = TIER_CODECS[tier];
  const extra = new Set<VideoCodec>((input.codecs ?? []).filter((c) => c !== 'h264' && allowed.includes(c)));
  for (const c of input.codecs ?? []) if (c !== 'h264' && !allowed.includes(c)) rationale.push(`${c} not produced: outside the ${tier} tier's budget`);
  if (ladder.some((r) => r.height > 1080) && allowed.includes('hevc')) extra.add('hevc');
  for (const codec of extra) {
    for (const r of ladder.filter((x) => x.codec === 'h264' && x.height >= 360)) {
      ladder.push(codecRendition(r, codec, t, profile.source.hdr, ids));
    }
    rationale.push(`${codec} renditions for rungs ≥ 360p (${tier} budget)`);
  }

  const audio = chooseAudio(profile.source, profile.audio, tier);
  const packaging: Packaging[] = abr ? ['hls', 'dash', 'mp4'] : ['mp4'];
  rationale.push(`tier ${tier}: preset ${preset}, ${passes} pass(es), top rung aims at VMAF ${policy.topVmaf}; ${tune ? `tune ${tune}` : 'no tune'}; GOP ${gopSeconds}s closed, aligned across the ladder`);
  if (profile.source.interlaced) rationale.push('source is interlaced: renderers deinterlace');
  if (profile.source.hdr) rationale.push('source is HDR: HEVC renditions keep 10-bit, H.264 renditions are SDR');

  return {
    id: `${input.jobId}-r1`,
    ladder,
    audio,
    packaging,
    gopSeconds,
    variants: buildVariants(ladder, preset, passes),
    activeVariant: 0,
    rationale,
  };
}

function codecRendition(r: Rendition, codec: VideoCodec, t: TitleModel, hdr: boolean, ids: Set<string>): Rendition {
  const profile = codec === 'hevc' ? (hdr ? 'main10' : 'main') : codec === 'vp9' ? (hdr ? '2' : '0') : 'main';
  const kbps = (r.targetKbps ?? predictKbps(t, r.height, r.crf)) * CODEC_RATE_FACTOR[codec];
  const { tune: _tune, ...rest } = r;
  return {
    ...rest,
    id: uniqueId(ids, `${r.height}p-${codec}`),
    codec,
    crf: crfForCodec(codec, r.crf),
    maxBitrateKbps: roundKbps(kbps * PEAK_FACTOR),
    bufferKbits: roundKbps(kbps * PEAK_FACTOR * 2),
    targetKbps: roundKbps(kbps),
    profile,
    mandatory: false,
  };
}

function floorFor(format: Exclude<OutputFormat, 'abr'>, predictedVmaf: number): { vmaf: number; psnr: number } {
  // The format floor, loosened where the model predicts less (a low rung for starved networks),
  // but never below 30: a rendition under that is broken, not cheap.
  const vmaf = Math.max(30, Math.min(FORMAT_VMAF_FLOOR[format], predictedVmaf - 15));
  return { vmaf: Math.round(vmaf), psnr: FORMAT_PSNR_FLOOR[format] - 2 };
}

/**
 * QC floors from the title's own measured hull: the format floor, loosened to what this rung measured
 * minus a margin (trial samples vs the whole title) — noisy or grainy titles legitimately score low
 * SSIM/PSNR at small rungs. VMAF never below 30, SSIM never below 0.2: under those a picture is broken.
 */
function measuredFloor(format: Exclude<OutputFormat, 'abr'>, p: LadderPoint & Partial<Pick<HullPoint, 'psnr' | 'ssim'>>, hull: MeasuredHull): { vmaf: number; psnr: number; ssim?: number } {
  const onVmaf = hull.points.every((x) => x.vmaf !== undefined);
  const vmaf = onVmaf ? Math.max(30, Math.min(FORMAT_VMAF_FLOOR[format], p.vmaf - 15)) : FORMAT_VMAF_FLOOR[format];
  const psnr = Math.max(20, Math.min(FORMAT_PSNR_FLOOR[format] - 2, (p.psnr ?? FORMAT_PSNR_FLOOR[format]) - 4));
  const ssim = p.ssim !== undefined ? Math.max(0.2, Math.min(0.6, p.ssim - 0.15)) : undefined;
  return { vmaf: Math.round(vmaf), psnr: Math.round(psnr * 10) / 10, ...(ssim !== undefined ? { ssim: Math.round(ssim * 100) / 100 } : {}) };
}

function dedupe<P extends LadderPoint>(points: P[]): P[] {
  const seen = new Set<string>();
  return points.filter((p) => {
    const k = `${p.height}:${Math.round(p.crf)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function uniqueId(ids: Set<string>, base: string): string {
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}

const roundKbps = (k: number): number => Math.max(1, Math.round(k));

/** The ladder as it runs under the active variant (preset override, deferred rungs removed). */
export function activeLadder(recipe: Recipe): Rendition[] {
  const variant = recipe.variants[recipe.activeVariant];
  if (!variant) return recipe.ladder;
  return recipe.ladder
    .filter((r) => !variant.deferredRenditionIds.includes(r.id))
    .map((r) => (variant.presetOverride ? { ...r, preset: variant.presetOverride } : r));
}
