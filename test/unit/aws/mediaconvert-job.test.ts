import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import { describe, expect, it } from 'vitest';
import { framerateOf, qualityTuning, renderMediaConvertJob, requestToken, segmentSecondsFor, validateCreateJob, type MediaConvertRenderOptions } from '../../../lib/aws/mediaconvert-job';
import type { RenderMediaConvertJob } from '../../../lib/aws/mediaconvert-options';
import { chooseRecipe } from '../../../lib/core/recipes';
import type { Recipe, Tier, ValueScore } from '../../../lib/core/types';
import { leversFor } from '../../../lib/core/value';
import { aJob, aProfile } from '../../helpers/factories';

const value = (tier: Tier, score: number): ValueScore => ({ score, tier, components: {}, levers: leversFor(tier, score), policyVersion: 't' });
const profile = aProfile({}, { width: 1920, height: 1080, fps: 30 });
const job = aJob({ id: 'job-42', profile, source: { uri: 's3://ingest/in/title.mp4' } });
const opts: MediaConvertRenderOptions = {
  role: 'arn:aws:iam::123456789012:role/mc',
  queueArn: 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/premium',
  priority: 20,
  outputPrefix: 's3://out/job-42/',
  clientRequestToken: 'job-42-attempt-1',
  accelerated: false,
  userMetadata: { tier: 'premium' },
};
function recipeOf(tier: Tier = 'premium', over: Partial<Parameters<typeof chooseRecipe>[0]> = {}): Recipe {
  return chooseRecipe({ jobId: job.id, profile, value: value(tier, tier === 'critical' ? 95 : 70), formats: ['abr'], ...over });
}
const videoOutputs = (req: CreateJobCommandInput, group: string) => req.Settings!.OutputGroups!.find((g) => g.Name === group)!.Outputs!.filter((o) => o.VideoDescription);

