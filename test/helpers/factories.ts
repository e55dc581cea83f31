/** Test-data factories: sensible defaults, override what the test is about. */
import { newJob } from '../../lib/core/job';
import { planJob } from '../../lib/core/plan';
import type { Backend, BusinessMetadata, ComplexityFeatures, ContentProfile, Job, SourceInfo, Tier } from '../../lib/core/types';

export function aMetadata(over: Partial<BusinessMetadata> = {}): BusinessMetadata {
  return { creatorTier: 'regular', expectedViews: 1_000, monetized: false, premium: false, formats: ['abr'], ...over };
}

export function aJob(over: Partial<Job> = {}, meta: Partial<BusinessMetadata> = {}): Job {
  return { ...newJob({ id: 'job-1', source: { uri: '/in/clip.mp4' }, metadata: aMetadata(meta), now: 0 }), ...over };
}

export function aSource(over: Partial<SourceInfo> = {}): SourceInfo {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 5_000_000,
    durationSec: 10,
    width: 1920,
    height: 1080,
    rotation: 0,
    fps: 30,
    videoCodec: 'h264',
    pixelFormat: 'yuv420p',
    bitDepth: 8,
    hdr: false,
    interlaced: false,
    bitrateKbps: 4000,
    audio: { codec: 'aac', channels: 2, sampleRate: 48000 },
    ...over,
  };
}

export function aComplexity(over: Partial<ComplexityFeatures> = {}): ComplexityFeatures {
  return {
    spatialInfo: 50,
    temporalInfo: 10,
    sceneCutsPerMinute: 2,
    probeBitsPerPixel: 0.08,
    probeFps: 120,
    probeSecondsPerSecond: 0.25,
    sampledShare: 0.2,
    ...over,
  };
}

export function aProfile(over: Partial<ContentProfile> = {}, source: Partial<SourceInfo> = {}): ContentProfile {
  return {
    source: aSource(source),
    complexity: aComplexity(),
    audio: { kind: 'speech', loudnessLufs: -18, channels: 2 },
    contentClass: 'general',
    difficulty: 0.4,
    analysisWallMs: 500,
    ...over,
  };
}

/** Business metadata that scores into each tier under the default value policy. */
export const TIER_METADATA: Record<Tier, Partial<BusinessMetadata>> = {
  critical: { creatorTier: 'star', expectedViews: 10_000_000, monetized: true, premium: true },
  premium: { creatorTier: 'star', expectedViews: 100_000, monetized: true },
  standard: { creatorTier: 'partner', expectedViews: 1_000 },
  bulk: { creatorTier: 'new', expectedViews: 10 },
};

/** A job of `tier`, received at `now` and planned (ANALYZED) for `backend` on a title of `durationSec`. */
export function aPlannedJob(id: string, tier: Tier, opts: { now?: number; durationSec?: number; backend?: Backend } = {}): Job {
  const now = opts.now ?? 0;
  const job = aJob({ id, createdAt: now, updatedAt: now }, TIER_METADATA[tier]);
  return planJob(job, aProfile({}, { durationSec: opts.durationSec ?? 60 }), { now, backend: opts.backend ?? 'batch-cpu' });
}
