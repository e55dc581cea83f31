/**
 * The cloud flow: what each Lambda does, over ports, so a handler stays a thin adapter. Every state
 * change goes through lib/core (`transition`, `planJob`, `escalate`, the scheduler, deadline
 * management) and is written with a conditional put.
 */
import { difficultyOf } from '../core/analysis';
import { planDeadlineActions, type RunningView } from '../core/deadlines';
import { ConflictError, QcFailedError, RejectedInputError } from '../core/errors';
import { newJob, recordDecision, transition } from '../core/job';
import { planJob } from '../core/plan';
import { marqueePolicy, queueEntryFor, rankQueue, schedule, type BackendPool, type QueueEntry } from '../core/scheduling';
import type { Backend, BusinessMetadata, ContentProfile, Job, SourceInfo, Tier } from '../core/types';
import { DEFAULT_VALUE_POLICY, escalate as escalateValue, type ValuePolicy } from '../core/value';
import type { Clock, EventPublisher, JobStore, MarqueeEvent, Prober, QueuedWork } from '../ports';
import type { CloudEncoder } from './encoders';
import { NoFallbackError, TransientError } from './errors';
import { s3Uri, type S3ObjectStore } from './object-store';
import { businessMetadataFromS3 } from './s3-metadata';
import type { TaskTokens } from './task-tokens';
import { outcomeOfExitCode } from './worker-exit';
import type { SqsWorkQueue } from './work-queue';

/** Metrics sink (Powertools EMF in the handlers). */
export interface FlowMetrics {
  add(name: string, unit: 'Count' | 'Seconds' | 'None', value: number, dimensions?: Record<string, string>): void;
}
export const noMetrics: FlowMetrics = { add: () => undefined };

export type CloudBackend = Extract<Backend, 'mediaconvert' | 'batch-gpu'>;
export const CLOUD_BACKENDS: readonly CloudBackend[] = ['mediaconvert', 'batch-gpu'];

/** What Analyze (and Fallback) hand to the state machine's Enqueue state. */
export interface EnqueueOrder {
  status: 'QUEUED' | 'REJECTED';
  jobId: string;
  tier: Tier;
  queueUrl: string;
  heartbeatSec: number;
  timeoutSec: number;
  backend: Backend;
  reason: string;
}

/** Below the state machine timeout (7 days). */
const MAX_TIMEOUT_SEC = 6 * 24 * 3600;

/** Task timeout: the time to the deadline plus room for a late finish; heartbeat: at most 6 h of silence. */
export function waitLimits(job: Job, now: number): { heartbeatSec: number; timeoutSec: number } {
  const toDeadline = Math.max(0, Math.ceil((job.deadlineAt - now) / 1000));
  const p90 = Math.ceil(job.prediction?.wallSecP90 ?? 600);
  const timeoutSec = Math.min(MAX_TIMEOUT_SEC, Math.max(900, toDeadline + 4 * p90 + 3600));
  return { heartbeatSec: Math.min(timeoutSec, 6 * 3600), timeoutSec };
}

async function emit(events: EventPublisher, type: MarqueeEvent['type'], job: Job, at: number, detail: Record<string, unknown> = {}): Promise<void> {
  await events.publish({ type, jobId: job.id, at, detail: { status: job.status, tier: job.value?.tier, source: job.source.uri, ...detail } });
}

/** Read-modify-write with one retry on a lost optimistic-concurrency race. */
async function update(store: JobStore, id: string, change: (job: Job) => Job): Promise<Job> {
  for (let i = 0; ; i++) {
    const job = await store.get(id);
    if (!job) throw new RejectedInputError(`job ${id} not found`);
    try {
      return await store.put(change(job));
    } catch (e) {
      if (e instanceof ConflictError && i < 2) continue;
      if (e instanceof ConflictError) throw new TransientError(e.message, { cause: e });
      throw e;
    }
  }
}

// ---------------------------------------------------------------- analyze

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

