/** Analyze step: probe, score, choose the recipe, predict, allocate, write the job, answer with the Enqueue order. */
import { difficultyOf } from '../../core/analysis';
import { RejectedInputError } from '../../core/errors';
import { newJob, transition } from '../../core/job';
import { planJob } from '../../core/plan';
import type { BusinessMetadata, ContentProfile, Job, SourceInfo, Tier } from '../../core/types';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from '../../core/value';
import type { Clock, EventPublisher, JobStore, Prober } from '../../ports';
import { TransientError } from '../errors';
import { s3Uri, type S3ObjectStore } from '../object-store';
import { businessMetadataFromS3 } from '../s3-metadata';
import { emit, orderFor, type CloudBackend, type EnqueueOrder } from './common';

export interface AnalyzeDeps {
  store: JobStore;
  objects: S3ObjectStore;
  prober: Prober;
  events: EventPublisher;
  clock: Clock;
  tierQueues: Record<Tier, string>;
  defaultBackend: CloudBackend;
  valuePolicy?: ValuePolicy;
}

export interface UploadRef {
  jobId: string;
  bucket: string;
  key: string;
  version?: string;
  size?: number;
}

/** A coarse content profile from probe facts alone (the Lambda does not decode): bits per pixel stands in for complexity. */
export function profileFromProbe(source: SourceInfo, analysisWallMs: number): ContentProfile {
  const bpp = source.bitrateKbps > 0 && source.width > 0 && source.fps > 0 ? (source.bitrateKbps * 1000) / (source.width * source.height * source.fps) : 0.1;
  const complexity = {
    spatialInfo: Math.min(250, 30 + bpp * 200),
    temporalInfo: Math.min(250, 5 + bpp * 60),
    sceneCutsPerMinute: 2,
    probeBitsPerPixel: Math.min(1, bpp),
    probeFps: 0,
    probeSecondsPerSecond: 0.25 * ((source.width * source.height) / (1920 * 1080)),
    sampledShare: 0,
  };
  return {
    source,
    complexity,
    audio: { kind: source.audio ? 'speech' : 'none', channels: source.audio?.channels ?? 0 },
    contentClass: 'general',
    difficulty: difficultyOf(complexity),
    analysisWallMs,
  };
}

/**
 * Analyze an uploaded object version into a queued (or rejected) job. Idempotent: a retried or
 * duplicated call finds the job and answers with the same order.
 */
export async function analyzeUpload(deps: AnalyzeDeps, ref: UploadRef): Promise<EnqueueOrder> {
  const now = deps.clock.now();
  const existing = await deps.store.get(ref.jobId);
  if (existing && existing.status !== 'RECEIVED') return orderFor(existing, deps, now);
  const uri = s3Uri(ref.bucket, ref.key);
  const head = await deps.objects.head(uri, ref.version);
  const manifestText = await deps.objects.readText(`${uri}.marquee.json`);
  let manifest: unknown;
  try {
    manifest = manifestText === undefined ? undefined : JSON.parse(manifestText);
  } catch {
    manifest = { invalid: 'sidecar manifest is not JSON' };
  }
  const meta = businessMetadataFromS3(head.metadata, manifest);
  const metadata: BusinessMetadata = meta.ok ? meta.metadata : { creatorTier: 'new', expectedViews: 0, monetized: false, premium: false, formats: ['abr'] };
  const received = existing ?? newJob({ id: ref.jobId, source: { uri, version: ref.version, sizeBytes: ref.size ?? head.sizeBytes }, metadata, now });
  const reject = async (reason: string): Promise<EnqueueOrder> => {
    const job = transition(received, 'REJECTED', now, reason);
    const stored = await persist(deps.store, job, existing);
    await emit(deps.events, 'JobRejected', stored, now, { reason });
    return orderFor(stored, deps, now);
  };
  if (!meta.ok) return reject(meta.reason);
  let source: SourceInfo;
  const started = deps.clock.now();
  const url = await deps.objects.presignGet(uri, 900, ref.version);
  // Never let a presigned URL (it carries a signature) into a reason, a log or an event.
  const scrub = (msg: string) => msg.split(url).join(uri).replace(/https?:\/\/\S*X-Amz-\S*/g, uri);
  try {
    source = await deps.prober.probe(url, { timeoutMs: 60_000 });
  } catch (e) {
    if (e instanceof RejectedInputError || (e as Error).name === 'RejectedInputError') return reject(scrub((e as Error).message));
    throw new TransientError(`probe failed: ${scrub((e as Error).message)}`);
  }
  const policy = deps.valuePolicy ?? DEFAULT_VALUE_POLICY;
  const planned = planJob(received, profileFromProbe(source, deps.clock.now() - started), { now, backend: deps.defaultBackend, valuePolicy: policy });
  if (planned.status === 'REJECTED') {
    const stored = await persist(deps.store, planned, existing);
    await emit(deps.events, 'JobRejected', stored, now, { reason: stored.reason });
    return orderFor(stored, deps, now);
  }
  const queued = transition(planned, 'QUEUED', now, `sent to the ${planned.value?.tier} queue`);
  const stored = await persist(deps.store, queued, existing);
  await emit(deps.events, 'JobQueued', stored, now, { deadlineAt: stored.deadlineAt, predictedWallSecP50: stored.prediction?.wallSecP50, backend: stored.allocation?.backend });
  return orderFor(stored, deps, now);
}

async function persist(store: JobStore, job: Job, existing: Job | undefined): Promise<Job> {
  if (existing) return store.put(job);
  if (await store.create(job)) return job;
  // Lost a race with a duplicate invocation: the other one's record stands.
  const winner = await store.get(job.id);
  if (!winner) throw new TransientError(`job ${job.id} vanished after a conflicting create`);
  return winner;
}
