/**
 * The Marquee domain model. Pure data: no I/O, times are epoch milliseconds from an injected Clock.
 * Every other module in lib/core works on these types; adapters map them to AWS, SQLite, ffmpeg.
 */

/** Value tiers, most valuable first. The order is the scheduling order before aging. */
export const TIERS = ['critical', 'premium', 'standard', 'bulk'] as const;
export type Tier = (typeof TIERS)[number];

/** Rank of a tier: 0 = critical (highest). */
export const tierRank = (tier: Tier): number => TIERS.indexOf(tier);

/** Creator status as the platform reports it. */
export const CREATOR_TIERS = ['new', 'regular', 'partner', 'star'] as const;
export type CreatorTier = (typeof CREATOR_TIERS)[number];

/** Output formats a platform asks for. `abr` means a full adaptive ladder packaged for streaming. */
export const OUTPUT_FORMATS = ['mobile', 'sd', 'hd', 'uhd', 'abr'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const PACKAGINGS = ['hls', 'dash', 'mp4'] as const;
export type Packaging = (typeof PACKAGINGS)[number];

export const VIDEO_CODECS = ['h264', 'hevc', 'vp9', 'av1'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/** Where an encode runs. `local` is the embedded ffmpeg pool. */
export const BACKENDS = ['local', 'mediaconvert', 'batch-gpu', 'batch-cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Business metadata that arrives with an upload (S3 object metadata or a sidecar manifest). */
export interface BusinessMetadata {
  creatorTier: CreatorTier;
  /** Expected views in the first week. */
  expectedViews: number;
  monetized: boolean;
  premium: boolean;
  /** Publish deadline as epoch ms; when absent the tier's default turnaround applies. */
  deadlineAt?: number;
  /** Requested output formats. */
  formats: OutputFormat[];
  /** 0..1 trending signal from the platform (search/social velocity). */
  trending?: number;
  title?: string;
}

/** What ffprobe says about the source, normalised. */
export interface SourceInfo {
  container: string;
  sizeBytes: number;
  durationSec: number;
  width: number;
  height: number;
  /** Display aspect after rotation is applied. */
  rotation: number;
  fps: number;
  videoCodec: string;
  pixelFormat: string;
  bitDepth: number;
  /** Colour transfer, e.g. bt709, smpte2084 (PQ), arib-std-b67 (HLG). */
  colorTransfer?: string;
  colorPrimaries?: string;
  /** Sample range as ffprobe reports it: `tv` (limited, 16–235) or `pc` (full). */
  colorRange?: string;
  hdr: boolean;
  interlaced: boolean;
  bitrateKbps: number;
  frameCount?: number;
  audio: SourceAudio | null;
}

export interface SourceAudio {
  codec: string;
  channels: number;
  channelLayout?: string;
  sampleRate: number;
}

/** Encoding-difficulty features measured on sampled segments. */
export interface ComplexityFeatures {
  /** ITU-T P.910 spatial information (or the documented equivalent), 0..~250. */
  spatialInfo: number;
  /** ITU-T P.910 temporal information, 0..~250. */
  temporalInfo: number;
  /** Scene cuts per minute. */
  sceneCutsPerMinute: number;
  /** Probe encode (fixed quality): bits per pixel per frame. */
  probeBitsPerPixel: number;
  /** Probe encode throughput in frames per second on the analysing machine. */
  probeFps: number;
  /** Probe encode wall seconds per source second (scaled to the full title). */
  probeSecondsPerSecond: number;
  /** Probe encode CPU (user + system) seconds per source second, when the analyzer measured it. */
  probeCpuSecondsPerSecond?: number;
  /** Share of the title that was sampled (0..1). */
  sampledShare: number;
  /** Mean over sampled frames of the per-frame SI (steadier than the P.910 maximum on short samples). */
  spatialInfoMean?: number;
  /** Mean over consecutive sampled frame pairs (cuts excluded) of the per-pair TI. */
  temporalInfoMean?: number;
  /** Share of exactly flat pixels (Sobel magnitude < 1): high for screen content and animation. */
  flatShare?: number;
  /**
   * Immerkær noise estimate (8-bit units): film grain, sensor noise. Measured on a native-resolution
   * centre crop (≤ 256×256) since the overview analyzer (issue 3 follow-up); earlier profiles measured
   * it at the analysis size.
   */
  noiseSigma?: number;
  /** Mean share of pixels at the most common luma level (a page or desktop background). */
  dominantLevelShare?: number;
  /** Mean chroma saturation (8-bit units, as ffmpeg signalstats SATAVG): cartoons and CGI are high. */
  saturation?: number;
  /** Frames decoded for SI/TI. */
  sampledFrames?: number;
  /** Mean TI on the overview stream (frames scaled to 144 lines whatever the source): one motion scale for every resolution. */
  overviewTemporalInfo?: number;
  /** Share of consecutive overview frame pairs in which nothing changed (TI < 0.1). */
  stillPairShare?: number;
  /** Motion energy density in the centre of the frame over the whole frame's: 1 even, > 1 concentrated (a presenter), 0 no motion. */
  centreMotionConcentration?: number;
  /** Share of the title scanned for scene cuts and motion (0..1). */
  cutScanShare?: number;
}

export const AUDIO_KINDS = ['none', 'silence', 'speech', 'music'] as const;
export type AudioKind = (typeof AUDIO_KINDS)[number];

export interface AudioFeatures {
  kind: AudioKind;
  /** Integrated loudness, LUFS (EBU R128). */
  loudnessLufs?: number;
  channels: number;
  /** Low short-time energy ratio of the sampled audio (0..1): speech ≳ 0.25, music lower. */
  lowEnergyRatio?: number;
}

export const CONTENT_CLASSES = [
  'static',
  'talking-head',
  'screen',
  'animation',
  'general',
  'high-motion',
  'film-grain',
] as const;
export type ContentClass = (typeof CONTENT_CLASSES)[number];

/** Everything the analyzer learned about an upload. */
export interface ContentProfile {
  source: SourceInfo;
  complexity: ComplexityFeatures;
  audio: AudioFeatures;
  contentClass: ContentClass;
  /** 0..1, a single difficulty figure derived from the features (for reports and coarse decisions). */
  difficulty: number;
  analysisWallMs: number;
  /**
   * CPU time of the analysis, ms: the ffmpeg sampling run (its `-benchmark` figure) plus the
   * analysing process's own CPU meanwhile (over-counts when analyses run concurrently); ffprobe excluded.
   * Steadier than the wall time on a loaded machine.
   */
  analysisCpuMs?: number;
}

/** Concrete levers that a tier and score map to. */
export interface PriorityLevers {
  /** MediaConvert job priority, -50..50. */
  mediaConvertPriority: number;
  /** AWS Batch scheduling priority, 0..9999 (higher first). */
  batchPriority: number;
  queue: Tier;
  /** Which rungs to produce: all, the core set, or only the mandatory ones. */
  rungSet: 'full' | 'core' | 'minimal';
  /** QVBR quality level 1..10 (MediaConvert) the recipe aims at. */
  qualityLevel: number;
}

export interface ValueScore {
  /** 0..100. */
  score: number;
  tier: Tier;
  /** Contribution of each signal to the score. */
  components: Record<string, number>;
  levers: PriorityLevers;
  policyVersion: string;
}

/** A change to a job's value over its life, with who or what made it and why. */
export interface ValueAdjustment {
  at: number;
  kind: 'aging' | 'trending' | 'viewership' | 'emergency';
  by: string;
  reason: string;
  fromScore: number;
  toScore: number;
  fromTier: Tier;
  toTier: Tier;
}

/** One output of a ladder. */
export interface Rendition {
  /** Stable within a recipe, e.g. `720p-h264`. */
  id: string;
  format: OutputFormat;
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
  /** Constant-quality target for ffmpeg (CRF/CQ), lower is better. */
  crf: number;
  /** QVBR quality level for MediaConvert, 1..10. */
  qvbrQuality: number;
  maxBitrateKbps: number;
  bufferKbits: number;
  /** Encoder speed preset name in x264 terms (ultrafast..veryslow). */
  preset: string;
  profile: string;
  tune?: string;
  gopSeconds: number;
  closedGop: boolean;
  /** Mandatory rungs are published first when a deadline is at risk. */
  mandatory: boolean;
  /** Predicted average video bitrate (kbit/s) at `crf` (recipe engine's rate model). */
  targetKbps?: number;
  /** Predicted VMAF at the source's display size. */
  predictedVmaf?: number;
  /** QC floor for this rendition: below it the job fails QC. */
  qualityFloor?: { vmaf: number; psnr: number; /** SSIM floor from the title's measured hull (else QC's relative rule). */ ssim?: number };
}

export interface AudioProfile {
  codec: 'aac';
  bitrateKbps: number;
  channels: number;
  sampleRate: number;
  /** Loudness normalisation target (LUFS), when the recipe asks for it. */
  loudnessTarget?: number;
}

/** A faster variant of a recipe that deadline management can switch to. */
export interface RecipeVariant {
  /** 0 is the full-quality recipe; higher levels are faster. */
  level: number;
  name: string;
  description: string;
  /** Expected wall-time factor vs level 0 (2 = twice as fast). */
  expectedSpeedup: number;
  /** Expected mean VMAF points lost vs level 0. */
  qualityCostVmaf: number;
  /** Use MediaConvert accelerated transcoding. */
  accelerated: boolean;
  /** Rungs that are deferred (published later). */
  deferredRenditionIds: string[];
  presetOverride?: string;
  /** Encoder passes (MediaConvert MULTI_PASS_HQ = 2, SINGLE_PASS_HQ/SINGLE_PASS = 1). */
  passes?: number;
}

export interface Recipe {
  id: string;
  ladder: Rendition[];
  audio: AudioProfile | null;
  packaging: Packaging[];
  gopSeconds: number;
  /** Faster variants, level 0 first. */
  variants: RecipeVariant[];
  /** The variant in force. */
  activeVariant: number;
  rationale: string[];
}

export interface RenditionPrediction {
  renditionId: string;
  backend: Backend;
  wallSecP50: number;
  wallSecP90: number;
  cpuSecP50: number;
  /** CPU seconds P90 (learned model; absent from older predictions). */
  cpuSecP90?: number;
  outputBytes: number;
}

export interface Prediction {
  modelVersion: string;
  renditions: RenditionPrediction[];
  /** Whole job on its allocated resources. */
  wallSecP50: number;
  wallSecP90: number;
  cpuSecP50: number;
}

/** Resources allocated from the prediction, with the reasons. */
export interface Allocation {
  backend: Backend;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  accelerated: boolean;
  chunks: number;
  /** Slots of the local pool (or concurrent encodes) the job may use. */
  slots: number;
  reasons: string[];
}

export const JOB_STATUSES = [
  'RECEIVED',
  'ANALYZED',
  'QUEUED',
  'ENCODING',
  'VERIFYING',
  'PUBLISHED',
  'RETRYING',
  'REJECTED',
  'FAILED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['PUBLISHED', 'REJECTED', 'FAILED'];

export interface Transition {
  from: JobStatus | null;
  to: JobStatus;
  at: number;
  reason: string;
}

/** Quality measured on one rendition against the source, at display resolution. */
export interface QualityScores {
  psnr: number;
  ssim: number;
  vmaf?: number;
}

export interface RenditionResult {
  renditionId: string;
  status: 'pending' | 'done' | 'failed';
  outputs: string[];
  bytes?: number;
  wallSec?: number;
  cpuSec?: number;
  backend?: Backend;
  quality?: QualityScores;
  error?: string;
}

/** A source object in the ingest store. */
export interface SourceRef {
  /** Where the adapters find it: a local path or s3://bucket/key. */
  uri: string;
  /** Object version or etag: two uploads of the same key are different jobs, a duplicate event is not. */
  version?: string;
  sizeBytes?: number;
}

export interface Job {
  id: string;
  source: SourceRef;
  metadata: BusinessMetadata;
  status: JobStatus;
  createdAt: number;
  updatedAt: number;
  deadlineAt: number;
  profile?: ContentProfile;
  value?: ValueScore;
  recipe?: Recipe;
  prediction?: Prediction;
  allocation?: Allocation;
  renditions: RenditionResult[];
  /**
   * Streaming entry points of the stored outputs — the HLS master (multivariant) playlist and the
   * DASH MPD — as absolute object URIs (cloud) or local paths (local runtime). Set when the outputs
   * are stored (the encoder's success, the local publish); absent when the recipe packages neither.
   */
  manifests?: { hls?: string; dash?: string };
  attempts: number;
  history: Transition[];
  adjustments: ValueAdjustment[];
  /** Decisions other than state changes (deadline actions, allocation), newest last. */
  decisions: Decision[];
  /** Why a job was rejected or failed. */
  reason?: string;
  /** Optimistic-concurrency version, incremented on every write. */
  version: number;
  /** Cloud flow: where the current encode attempt was submitted and how to answer its workflow. */
  dispatch?: DispatchRecord;
}

/** A submission of a job to a cloud encoder (MediaConvert job or Batch job), with the workflow's task token. */
export interface DispatchRecord {
  backend: Backend;
  /** MediaConvert or Batch job id. */
  externalId?: string;
  /** Step Functions task token the Complete handler answers. */
  taskToken?: string;
  submittedAt: number;
  /** 1-based encode attempt. */
  attempt: number;
  /** Backends already tried for this job, in order (fallback goes to one not in this list). */
  tried: Backend[];
  /** Last encoder progress, 0..1. */
  progress?: number;
  /** When the work first entered its tier queue (a preempted job is re-enqueued with it: it keeps its place). */
  queuedAt?: number;
  /** Times the job was preempted (bounded preemption's per-job limit; names the restarted submission). */
  preemptions?: number;
}

export interface Decision {
  at: number;
  kind: 'allocation' | 'deadline' | 'schedule' | 'backend' | 'qc' | 'pipeline';
  action: string;
  reason: string;
  expectedGainSec?: number;
  qualityCostVmaf?: number;
}
