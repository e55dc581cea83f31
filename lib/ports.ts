/**
 * What the core needs from the world. Adapters in lib/aws (AWS SDK v3), lib/local (SQLite, folders,
 * in-process queues), lib/media (ffmpeg) and lib/sim (virtual time) implement these.
 */
import type { Backend, ContentProfile, Job, JobStatus, QualityScores, Recipe, Rendition, RenditionResult, SourceInfo, Tier } from './core/types';

/** Injected time source. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Durable job records with optimistic concurrency. */
export interface JobStore {
  /** Create a job; returns false (and writes nothing) if a job with that id exists already. */
  create(job: Job): Promise<boolean>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Write a new version of a job. Fails with ConflictError unless the stored version equals
   * `job.version`; the stored copy gets `version + 1`. Returns the stored job.
   */
  put(job: Job): Promise<Job>;
  listByStatus(statuses: readonly JobStatus[]): Promise<Job[]>;
}

/** A message on a tier queue: a job reference and the handle to acknowledge it. */
export interface QueuedWork {
  jobId: string;
  tier: Tier;
  enqueuedAt: number;
  /** Opaque receipt (SQS receipt handle, row id). */
  receipt: string;
  /** Step Functions task token when the cloud flow waits for this work. */
  taskToken?: string;
}

/** Priority tier queues (SQS in the cloud, in-process locally). */
export interface WorkQueue {
  send(work: Omit<QueuedWork, 'receipt'>): Promise<void>;
  /** Receive up to `max` messages of one tier; they stay invisible until acked or the lease ends. */
  receive(tier: Tier, max: number): Promise<QueuedWork[]>;
  ack(work: QueuedWork): Promise<void>;
  depth(tier: Tier): Promise<number>;
}

/** A unit of encoding work: one rendition (or one chunk of it) of a job. */
export interface EncodeTask {
  job: Job;
  recipe: Recipe;
  rendition: Rendition;
  /** Where outputs go (a folder locally, an s3:// prefix in the cloud). */
  outputPrefix: string;
  /** For chunked encodes: which chunk and the time range. */
  chunk?: { index: number; count: number; startSec: number; durationSec: number };
}

export interface EncodeProgress {
  /** 0..1 */
  fraction: number;
  fps?: number;
}

export interface EncoderBackend {
  readonly backend: Backend;
  encode(task: EncodeTask, opts: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void }): Promise<RenditionResult>;
}

export interface ProbeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Reads container and stream facts (ffprobe). Throws RejectedInputError for unusable input. */
export interface Prober {
  probe(uri: string, opts?: ProbeOptions): Promise<SourceInfo>;
}

/** Full content analysis: probe facts plus complexity and audio features. */
export interface ContentAnalyzer {
  analyze(uri: string, opts?: ProbeOptions): Promise<ContentProfile>;
}

export interface QualityMeter {
  /** Compare a rendition with its source at the source's display resolution. */
  measure(reference: string, distorted: string, opts: { width: number; height: number; signal?: AbortSignal }): Promise<QualityScores>;
}

export interface ObjectStore {
  exists(uri: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  readText(uri: string): Promise<string | undefined>;
  writeText(uri: string, body: string): Promise<void>;
}

/** Domain events for the CMS/CDN and for observability. */
export interface MarqueeEvent {
  type: 'JobReceived' | 'JobRejected' | 'JobQueued' | 'JobEncoding' | 'JobPublished' | 'JobFailed' | 'JobEscalated' | 'DeadlineAction';
  jobId: string;
  at: number;
  detail: Record<string, unknown>;
}

export interface EventPublisher {
  publish(event: MarqueeEvent): Promise<void>;
}