function orderFor(job: Job, deps: Pick<AnalyzeDeps, 'tierQueues'>, now: number): EnqueueOrder {
  const tier = job.value?.tier ?? 'bulk';
  const rejected = job.status === 'REJECTED' || job.status === 'FAILED';
  return {
    status: rejected ? 'REJECTED' : 'QUEUED',
    jobId: job.id,
    tier,
    queueUrl: deps.tierQueues[tier],
    backend: job.allocation?.backend ?? 'mediaconvert',
    reason: job.reason ?? '',
    ...waitLimits(job, now),
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

// ---------------------------------------------------------------- dispatch

export interface DispatchDeps {
  store: JobStore;
  queue: SqsWorkQueue;
  encoders: Record<CloudBackend, CloudEncoder>;
  tokens: TaskTokens;
  clock: Clock;
  capacity: Record<CloudBackend, number>;
  outputBucket: string;
  metrics?: FlowMetrics;
}

export interface DispatchSummary {
  received: number;
  submitted: { jobId: string; backend: CloudBackend; externalId: string; tier: Tier }[];
  waiting: number;
  dropped: number;
  inFlight: Record<CloudBackend, number>;
}

/** Pools of cloud encoder slots as the scheduler sees them (a backend configured with no slots is no pool). */
export function cloudPools(capacity: Record<CloudBackend, number>, inFlight: Record<CloudBackend, number>): BackendPool[] {
  const pools: BackendPool[] = [
    { id: 'mediaconvert', backend: 'mediaconvert', slots: capacity.mediaconvert, free: Math.max(0, capacity.mediaconvert - inFlight.mediaconvert), speed: 1.5, acceleratedSpeed: 4, pricing: { kind: 'mediaconvert', tier: 'professional' } },
    { id: 'batch-gpu', backend: 'batch-gpu', slots: capacity['batch-gpu'], free: Math.max(0, capacity['batch-gpu'] - inFlight['batch-gpu']), speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
  ];
  return pools.filter((p) => p.slots > 0);
}

const isCloud = (b: Backend | undefined): b is CloudBackend => b === 'mediaconvert' || b === 'batch-gpu';

/** The backend a job must use: after a failure or a fallback it is pinned; a first attempt lets the scheduler choose. */
function pinnedBackend(job: Job): CloudBackend | undefined {
  if (!job.dispatch) return undefined;
  return isCloud(job.allocation?.backend) ? job.allocation.backend : undefined;
}

export const outputPrefixFor = (bucket: string, job: Job, attempt: number): string => `s3://${bucket}/${job.id}/a${attempt}/`;

/**
 * Drain the tier queues within capacity: receive work, rank it with the Marquee scheduling policy
 * (tier, aging, deadline urgency, emergency bumps), submit what fits to MediaConvert or Batch, record
 * the submission with its task token, and put back (with a heartbeat) what has to wait.
 */
export async function dispatchWork(deps: DispatchDeps): Promise<DispatchSummary> {
  const now = deps.clock.now();
  const encoding = await deps.store.listByStatus(['ENCODING']);
  const inFlight: Record<CloudBackend, number> = { mediaconvert: 0, 'batch-gpu': 0 };
  for (const j of encoding) if (isCloud(j.dispatch?.backend)) inFlight[j.dispatch.backend] += 1;
  const summary: DispatchSummary = { received: 0, submitted: [], waiting: 0, dropped: 0, inFlight };

  const work: QueuedWork[] = [];
  for (const tier of ['critical', 'premium', 'standard', 'bulk'] as const) work.push(...(await deps.queue.receive(tier, 10)));
  summary.received = work.length;
  const entries: { entry: QueueEntry; work: QueuedWork }[] = [];
  for (const w of work) {
    const job = await deps.store.get(w.jobId);
    const live = job && (job.status === 'QUEUED' || job.status === 'RETRYING');
    const duplicate = job?.status === 'ENCODING' && job.dispatch?.taskToken === w.taskToken;
    if (!live || duplicate) {
      await deps.queue.ack(w);
      summary.dropped += 1;
      continue;
    }
    const pin = pinnedBackend(job);
    entries.push({ entry: queueEntryFor(job, w.enqueuedAt, pin ? { pinnedPool: pin } : {}), work: w });
  }
  const policy = marqueePolicy();
  const ranked = rankQueue(entries.map((e) => e.entry), policy);
  const { dispatched } = schedule(ranked, cloudPools(deps.capacity, inFlight), now, policy);
  const chosen = new Set<QueueEntry>();
  for (const d of dispatched) {
    const item = entries.find((e) => e.entry === d.entry)!;
    const backend = d.pool.backend as CloudBackend;
    const job = d.entry.job;
    const attempt = job.attempts + 1;
    const variant = job.recipe?.variants[job.recipe.activeVariant];
    try {
      const externalId = await deps.encoders[backend].submit({ job, tier: job.value?.tier ?? item.work.tier, attempt, outputPrefix: outputPrefixFor(deps.outputBucket, job, attempt), accelerated: backend === 'mediaconvert' && (variant?.accelerated ?? false) });
      await update(deps.store, job.id, (cur) => {
        const tried = cur.dispatch?.tried ?? [];
        const next = transition(cur, 'ENCODING', now, `submitted to ${backend} (${d.reason})`, {
          allocation: cur.allocation ? { ...cur.allocation, backend } : cur.allocation,
          dispatch: { backend, externalId, taskToken: item.work.taskToken, submittedAt: now, attempt, tried: tried.includes(backend) ? tried : [...tried, backend], progress: 0 },
        });
        return recordDecision(next, { at: now, kind: 'schedule', action: `dispatch to ${backend}`, reason: `${d.reason}; est. $${d.estCostUsd.toFixed(3)}` });
      });
      await deps.queue.ack(item.work);
      inFlight[backend] += 1;
      chosen.add(d.entry);
      summary.submitted.push({ jobId: job.id, backend, externalId, tier: job.value?.tier ?? item.work.tier });
    } catch (e) {
      // Leave it for the next tick (the message becomes visible again); the encoder call is idempotent.
      await deps.queue.release(item.work, 30);
      deps.metrics?.add('SubmitFailed', 'Count', 1, { backend });
      if (!(e instanceof Error)) throw e;
    }
  }
  for (const { entry, work: w } of entries) {
    if (chosen.has(entry)) continue;
    summary.waiting += 1;
    if (w.taskToken) await deps.tokens.heartbeat(w.taskToken);
    await deps.queue.release(w, 0);
  }
  for (const b of CLOUD_BACKENDS) deps.metrics?.add('InFlight', 'Count', inFlight[b], { backend: b });
  return summary;
}

// ---------------------------------------------------------------- complete

/** An encoder state change, normalised from a MediaConvert or Batch event. */
export interface EncoderStateChange {
  backend: CloudBackend;
  externalId: string;
  jobId: string;
  state: 'progress' | 'succeeded' | 'failed';
  at: number;
  progress?: number;
  /** Output URIs (MediaConvert lists them; the Batch worker writes a manifest). */
  outputs?: string[];
  exitCode?: number;
  error?: string;
}

export interface CompleteDeps {
  store: JobStore;
  outputBucket: string;
  objects: S3ObjectStore;
  tokens: TaskTokens;
  clock: Clock;
  metrics?: FlowMetrics;
}

/** Outcome of handling one encoder event. */
export type CompleteOutcome = 'ignored' | 'progress' | 'succeeded' | 'retry' | 'rejected';

/** Output manifest the Batch worker writes at `<outputPrefix>manifest.json`. */
export interface WorkerManifest {
  jobId: string;
  attempt: number;
  renditions: { renditionId: string; outputs: string[]; bytes: number; wallSec: number; cpuSec?: number }[];
  gpu: boolean;
}

/**
 * Record an encoder state change and answer the workflow: success moves the job to VERIFYING with
 * the actual times (prediction feedback) and sends SendTaskSuccess; a failure moves it to RETRYING
 * and sends SendTaskFailure(EncodeFailed) — or EncodeRejected when the input is at fault.
 */
export async function completeEncode(deps: CompleteDeps, change: EncoderStateChange): Promise<CompleteOutcome> {
  const job = await deps.store.get(change.jobId);
  if (!job || job.status !== 'ENCODING' || job.dispatch?.externalId !== change.externalId) return 'ignored';
  const token = job.dispatch.taskToken;
  if (change.state === 'progress') {
    await update(deps.store, job.id, (cur) => (cur.dispatch ? { ...cur, dispatch: { ...cur.dispatch, progress: change.progress ?? cur.dispatch.progress } } : cur));
    if (token) await deps.tokens.heartbeat(token);
    return 'progress';
  }
  const wallSec = Math.max(0, (change.at - job.dispatch.submittedAt) / 1000);
  if (change.state === 'succeeded') {
    const outputs = change.outputs ?? [];
    let manifest: WorkerManifest | undefined;
    if (change.backend === 'batch-gpu') {
      const text = await deps.objects.readText(`${outputPrefixFor(deps.outputBucket, job, job.dispatch.attempt)}manifest.json`);
      manifest = text ? (JSON.parse(text) as WorkerManifest) : undefined;
    }
    const stored = await update(deps.store, job.id, (cur) => {
      const renditions = cur.renditions.map((r) => {
        const m = manifest?.renditions.find((x) => x.renditionId === r.renditionId);
        // MediaConvert names outputs <source>_<NameModifier>.<ext>; the name modifier is `_<renditionId>`.
        const suffix = new RegExp(`(_|/)${r.renditionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.[A-Za-z0-9]+|/index\\.m3u8)$`);
        const mine = m?.outputs ?? outputs.filter((o) => suffix.test(o));
        return { ...r, status: mine.length > 0 ? ('done' as const) : r.status, outputs: mine, backend: change.backend, wallSec: m?.wallSec ?? wallSec, ...(m ? { bytes: m.bytes } : {}) };
      });
      return transition(cur, 'VERIFYING', change.at, `${change.backend} finished in ${wallSec.toFixed(0)} s`, { renditions });
    });
    const predicted = stored.prediction?.wallSecP50;
    if (predicted && predicted > 0) deps.metrics?.add('PredictionRatio', 'None', wallSec / predicted);
    deps.metrics?.add('EncodeSeconds', 'Seconds', wallSec, { backend: change.backend });
    if (token) await deps.tokens.succeed(token, { backend: change.backend, externalId: change.externalId, wallSec, outputs: stored.renditions.flatMap((r) => r.outputs).length });
    return 'succeeded';
  }
  const outcome = change.backend === 'batch-gpu' ? outcomeOfExitCode(change.exitCode) : /input|decode|unsupported|corrupt/i.test(change.error ?? '') ? 'badInput' : 'failed';
  const reason = `${change.backend} ${change.externalId}: ${(change.error ?? 'failed').slice(0, 500)}`;
  if (outcome === 'badInput') {
    if (token) await deps.tokens.fail(token, 'EncodeRejected', reason);
    return 'rejected';
  }
  await update(deps.store, job.id, (cur) => transition(cur, 'RETRYING', change.at, reason));
  deps.metrics?.add('EncodeFailed', 'Count', 1, { backend: change.backend });
  if (token) await deps.tokens.fail(token, 'EncodeFailed', reason);
  return 'retry';
}

// ---------------------------------------------------------------- workflow steps

export interface WorkflowDeps {
  store: JobStore;
  objects: S3ObjectStore;
  events: EventPublisher;
  clock: Clock;
  tierQueues: Record<Tier, string>;
  metrics?: FlowMetrics;
}

/** QC of the outputs: every rendition of the active ladder has outputs, and they exist. */
export async function verifyOutputs(deps: WorkflowDeps, jobId: string): Promise<{ renditions: number; outputs: number }> {
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  if (job.status === 'PUBLISHED') return { renditions: job.renditions.length, outputs: job.renditions.flatMap((r) => r.outputs).length };
  const missing = job.renditions.filter((r) => r.outputs.length === 0).map((r) => r.renditionId);
  const outputs = job.renditions.flatMap((r) => r.outputs);
  const absent: string[] = [];
  for (const o of outputs.slice(0, 50)) if (o.startsWith('s3://') && !(await deps.objects.exists(o))) absent.push(o);
  const now = deps.clock.now();
  if (missing.length > 0 || absent.length > 0) {
    throw new QcFailedError(`job ${jobId}: ${missing.length ? `no output for ${missing.join(', ')}` : ''}${absent.length ? ` missing objects ${absent.slice(0, 3).join(', ')}` : ''}`.trim());
  }
  await update(deps.store, jobId, (cur) => recordDecision(cur, { at: now, kind: 'qc', action: 'outputs verified', reason: `${outputs.length} objects for ${job.renditions.length} renditions` }));
  return { renditions: job.renditions.length, outputs: outputs.length };
}

export async function publishJob(deps: WorkflowDeps, jobId: string): Promise<{ late: boolean; turnaroundSec: number }> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  const published = job.status === 'PUBLISHED' ? job : await update(deps.store, jobId, (cur) => transition(cur, 'PUBLISHED', now, 'outputs verified'));
  const late = published.updatedAt > published.deadlineAt;
  const turnaroundSec = (published.updatedAt - published.createdAt) / 1000;
  if (job.status !== 'PUBLISHED') {
    await emit(deps.events, 'JobPublished', published, now, {
      renditions: published.renditions.map((r) => ({ id: r.renditionId, outputs: r.outputs })),
      deadlineAt: published.deadlineAt,
      late,
      turnaroundSec,
    });
    deps.metrics?.add('TurnaroundSec', 'Seconds', turnaroundSec, { tier: published.value?.tier ?? 'bulk' });
    if (late) deps.metrics?.add('DeadlineMissed', 'Count', 1);
  }
  return { late, turnaroundSec };
}

/** After an encoder failed (retried once already): send the job to the backend it has not tried. */
export async function fallBack(deps: WorkflowDeps, jobId: string, error: { Error?: string; Cause?: string }): Promise<EnqueueOrder> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) throw new RejectedInputError(`job ${jobId} not found`);
  const tried = job.dispatch?.tried ?? [];
  const other = CLOUD_BACKENDS.find((b) => !tried.includes(b));
  if (!other) throw new NoFallbackError(`job ${jobId}: ${tried.join(' and ')} both failed (${error.Error ?? 'error'}: ${(error.Cause ?? '').slice(0, 300)})`);
  const stored = await update(deps.store, jobId, (cur) => {
    const retrying = cur.status === 'ENCODING' ? transition(cur, 'RETRYING', now, `${error.Error ?? 'encoder failure'} on ${cur.dispatch?.backend}`) : cur;
    const requeued = transition(retrying, 'QUEUED', now, `falling back to ${other}`, { allocation: cur.allocation ? { ...cur.allocation, backend: other } : cur.allocation });
    return recordDecision(requeued, { at: now, kind: 'backend', action: `fall back to ${other}`, reason: `${tried.join(', ')} failed: ${(error.Cause ?? error.Error ?? '').slice(0, 200)}` });
  });
  return orderFor(stored, deps, now);
}

