/**
 * What the cloud flow's steps share: the metrics sink, the cloud backends, the Enqueue order and its
 * wait limits, events, the optimistic-concurrency update, the scheduler's view of encoder capacity.
 * Each Lambda imports only its own step module (lib/aws/flow/<step>.ts), so a bundle carries only
 * the core code that step runs.
 */
import { ConflictError, RejectedInputError } from '../../core/errors';
import type { BackendPool } from '../../core/scheduling';
import type { Backend, Job, Tier } from '../../core/types';
import type { EventPublisher, JobStore, MarqueeEvent } from '../../ports';
import { TransientError } from '../errors';

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

export async function emit(events: EventPublisher, type: MarqueeEvent['type'], job: Job, at: number, detail: Record<string, unknown> = {}): Promise<void> {
  await events.publish({ type, jobId: job.id, at, detail: { status: job.status, tier: job.value?.tier, source: job.source.uri, ...detail } });
}

/** Read-modify-write with one retry on a lost optimistic-concurrency race. */
export async function update(store: JobStore, id: string, change: (job: Job) => Job): Promise<Job> {
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

/** The Enqueue order for a job (QUEUED or REJECTED) and its wait limits. */
export function orderFor(job: Job, deps: { tierQueues: Record<Tier, string> }, now: number): EnqueueOrder {
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

/** Pools of cloud encoder slots as the scheduler sees them (a backend configured with no slots is no pool). */
export function cloudPools(capacity: Record<CloudBackend, number>, inFlight: Record<CloudBackend, number>): BackendPool[] {
  const pools: BackendPool[] = [
    { id: 'mediaconvert', backend: 'mediaconvert', slots: capacity.mediaconvert, free: Math.max(0, capacity.mediaconvert - inFlight.mediaconvert), speed: 1.5, acceleratedSpeed: 4, pricing: { kind: 'mediaconvert', tier: 'professional' } },
    { id: 'batch-gpu', backend: 'batch-gpu', slots: capacity['batch-gpu'], free: Math.max(0, capacity['batch-gpu'] - inFlight['batch-gpu']), speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
  ];
  return pools.filter((p) => p.slots > 0);
}

export const isCloud = (b: Backend | undefined): b is CloudBackend => b === 'mediaconvert' || b === 'batch-gpu';

/** The backend a job must use: after a failure or a fallback it is pinned; a first attempt lets the scheduler choose. */
export function pinnedBackend(job: Job): CloudBackend | undefined {
  if (!job.dispatch) return undefined;
  return isCloud(job.allocation?.backend) ? job.allocation.backend : undefined;
}

/**
 * Where an attempt writes: `s3://<bucket>/<job>/a<attempt>/`, or `…/a<attempt>r<n>/` once the job was
 * preempted n times, so a restarted submission never shares a prefix (or a manifest) with the
 * cancelled one. Dispatch and Complete both derive it from the job's dispatch record.
 */
export const outputPrefixFor = (bucket: string, job: Job, attempt: number): string => {
  const restart = job.dispatch?.preemptions ?? 0;
  return `s3://${bucket}/${job.id}/a${attempt}${restart > 0 ? `r${restart}` : ''}/`;
};

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
  /** Streaming entry points the encoder reported (MediaConvert's `playlistFilePaths`); Batch lists its own in the worker manifest. */
  manifests?: { hls?: string; dash?: string };
  exitCode?: number;
  error?: string;
}

/** Output manifest the Batch worker writes at `<outputPrefix>manifest.json`. */
export interface WorkerManifest {
  jobId: string;
  attempt: number;
  renditions: { renditionId: string; outputs: string[]; bytes: number; wallSec: number; cpuSec?: number }[];
  gpu: boolean;
  /**
   * The HLS master playlist over the ladder's HLS renditions (`<outputPrefix>hls/master.m3u8`), when the
   * recipe packages HLS; Complete records it as the job's `manifests.hls`. The worker packages no DASH.
   */
  hlsMaster?: string;
}

/**
 * A Batch submission as its parts: a whole-title job is one job id; a chunked one is an array job of
 * `chunks` children plus the join job that depends on it, stored as `<joinId>+<arrayId>*<chunks>`
 * (Batch job ids are UUIDs). Complete matches events on `primary` (the join); preemption terminates all.
 */
export interface BatchSubmissionIds {
  primary: string;
  arrayId?: string;
  /** Encoder slots the submission takes (the array's width; 1 for a whole-title job). */
  slots: number;
}

export const chunkedExternalId = (joinId: string, arrayId: string, chunks: number): string => `${joinId}+${arrayId}*${chunks}`;

export function parseExternalId(externalId: string): BatchSubmissionIds {
  const m = /^([^+]+)\+([^*]+)\*(\d+)$/.exec(externalId);
  return m ? { primary: m[1]!, arrayId: m[2]!, slots: Math.max(1, Number(m[3])) } : { primary: externalId, slots: 1 };
}

/** Encoder slots a running job holds (a chunked Batch job holds one per array child). */
export const slotsOf = (job: Job): number => (job.dispatch?.externalId ? parseExternalId(job.dispatch.externalId).slots : 1);
