/**
 * The MediaConvert renderer of a Marquee recipe: one `CreateJob` request (typed with
 * @aws-sdk/client-mediaconvert) whose outputs are the recipe's active ladder — QVBR with the
 * rendition's quality level and peak, fixed closed GOPs in frames (the same on every rung, so
 * segments align), a CMAF group that writes both HLS and DASH manifests (or an HLS group when
 * DASH is not asked for), and MP4 downloads of the top rung of each format.
 *
 * Allowed values follow the MediaConvert API reference; `validateCreateJob` checks a rendered
 * request against those rules (used by the tests and callable before submitting).
 */
import type {
  AudioDescription,
  ContainerSettings,
  CreateJobCommandInput,
  H264QualityTuningLevel,
  HopDestination,
  Output,
  OutputGroup,
  StatusUpdateInterval,
  VideoCodecSettings,
  VideoDescription,
} from '@aws-sdk/client-mediaconvert';
import { activeLadder } from '../core/recipes';
import { gopFrames } from '../core/recipes/ffmpeg';
import type { AudioProfile, Job, Recipe, RecipeVariant, Rendition } from '../core/types';
import type { MediaConvertJobOptions } from './mediaconvert-options';

/** Options of the full renderer: the shared submission options plus queue hopping and progress cadence. */
export interface MediaConvertRenderOptions extends MediaConvertJobOptions {
  /** Queue to hop to when the job waits too long (must differ from `queueArn`). */
  hop?: { queueArn: string; waitMinutes: number; priority?: number };
  /** How often MediaConvert emits STATUS_UPDATE events (default 60 s). */
  statusUpdateInterval?: StatusUpdateInterval;
  /** HLS/CMAF segment length in seconds (default: the multiple of the GOP closest to 6 s). */
  segmentSeconds?: number;
}

/** API limits from the MediaConvert API reference, checked by `validateCreateJob`. */
export const MEDIACONVERT_LIMITS = {
  priority: [-50, 50],
  qvbrQualityLevel: [1, 10],
  maxBitrate: [1000, 1_152_000_000],
  dimension: [32, 8192],
  hopWaitMinutes: [1, 1440],
  clientRequestTokenMaxLength: 64,
  aacBitrate: [6000, 1_024_000],
} as const;

const STATUS_INTERVALS: readonly StatusUpdateInterval[] = [
  'SECONDS_10', 'SECONDS_12', 'SECONDS_15', 'SECONDS_20', 'SECONDS_30', 'SECONDS_60', 'SECONDS_120', 'SECONDS_180', 'SECONDS_240', 'SECONDS_300', 'SECONDS_360', 'SECONDS_420', 'SECONDS_480', 'SECONDS_540', 'SECONDS_600',
];

const clampInt = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(x)));

/** Encoder passes of the variant in force → MediaConvert quality tuning. */
export function qualityTuning(variant: RecipeVariant | undefined, r: Rendition): H264QualityTuningLevel {
  if (['ultrafast', 'superfast', 'veryfast'].includes(r.preset)) return 'SINGLE_PASS';
  return (variant?.passes ?? 1) > 1 ? 'MULTI_PASS_HQ' : 'SINGLE_PASS_HQ';
}

/** Frame rate as a rational (29.97 → 30000/1001). */
export function framerateOf(fps: number): { num: number; den: number } {
  for (const base of [24, 30, 60]) if (Math.abs(fps - (base * 1000) / 1001) < 0.01) return { num: base * 1000, den: 1001 };
  return { num: Math.round(fps * 1000), den: 1000 };
}