/** Record the cause of a failed workflow on the job (FAILED) and publish JobFailed. */
export async function recordFailure(deps: WorkflowDeps, jobId: string, error: { Error?: string; Cause?: string }): Promise<{ status: string }> {
  const now = deps.clock.now();
  const job = await deps.store.get(jobId);
  if (!job) return { status: 'UNKNOWN' };
  if (job.status === 'FAILED' || job.status === 'PUBLISHED' || job.status === 'REJECTED') return { status: job.status };
  const cause = `${error.Error ?? 'Error'}: ${(error.Cause ?? '').slice(0, 800)}`;
  const failed = await update(deps.store, jobId, (cur) => transition(cur, 'FAILED', now, cause));
  await emit(deps.events, 'JobFailed', failed, now, { reason: cause });
  return { status: failed.status };
}

// ---------------------------------------------------------------- deadline watch

export interface DeadlineWatchDeps {
  store: JobStore;
  events: EventPublisher;
  clock: Clock;
  capacity: Record<CloudBackend, number>;
  metrics?: FlowMetrics;
}

/**
 * Find queued and running jobs whose P90 finish passes their deadline and apply deadline management
 * (raise priority, pin a faster backend, switch to a faster recipe variant), recording each action.
 * A running job's new variant applies to its next attempt (MediaConvert jobs are not edited in flight).
 */
