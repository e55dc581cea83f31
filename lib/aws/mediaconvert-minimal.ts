import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import { activeLadder } from '../core/recipes';
import type { Job, Recipe } from '../core/types';

/** Submission options shared by every MediaConvert job renderer. */
export interface MediaConvertJobOptions {
  role: string;
  queueArn: string;
  /** −50..50 */
  priority: number;
  /** s3://bucket/prefix/ for the outputs. */
  outputPrefix: string;
  /** Idempotency token: the same job attempt never creates two MediaConvert jobs. */
  clientRequestToken: string;
  accelerated: boolean;
  userMetadata: Record<string, string>;
}

/** Signature of the recipe → CreateJob renderer (lib/aws/mediaconvert-job.ts, by the recipes engineer). */
export type RenderMediaConvertJob = (job: Job, recipe: Recipe, opts: MediaConvertJobOptions) => CreateJobCommandInput;

/**
 * Stand-in renderer with the same signature as `renderMediaConvertJob`, used until the recipes
 * engineer's lib/aws/mediaconvert-job.ts lands: H.264 QVBR per rung of the active ladder into one
 * HLS group and one MP4 file group, AAC audio when the recipe has audio.
 */
export const minimalMediaConvertJob: RenderMediaConvertJob = (job, recipe, opts) => {
  const ladder = activeLadder(recipe);
  const video = (r: (typeof ladder)[number]) => ({
    Width: r.width,
    Height: r.height,
    CodecSettings: {
      Codec: 'H_264' as const,
      H264Settings: {
        RateControlMode: 'QVBR' as const,
        QvbrSettings: { QvbrQualityLevel: r.qvbrQuality },
        MaxBitrate: r.maxBitrateKbps * 1000,
        GopSize: r.gopSeconds,
        GopSizeUnits: 'SECONDS' as const,
        SceneChangeDetect: 'TRANSITION_DETECTION' as const,
        QualityTuningLevel: r.preset === 'veryfast' || r.preset === 'ultrafast' || r.preset === 'superfast' ? ('SINGLE_PASS' as const) : ('SINGLE_PASS_HQ' as const),
      },
    },
  });
  const audio = recipe.audio
    ? [{ AudioSourceName: 'Audio Selector 1', CodecSettings: { Codec: 'AAC' as const, AacSettings: { Bitrate: recipe.audio.bitrateKbps * 1000, CodingMode: 'CODING_MODE_2_0' as const, SampleRate: recipe.audio.sampleRate } } }]
    : undefined;
  const groups: NonNullable<NonNullable<CreateJobCommandInput['Settings']>['OutputGroups']> = [];
  if (recipe.packaging.includes('hls')) {
    groups.push({
      Name: 'hls',
      OutputGroupSettings: { Type: 'HLS_GROUP_SETTINGS', HlsGroupSettings: { Destination: `${opts.outputPrefix}hls/`, SegmentLength: 6, MinSegmentLength: 0 } },
      Outputs: ladder.map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: { Container: 'M3U8' as const }, VideoDescription: video(r), AudioDescriptions: audio })),
    });
  }
  if (recipe.packaging.includes('mp4') || groups.length === 0) {
    groups.push({
      Name: 'mp4',
      OutputGroupSettings: { Type: 'FILE_GROUP_SETTINGS', FileGroupSettings: { Destination: `${opts.outputPrefix}mp4/` } },
      Outputs: ladder.map((r) => ({ NameModifier: `_${r.id}`, ContainerSettings: { Container: 'MP4' as const }, VideoDescription: video(r), AudioDescriptions: audio })),
    });
  }
  return {
    Role: opts.role,
    Queue: opts.queueArn,
    Priority: Math.max(-50, Math.min(50, Math.round(opts.priority))),
    ClientRequestToken: opts.clientRequestToken,
    UserMetadata: opts.userMetadata,
    StatusUpdateInterval: 'SECONDS_60',
    AccelerationSettings: { Mode: opts.accelerated ? 'PREFERRED' : 'DISABLED' },
    Settings: {
      Inputs: [{ FileInput: job.source.uri, AudioSelectors: recipe.audio ? { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } } : undefined, VideoSelector: {} }],
      OutputGroups: groups,
    },
  };
};