function codecSettings(r: Rendition, tuning: H264QualityTuningLevel, sourceFps: number): VideoCodecSettings {
  const maxBitrate = clampInt(r.maxBitrateKbps * 1000, ...MEDIACONVERT_LIMITS.maxBitrate);
  const qvbr = clampInt(r.qvbrQuality, ...MEDIACONVERT_LIMITS.qvbrQualityLevel);
  const gop = gopFrames(r);
  const changeRate = Math.abs(r.fps - sourceFps) > 0.01;
  const { num, den } = framerateOf(r.fps);
  const rate = changeRate
    ? { FramerateControl: 'SPECIFIED' as const, FramerateNumerator: num, FramerateDenominator: den, FramerateConversionAlgorithm: 'DUPLICATE_DROP' as const }
    : { FramerateControl: 'INITIALIZE_FROM_SOURCE' as const };
  switch (r.codec) {
    case 'h264':
      return {
        Codec: 'H_264',
        H264Settings: {
          RateControlMode: 'QVBR',
          QvbrSettings: { QvbrQualityLevel: qvbr },
          MaxBitrate: maxBitrate,
          HrdBufferSize: clampInt(r.bufferKbits * 1000, 0, MEDIACONVERT_LIMITS.maxBitrate[1]),
          QualityTuningLevel: tuning,
          CodecProfile: r.profile === 'main' ? 'MAIN' : r.profile === 'baseline' ? 'BASELINE' : 'HIGH',
          CodecLevel: 'AUTO',
          GopSize: gop,
          GopSizeUnits: 'FRAMES',
          GopClosedCadence: r.closedGop ? 1 : 0,
          SceneChangeDetect: 'TRANSITION_DETECTION',
          AdaptiveQuantization: 'AUTO',
          ...rate,
        },
      };
    case 'hevc':
      return {
        Codec: 'H_265',
        H265Settings: {
          RateControlMode: 'QVBR',
          QvbrSettings: { QvbrQualityLevel: qvbr },
          MaxBitrate: maxBitrate,
          HrdBufferSize: clampInt(r.bufferKbits * 1000, 0, MEDIACONVERT_LIMITS.maxBitrate[1]),
          QualityTuningLevel: tuning,
          CodecProfile: r.profile === 'main10' ? 'MAIN10_MAIN' : 'MAIN_MAIN',
          CodecLevel: 'AUTO',
          GopSize: gop,
          GopSizeUnits: 'FRAMES',
          GopClosedCadence: r.closedGop ? 1 : 0,
          SceneChangeDetect: 'TRANSITION_DETECTION',
          WriteMp4PackagingType: 'HVC1',
          ...rate,
        },
      };
    case 'av1':
      return {
        Codec: 'AV1',
        Av1Settings: { RateControlMode: 'QVBR', QvbrSettings: { QvbrQualityLevel: qvbr }, MaxBitrate: maxBitrate, GopSize: gop, ...rate },
      };
    case 'vp9':
      // MediaConvert's VP9 has no QVBR: VBR at the predicted average with the recipe's peak.
      return {
        Codec: 'VP9',
        Vp9Settings: {
          RateControlMode: 'VBR',
          Bitrate: clampInt((r.targetKbps ?? r.maxBitrateKbps / 2) * 1000, ...MEDIACONVERT_LIMITS.maxBitrate),
          MaxBitrate: maxBitrate,
          GopSize: gop,
          QualityTuningLevel: tuning === 'SINGLE_PASS' ? 'MULTI_PASS' : 'MULTI_PASS_HQ',
          ...rate,
        },
      };
  }
}

function videoDescription(r: Rendition, tuning: H264QualityTuningLevel, sourceFps: number, interlaced: boolean): VideoDescription {
  return {
    Width: r.width,
    Height: r.height,
    ScalingBehavior: 'DEFAULT',
    AntiAlias: 'ENABLED',
    CodecSettings: codecSettings(r, tuning, sourceFps),
    ...(interlaced ? { VideoPreprocessors: { Deinterlacer: { Mode: 'DEINTERLACE', Algorithm: 'INTERPOLATE' } } } : {}),
  };
}

function audioDescription(a: AudioProfile): AudioDescription {
  return {
    AudioSourceName: 'Audio Selector 1',
    CodecSettings: {
      Codec: 'AAC',
      AacSettings: {
        Bitrate: clampInt(a.bitrateKbps * 1000, ...MEDIACONVERT_LIMITS.aacBitrate),
        CodingMode: a.channels === 1 ? 'CODING_MODE_1_0' : 'CODING_MODE_2_0',
        SampleRate: a.sampleRate,
        CodecProfile: 'LC',
        RateControlMode: 'CBR',
      },
    },
    ...(a.loudnessTarget !== undefined ? { AudioNormalizationSettings: { Algorithm: 'ITU_BS_1770_3', AlgorithmControl: 'CORRECT_AUDIO', TargetLkfs: a.loudnessTarget } } : {}),
  };
}