export async function watchDeadlines(deps: DeadlineWatchDeps): Promise<{ atRisk: number; actions: { jobId: string; steps: string[] }[] }> {
  const now = deps.clock.now();
  const queuedJobs = await deps.store.listByStatus(['QUEUED', 'RETRYING']);
  const runningJobs = await deps.store.listByStatus(['ENCODING']);
  const inFlight: Record<CloudBackend, number> = { mediaconvert: 0, 'batch-gpu': 0 };
  for (const j of runningJobs) if (isCloud(j.dispatch?.backend)) inFlight[j.dispatch.backend] += 1;
  const pools = cloudPools(deps.capacity, inFlight);
  const queued = queuedJobs.map((j) => queueEntryFor(j, j.history.findLast((h) => h.to === 'QUEUED')?.at ?? j.createdAt, pinnedBackend(j) ? { pinnedPool: pinnedBackend(j)! } : {}));
  const running: RunningView[] = runningJobs
    .filter((j) => j.dispatch)
    .map((j) => {
      const pool = pools.find((p) => p.id === j.dispatch!.backend) ?? pools[0]!;
      const workP90 = j.prediction?.wallSecP90 ?? 0;
      const progress = j.dispatch!.progress ?? 0;
      return { job: j, poolId: pool.id, startedAt: j.dispatch!.submittedAt, progress, workP90, expectedEndP90: j.dispatch!.submittedAt + (workP90 / pool.speed) * 1000 };
    });
  const plans = planDeadlineActions({ queued, running, pools, now, policy: marqueePolicy() });
  const actions: { jobId: string; steps: string[] }[] = [];
  for (const plan of plans) {
    try {
      const stored = await update(deps.store, plan.jobId, (cur) => ({
        ...cur,
        recipe: plan.job.recipe ?? cur.recipe,
        decisions: plan.job.decisions,
        allocation: plan.pinnedPool && cur.allocation && isCloud(plan.pinnedPool as Backend) ? { ...cur.allocation, backend: plan.pinnedPool as CloudBackend } : cur.allocation,
      }));
      actions.push({ jobId: plan.jobId, steps: plan.steps });
      await emit(deps.events, 'DeadlineAction', stored, now, { steps: plan.steps, expectedGainSec: plan.expectedGainSec, qualityCostVmaf: plan.qualityCostVmaf, meetsDeadline: plan.meetsDeadline, variantLevel: plan.variantLevel });
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
    }
  }
  deps.metrics?.add('DeadlineAtRisk', 'Count', plans.length);
  return { atRisk: plans.length, actions };
}