describe('renderMediaConvertJob', () => {
  it('renders a valid request with explicit queue, priority, token, status interval and the job id in user metadata', () => {
    const recipe = recipeOf();
    const req = renderMediaConvertJob(job, recipe, { ...opts, hop: { queueArn: 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/overflow', waitMinutes: 15, priority: 40 }, statusUpdateInterval: 'SECONDS_30' });
    expect(validateCreateJob(req)).toEqual([]);
    expect(req).toMatchObject({
      Role: opts.role,
      Queue: opts.queueArn,
      Priority: 20,
      ClientRequestToken: 'job-42-attempt-1',
      StatusUpdateInterval: 'SECONDS_30',
      AccelerationSettings: { Mode: 'DISABLED' },
      HopDestinations: [{ Queue: 'arn:aws:mediaconvert:eu-west-1:123456789012:queues/overflow', WaitMinutes: 15, Priority: 40 }],
      UserMetadata: { jobId: 'job-42', recipeId: recipe.id, variant: 'full', tier: 'premium' },
    });
    expect(req.Settings!.Inputs![0]!.FileInput).toBe('s3://ingest/in/title.mp4');
  });

  it('packages HLS+DASH as one CMAF group with audio as its own output, plus MP4 downloads', () => {
    const recipe = recipeOf();
    const req = renderMediaConvertJob(job, recipe, opts);
    const groups = req.Settings!.OutputGroups!;
    expect(groups.map((g) => g.OutputGroupSettings!.Type)).toEqual(['CMAF_GROUP_SETTINGS', 'FILE_GROUP_SETTINGS']);
    const cmaf = groups[0]!;
    expect(cmaf.OutputGroupSettings!.CmafGroupSettings).toMatchObject({ WriteHlsManifest: 'ENABLED', WriteDashManifest: 'ENABLED', SegmentLength: 6, FragmentLength: 2 });
    expect(cmaf.Outputs!.filter((o) => o.AudioDescriptions).map((o) => o.NameModifier)).toEqual(['_audio']);
    expect(videoOutputs(req, 'cmaf')).toHaveLength(recipe.ladder.length);
    const mp4 = videoOutputs(req, 'mp4');
    expect(new Set(mp4.map((o) => o.VideoDescription!.Height)).size).toBe(mp4.length);
    expect(mp4.every((o) => o.AudioDescriptions?.length === 1)).toBe(true);
  });

  it('renders each rung as QVBR with its quality level, peak, HRD buffer and one closed GOP size across the ladder', () => {
    const recipe = recipeOf();
    const req = renderMediaConvertJob(job, recipe, opts);
    const outs = videoOutputs(req, 'cmaf');
    outs.forEach((o, i) => {
      const r = recipe.ladder[i]!;
      const s = o.VideoDescription!.CodecSettings!.H264Settings!;
      expect(o.VideoDescription).toMatchObject({ Width: r.width, Height: r.height });
      expect(s).toMatchObject({ RateControlMode: 'QVBR', QvbrSettings: { QvbrQualityLevel: r.qvbrQuality }, MaxBitrate: r.maxBitrateKbps * 1000, HrdBufferSize: r.bufferKbits * 1000, GopSize: 60, GopSizeUnits: 'FRAMES', GopClosedCadence: 1 });
      expect(s.QualityTuningLevel).toBe('MULTI_PASS_HQ'); // premium: two passes at level 0
    });
  });

  it('switches to single pass, a faster tuning and accelerated transcoding under faster variants, and drops deferred rungs', () => {
    const recipe = recipeOf('standard');
    const last = recipe.variants.length - 1;
    const req = renderMediaConvertJob(job, { ...recipe, activeVariant: last }, opts);
    expect(validateCreateJob(req)).toEqual([]);
    expect(req.AccelerationSettings).toEqual({ Mode: 'PREFERRED' });
    expect(req.UserMetadata!.variant).toBe(recipe.variants[last]!.name);
    const outs = videoOutputs(req, 'cmaf');
    expect(outs.length).toBe(recipe.ladder.length - recipe.variants[last]!.deferredRenditionIds.length);
    expect(outs.every((o) => o.VideoDescription!.CodecSettings!.H264Settings!.QualityTuningLevel === 'SINGLE_PASS')).toBe(true);
  });

  it('renders HEVC, AV1 in CMAF and VP9 to a WebM file group for a critical title that asks for them', () => {
    const recipe = recipeOf('critical', { codecs: ['hevc', 'vp9', 'av1'] });
    const req = renderMediaConvertJob(job, recipe, opts);
    expect(validateCreateJob(req)).toEqual([]);
    const codecs = videoOutputs(req, 'cmaf').map((o) => o.VideoDescription!.CodecSettings!.Codec);
    expect(new Set(codecs)).toEqual(new Set(['H_264', 'H_265', 'AV1']));
    const hevc = videoOutputs(req, 'cmaf').find((o) => o.VideoDescription!.CodecSettings!.Codec === 'H_265')!;
    expect(hevc.VideoDescription!.CodecSettings!.H265Settings).toMatchObject({ RateControlMode: 'QVBR', WriteMp4PackagingType: 'HVC1', CodecProfile: 'MAIN_MAIN' });
    const webm = videoOutputs(req, 'webm');
    expect(webm.length).toBeGreaterThan(0);
    expect(webm[0]!.VideoDescription!.CodecSettings!.Vp9Settings!.RateControlMode).toBe('VBR');
  });

  it('uses an HLS group when DASH is not asked for, and MP4 files only for single formats', () => {
    const recipe = recipeOf();
    const hlsOnly = renderMediaConvertJob(job, { ...recipe, packaging: ['hls'] }, opts);
    expect(hlsOnly.Settings!.OutputGroups!.map((g) => g.OutputGroupSettings!.Type)).toEqual(['HLS_GROUP_SETTINGS']);
    expect(validateCreateJob(hlsOnly)).toEqual([]);
    const single = recipeOf('premium', { formats: ['mobile', 'hd'] });
    const mp4 = renderMediaConvertJob(job, single, opts);
    expect(mp4.Settings!.OutputGroups!.map((g) => g.Name)).toEqual(['mp4']);
    expect(videoOutputs(mp4, 'mp4')).toHaveLength(2);
  });

  it('clamps priority into −50..50 and keeps long request tokens within 64 ASCII characters, stably', () => {
    const long = 'x'.repeat(100);
    const req = renderMediaConvertJob(job, recipeOf(), { ...opts, priority: 99, clientRequestToken: long });
    expect(req.Priority).toBe(50);
    expect(req.ClientRequestToken!.length).toBeLessThanOrEqual(64);
    expect(requestToken(long)).toBe(req.ClientRequestToken);
    expect(requestToken(long)).not.toBe(requestToken('y'.repeat(100)));
    expect(renderMediaConvertJob(job, recipeOf(), { ...opts, priority: -80 }).Priority).toBe(-50);
  });

  it('normalises loudness and deinterlaces when the recipe and source ask for it', () => {
    const recipe = recipeOf();
    const loud = { ...recipe, audio: { ...recipe.audio!, loudnessTarget: -16, channels: 1 } };
    const interlacedJob = aJob({ ...job, profile: aProfile({}, { width: 1920, height: 1080, fps: 30, interlaced: true }) });
    const req = renderMediaConvertJob(interlacedJob, loud, opts);
    const audio = req.Settings!.OutputGroups![0]!.Outputs!.find((o) => o.AudioDescriptions)!.AudioDescriptions![0]!;
    expect(audio.AudioNormalizationSettings).toMatchObject({ TargetLkfs: -16 });
    expect(audio.CodecSettings!.AacSettings!.CodingMode).toBe('CODING_MODE_1_0');
    expect(videoOutputs(req, 'cmaf')[0]!.VideoDescription!.VideoPreprocessors!.Deinterlacer!.Mode).toBe('DEINTERLACE');
  });

  it('specifies the frame rate when a rendition changes it (a 120 fps source capped at 60)', () => {
    const fast = aJob({ ...job, profile: aProfile({}, { width: 1280, height: 720, fps: 120 }) });
    const recipe = chooseRecipe({ jobId: 'j', profile: fast.profile!, value: value('premium', 70), formats: ['abr'] });
    const s = videoOutputs(renderMediaConvertJob(fast, recipe, opts), 'cmaf')[0]!.VideoDescription!.CodecSettings!.H264Settings!;
    expect(s).toMatchObject({ FramerateControl: 'SPECIFIED', FramerateNumerator: 60000, FramerateDenominator: 1000 });
    expect(framerateOf(29.97)).toEqual({ num: 30000, den: 1001 });
  });

  it('has the signature the Dispatch handler expects', () => {
    const renderer: RenderMediaConvertJob = renderMediaConvertJob;
    expect(renderer(job, recipeOf(), opts).Queue).toBe(opts.queueArn);
  });
});

describe('validateCreateJob', () => {
  it('reports out-of-range values, odd dimensions, misaligned GOPs and bad hops precisely', () => {
    const req = renderMediaConvertJob(job, recipeOf(), opts);
    const broken = structuredClone(req);
    broken.Priority = 51;
    broken.HopDestinations = [{ Queue: opts.queueArn, WaitMinutes: 0 }];
    broken.StatusUpdateInterval = 'SECONDS_7' as never;
    const outs = broken.Settings!.OutputGroups![0]!.Outputs!;
    outs[0]!.VideoDescription!.Width = 853;
    outs[1]!.VideoDescription!.CodecSettings!.H264Settings!.GopSize = 48;
    outs[1]!.VideoDescription!.CodecSettings!.H264Settings!.MaxBitrate = 500;
    outs[2]!.VideoDescription!.CodecSettings!.H264Settings!.QvbrSettings!.QvbrQualityLevel = 11;
    outs[2]!.AudioDescriptions = outs.at(-1)!.AudioDescriptions;
    const errors = validateCreateJob(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        'Priority 51 outside -50..50',
        'HopDestinations.WaitMinutes 0 outside 1..1440',
        'HopDestinations.Queue must differ from the job queue',
        'StatusUpdateInterval SECONDS_7 is not an allowed value',
        expect.stringMatching(/Width 853 must be even/),
        expect.stringMatching(/MaxBitrate 500 outside 1000\.\.1152000000/),
        expect.stringMatching(/QvbrQualityLevel 11 outside 1\.\.10/),
        expect.stringMatching(/GOP sizes differ across the ladder/),
        expect.stringMatching(/a CMAF output carries video or audio, not both/),
      ]),
    );
    expect(validateCreateJob({ Role: undefined, Settings: {} } as CreateJobCommandInput)).toEqual(expect.arrayContaining(['Role is required', 'Queue must be explicit', 'no output groups']));
  });

  it('checks that segments are a whole number of GOPs when the frame rate is known', () => {
    const fast = aJob({ ...job, profile: aProfile({}, { width: 1280, height: 720, fps: 120 }) });
    const recipe = chooseRecipe({ jobId: 'j', profile: fast.profile!, value: value('premium', 70), formats: ['abr'] });
    const req = renderMediaConvertJob(fast, recipe, { ...opts, segmentSeconds: 5 });
    expect(validateCreateJob(req).some((e) => /SegmentLength 5s is not a multiple of the GOP/.test(e))).toBe(true);
    expect(segmentSecondsFor(2)).toBe(6);
    expect(segmentSecondsFor(4)).toBe(8);
  });

  it('maps variant passes and presets to quality tuning levels', () => {
    const r = recipeOf().ladder[0]!;
    expect(qualityTuning({ level: 0, name: 'full', description: '', expectedSpeedup: 1, qualityCostVmaf: 0, accelerated: false, deferredRenditionIds: [], passes: 2 }, r)).toBe('MULTI_PASS_HQ');
    expect(qualityTuning(undefined, r)).toBe('SINGLE_PASS_HQ');
    expect(qualityTuning(undefined, { ...r, preset: 'veryfast' })).toBe('SINGLE_PASS');
  });
});