/** Segment length: the multiple of the GOP closest to 6 s (Apple's recommendation), at least one GOP. */
export function segmentSecondsFor(gopSeconds: number, wanted = 6): number {
  return Math.max(1, Math.round(wanted / gopSeconds)) * gopSeconds;
}

/** A ClientRequestToken within the API's 64 ASCII characters (long tokens keep a stable hash suffix). */
export function requestToken(token: string): string {
  const ascii = token.replace(/[^\x20-\x7e]/g, '_');
  if (ascii.length <= MEDIACONVERT_LIMITS.clientRequestTokenMaxLength) return ascii;
  let h = 2166136261;
  for (const c of ascii) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `${ascii.slice(0, 55)}-${h.toString(16).padStart(8, '0')}`;
}

/**
 * Render a recipe (its active variant) to a MediaConvert CreateJob request. Same signature as the
 * `RenderMediaConvertJob` the Dispatch handler expects.
 */
export function renderMediaConvertJob(job: Job, recipe: Recipe, opts: MediaConvertRenderOptions): CreateJobCommandInput {
  const variant = recipe.variants[recipe.activeVariant];
  const ladder = activeLadder(recipe);
  const sourceFps = job.profile?.source.fps ?? ladder[0]?.fps ?? 30;
  const segment = opts.segmentSeconds ?? segmentSecondsFor(recipe.gopSeconds);
  const groups: OutputGroup[] = [];
  const interlaced = job.profile?.source.interlaced ?? false;
  const video = (r: Rendition) => videoDescription(r, qualityTuning(variant, r), sourceFps, interlaced);
  const audio = recipe.audio ? [audioDescription(recipe.audio)] : undefined;
  const streaming = ladder.filter((r) => r.codec !== 'vp9');

  if (recipe.packaging.includes('dash') || (recipe.packaging.includes('hls') && streaming.some((r) => r.codec === 'av1'))) {
    // CMAF: one set of fMP4 segments, HLS and DASH manifests over it; audio is its own output.
    const outputs: Output[] = streaming.map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: { Container: 'CMFC' }, VideoDescription: video(r) }));
    if (audio) outputs.push({ NameModifier: '_audio', ContainerSettings: { Container: 'CMFC' }, AudioDescriptions: audio });
    groups.push({
      Name: 'cmaf',
      OutputGroupSettings: {
        Type: 'CMAF_GROUP_SETTINGS',
        CmafGroupSettings: {
          Destination: `${opts.outputPrefix}cmaf/`,
          SegmentLength: segment,
          FragmentLength: recipe.gopSeconds,
          SegmentControl: 'SEGMENTED_FILES',
          WriteHlsManifest: recipe.packaging.includes('hls') ? 'ENABLED' : 'DISABLED',
          WriteDashManifest: 'ENABLED',
          ManifestDurationFormat: 'FLOATING_POINT',
          StreamInfResolution: 'INCLUDE',
        },
      },
      Outputs: outputs,
    });
  } else if (recipe.packaging.includes('hls')) {
    groups.push({
      Name: 'hls',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: { Destination: `${opts.outputPrefix}hls/`, SegmentLength: segment, MinSegmentLength: 0, SegmentControl: 'SEGMENTED_FILES', ManifestDurationFormat: 'FLOATING_POINT', StreamInfResolution: 'INCLUDE' },
      },
      Outputs: streaming.filter((r) => r.codec !== 'av1').map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: { Container: 'M3U8' }, VideoDescription: video(r), AudioDescriptions: audio })),
    });
  }

  // MP4 downloads: the top H.264/HEVC rung of each format (all rungs when MP4 is the only packaging).
  const mp4Only = !recipe.packaging.includes('hls') && !recipe.packaging.includes('dash');
  const downloads = mp4Only ? ladder.filter((r) => r.codec === 'h264' || r.codec === 'hevc') : topOfEachFormat(ladder.filter((r) => r.codec === 'h264'));
  if (recipe.packaging.includes('mp4') || mp4Only) {
    groups.push({
      Name: 'mp4',
      OutputGroupSettings: { Type: 'FILE_GROUP_SETTINGS', FileGroupSettings: { Destination: `${opts.outputPrefix}mp4/` } },
      Outputs: downloads.map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: mp4Container(), VideoDescription: video(r), AudioDescriptions: audio })),
    });
  }
  const vp9 = ladder.filter((r) => r.codec === 'vp9');
  if (vp9.length > 0) {
    groups.push({
      Name: 'webm',
      OutputGroupSettings: { Type: 'FILE_GROUP_SETTINGS', FileGroupSettings: { Destination: `${opts.outputPrefix}webm/` } },
      Outputs: vp9.map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: { Container: 'WEBM' }, VideoDescription: video(r) })),
    });
  }

  const hops: HopDestination[] | undefined = opts.hop
    ? [{ Queue: opts.hop.queueArn, WaitMinutes: clampInt(opts.hop.waitMinutes, ...MEDIACONVERT_LIMITS.hopWaitMinutes), ...(opts.hop.priority !== undefined ? { Priority: clampInt(opts.hop.priority, ...MEDIACONVERT_LIMITS.priority) } : {}) }]
    : undefined;
  return {
    Role: opts.role,
    Queue: opts.queueArn,
    Priority: clampInt(opts.priority, ...MEDIACONVERT_LIMITS.priority),
    ClientRequestToken: requestToken(opts.clientRequestToken),
    UserMetadata: { ...opts.userMetadata, jobId: job.id, recipeId: recipe.id, variant: variant?.name ?? 'full' },
    StatusUpdateInterval: opts.statusUpdateInterval ?? 'SECONDS_60',
    AccelerationSettings: { Mode: opts.accelerated || variant?.accelerated ? 'PREFERRED' : 'DISABLED' },
    ...(hops ? { HopDestinations: hops } : {}),
    Settings: {
      TimecodeConfig: { Source: 'ZEROBASED' },
      Inputs: [
        {
          FileInput: job.source.uri,
          TimecodeSource: 'ZEROBASED',
          VideoSelector: {},
          ...(recipe.audio ? { AudioSelectors: { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } } } : {}),
        },
      ],
      OutputGroups: groups,
    },
  };
}