// ---------------------------------------------------------------- priority API

export interface EscalationRequest {
  tier?: Tier;
  deadlineAt?: number;
  reason: string;
  by: string;
}

/** Emergency bump through the value policy's `escalate`; the dispatcher ranks by the job's new tier at once. */
export async function escalateJob(deps: { store: JobStore; events: EventPublisher; clock: Clock }, jobId: string, req: EscalationRequest): Promise<Job | undefined> {
  const now = deps.clock.now();
  if (!(await deps.store.get(jobId))) return undefined;
  const stored = await update(deps.store, jobId, (cur) => escalateValue(cur, { tier: req.tier, deadlineAt: req.deadlineAt, reason: req.reason, by: req.by }, now));
  await emit(deps.events, 'JobEscalated', stored, now, { by: req.by, reason: req.reason, deadlineAt: stored.deadlineAt });
  return stored;
}

/** What GET /jobs/{id} returns: status, value, deadline, renditions, the last decisions. */
export function jobView(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    tier: job.value?.tier,
    score: job.value?.score,
    deadlineAt: new Date(Math.min(job.deadlineAt, 8.64e15)).toISOString(),
    reason: job.reason,
    backend: job.dispatch?.backend ?? job.allocation?.backend,
    progress: job.dispatch?.progress,
    attempts: job.attempts,
    renditions: job.renditions.map((r) => ({ id: r.renditionId, status: r.status, outputs: r.outputs })),
    adjustments: job.adjustments.slice(-5),
    decisions: job.decisions.slice(-10),
    history: job.history.map((h) => ({ to: h.to, at: new Date(h.at).toISOString(), reason: h.reason })),
  };
}