function mp4Container(): ContainerSettings {
  return { Container: 'MP4', Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' } };
}

function topOfEachFormat(ladder: readonly Rendition[]): Rendition[] {
  const best = new Map<string, Rendition>();
  for (const r of ladder) {
    const cur = best.get(r.format);
    if (!cur || r.height > cur.height || (r.height === cur.height && r.maxBitrateKbps > cur.maxBitrateKbps)) best.set(r.format, r);
  }
  return [...best.values()].sort((a, b) => a.height - b.height);
}

/**
 * Problems of a rendered CreateJob request against the MediaConvert API rules Marquee relies on
 * (ranges, enums, even dimensions, bitrate bounds, GOP alignment across each output group,
 * segment length a multiple of the GOP, CMAF outputs carrying one kind of stream). Empty = valid.
 */
export function validateCreateJob(req: CreateJobCommandInput): string[] {
  const errors: string[] = [];
  const inRange = (x: number | undefined, [lo, hi]: readonly [number, number], what: string) => {
    if (x === undefined || !Number.isInteger(x) || x < lo || x > hi) errors.push(`${what} ${x} outside ${lo}..${hi}`);
  };
  if (!req.Role) errors.push('Role is required');
  if (!req.Queue) errors.push('Queue must be explicit');
  inRange(req.Priority, MEDIACONVERT_LIMITS.priority, 'Priority');
  if (!req.ClientRequestToken || req.ClientRequestToken.length > MEDIACONVERT_LIMITS.clientRequestTokenMaxLength || /[^\x20-\x7e]/.test(req.ClientRequestToken))
    errors.push('ClientRequestToken must be 1..64 ASCII characters');
  if (req.StatusUpdateInterval && !STATUS_INTERVALS.includes(req.StatusUpdateInterval)) errors.push(`StatusUpdateInterval ${req.StatusUpdateInterval} is not an allowed value`);
  if (req.AccelerationSettings && !['DISABLED', 'ENABLED', 'PREFERRED'].includes(req.AccelerationSettings.Mode ?? '')) errors.push('AccelerationSettings.Mode must be DISABLED, ENABLED or PREFERRED');
  for (const [k, v] of Object.entries(req.UserMetadata ?? {})) if (typeof v !== 'string') errors.push(`UserMetadata.${k} must be a string`);
  for (const h of req.HopDestinations ?? []) {
    inRange(h.WaitMinutes, MEDIACONVERT_LIMITS.hopWaitMinutes, 'HopDestinations.WaitMinutes');
    if (h.Priority !== undefined) inRange(h.Priority, MEDIACONVERT_LIMITS.priority, 'HopDestinations.Priority');
    if (h.Queue && h.Queue === req.Queue) errors.push('HopDestinations.Queue must differ from the job queue');
  }
  const groups = req.Settings?.OutputGroups ?? [];
  if (groups.length === 0) errors.push('no output groups');
  for (const g of groups) {
    const names = new Set<string>();
    const gops = new Set<string>();
    for (const o of g.Outputs ?? []) {
      if (o.NameModifier) {
        if (names.has(o.NameModifier)) errors.push(`${g.Name}: duplicate NameModifier ${o.NameModifier}`);
        names.add(o.NameModifier);
      }
      const v = o.VideoDescription;
      if (g.OutputGroupSettings?.Type === 'CMAF_GROUP_SETTINGS' && v && o.AudioDescriptions?.length) errors.push(`${g.Name}${o.NameModifier}: a CMAF output carries video or audio, not both`);
      if (!v) continue;
      for (const [dim, val] of [['Width', v.Width], ['Height', v.Height]] as const) {
        inRange(val, MEDIACONVERT_LIMITS.dimension, `${g.Name}${o.NameModifier} ${dim}`);
        if (val !== undefined && val % 2 !== 0) errors.push(`${g.Name}${o.NameModifier} ${dim} ${val} must be even`);
      }
      const c = v.CodecSettings;
      const s = c?.H264Settings ?? c?.H265Settings ?? c?.Av1Settings ?? c?.Vp9Settings;
      if (!s) {
        errors.push(`${g.Name}${o.NameModifier}: no codec settings`);
        continue;
      }
      inRange(s.MaxBitrate, MEDIACONVERT_LIMITS.maxBitrate, `${g.Name}${o.NameModifier} MaxBitrate`);
      if (s.RateControlMode === 'QVBR') inRange((s as { QvbrSettings?: { QvbrQualityLevel?: number } }).QvbrSettings?.QvbrQualityLevel, MEDIACONVERT_LIMITS.qvbrQualityLevel, `${g.Name}${o.NameModifier} QvbrQualityLevel`);
      if (!(s.GopSize && s.GopSize > 0)) errors.push(`${g.Name}${o.NameModifier}: GopSize must be > 0`);
      const units = 'GopSizeUnits' in s ? s.GopSizeUnits : 'FRAMES';
      gops.add(`${s.GopSize}${units}`);
      const fps = 'FramerateNumerator' in s && s.FramerateNumerator && s.FramerateDenominator ? s.FramerateNumerator / s.FramerateDenominator : undefined;
      const seg = g.OutputGroupSettings?.CmafGroupSettings?.SegmentLength ?? g.OutputGroupSettings?.HlsGroupSettings?.SegmentLength;
      if (seg !== undefined && fps && s.GopSize && units === 'FRAMES') {
        const gopSec = s.GopSize / fps;
        const ratio = seg / gopSec;
        if (Math.abs(ratio - Math.round(ratio)) > 0.01) errors.push(`${g.Name}${o.NameModifier}: SegmentLength ${seg}s is not a multiple of the GOP (${gopSec.toFixed(3)}s)`);
      }
    }
    const streamingGroup = g.OutputGroupSettings?.Type !== 'FILE_GROUP_SETTINGS';
    if (streamingGroup && gops.size > 1) errors.push(`${g.Name}: GOP sizes differ across the ladder (${[...gops].join(', ')}): segments would not align`);
  }
  return errors;
}
