import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RejectedInputError } from '../core/errors';
import { isTerminal, newJob, recordDecision, transition } from '../core/job';
import { planJob } from '../core/plan';
import { planDeadlineActions, type DeadlineOptions, type DeadlinePlan, type RunningView } from '../core/deadlines';
import type { ChunkRange } from '../core/pipeline';
import { heuristicModel, predictJob, type AllocationPolicy, type EncodeTimeModel } from '../core/prediction';
import { activeLadder, measuresHull, type MeasuredHull } from '../core/recipes';
import { marqueePolicy, type BackendPool, type QueueEntry, type SchedulerPolicy } from '../core/scheduling';
import type { QcVerdict } from '../core/qc';
import { TIERS, type ContentProfile, type Job, type Rendition, type RenditionResult, type Tier } from '../core/types';
import { ageJob, DEFAULT_VALUE_POLICY, scoreValue, type ValuePolicy } from '../core/value';
import { removeStalePartials, writeDashManifest, writeHlsMaster } from '../media/encode';
import { ProcessError } from '../media/process';
import { verifyRenditions } from '../media/output-checks';
import type { EncodedChunk } from '../media/encode';
import type { Clock, ContentAnalyzer, EncodeProgress, EncodeTask, EncoderBackend, QualityMeter, QueuedWork } from '../ports';
import { systemClock } from '../ports';
import { planRenditionChunks, finishedChunks, type ChunkingOptions, type ChunkPlan } from './chunks';
import type { Upload } from './ingest';
import type { EncodeLedger } from './ledger';
import type { SqliteWorkQueue } from './queue';
import { updateJob, type SqliteJobStore } from './store';

/** What the runtime tells its observers (progress bars, log lines, tests). */
export type RuntimeEvent =
  | { type: 'job'; job: Job }
  | { type: 'encode-start'; job: Job; renditionId: string }
  | { type: 'encode-progress'; jobId: string; renditionId: string; fraction: number }
  | { type: 'encode-end'; jobId: string; renditionId: string; outcome: 'done' | 'failed' | 'cancelled'; wallSec?: number; predictedSec?: number; error?: string }
  | { type: 'log'; message: string };

/** An encoder that can also encode a rendition as chunks and join them (LocalFfmpegEncoder). */
export interface ChunkingEncoder extends EncoderBackend {
  encodeChunk(task: EncodeTask, chunk: ChunkRange, dir: string, opts?: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void }): Promise<EncodedChunk>;
  joinChunks(task: EncodeTask, chunks: readonly ChunkRange[], dir: string, opts?: { signal?: AbortSignal }): Promise<RenditionResult>;
}

const canChunk = (e: EncoderBackend): e is ChunkingEncoder =>
  typeof (e as Partial<ChunkingEncoder>).encodeChunk === 'function' && typeof (e as Partial<ChunkingEncoder>).joinChunks === 'function';

/** Actual vs predicted time of one finished rendition, for calibrating the predictor. */
export interface EncodeObservation {
  job: Job;
  rendition: Rendition;
  result: RenditionResult;
  predictedWallSec?: number;
}

export interface LocalRuntimeOptions {
  /** Folder for outputs: `<outDir>/<jobId>/`. */
  outDir: string;
  store: SqliteJobStore;
  queue: SqliteWorkQueue;
  ledger: EncodeLedger;
  analyzer: ContentAnalyzer;
  encoder: EncoderBackend;
  /** Measures each rendition against its source while VERIFYING (PSNR/SSIM, VMAF with a model). */
  quality?: QualityMeter;
  clock?: Clock;
  /** Concurrent ffmpeg encodes (the worker pool size). */
  workers: number;
  /**
   * Ranks queued jobs (lower key first). Default: the shipped Marquee policy (`DEFAULT_MARQUEE_OPTIONS`)
   * — value tier with bounded aging, deadline urgency, emergency bumps, the size offset within a tier —
   * the same configuration the cloud dispatcher and the benches run. Bounded preemption is not wired in:
   * it needs a slot ≥ 2x faster than the one a job would get, and the local pool's slots are identical.
   */
  policy?: SchedulerPolicy;
  valuePolicy?: ValuePolicy;
  model?: EncodeTimeModel;
  /** Local pool size for allocation (how many renditions of one job may run at once). */
  localPoolSlots?: number;
  /** Overrides of the allocation thresholds (e.g. chunking), passed to `planJob`. */
  allocationPolicy?: Partial<AllocationPolicy>;
  /** Encode attempts per job before it FAILS (1 = no retry). Default 2. */
  maxAttempts?: number;
  analyzeTimeoutMs?: number;
  onEvent?: (e: RuntimeEvent) => void;
  /** Called with each finished rendition's actual vs predicted time (predictor calibration). */
  onObservation?: (o: EncodeObservation) => void;
  /** Which renditions are encoded as chunks (default: the pipeline policy and the job's allocation). */
  chunking?: ChunkingOptions;
  /** Attempts per chunk within one job attempt: a failed chunk is retried alone (default 2). */
  chunkAttempts?: number;
  /**
   * Deadline watch: run `planDeadlineActions` over the queued jobs at most this often (clock ms), before
   * picking the next work and on a timer while the pool is busy. 0 = before every pick. Default 3000.
   */
  deadlineSweepMs?: number;
  deadlineOptions?: Partial<DeadlineOptions>;
  /**
   * Per-title measured ladders: for tiers that pay for it (`measuresHull`) and titles at least
   * `minDurationSec` long, trial-encode sampled segments and plan on the measured hull. A failed
   * probe falls back to the predicted ladder.
   */
  hullProbe?: { minDurationSec: number; probe: (uri: string, profile: ContentProfile, tier: Tier, signal?: AbortSignal) => Promise<MeasuredHull> };
}

interface ActiveJob {
  work?: QueuedWork;
  /** Running pieces: a rendition id, `<rendition>#<chunk index>`, or `<rendition>#join`. */
  running: Set<string>;
  verifying: boolean;
  /** Failed attempts of each chunk in this job attempt (`<rendition>#<index>`). */
  chunkFailures: Map<string, number>;
  /** Priority raise from deadline management (rank ms). */
  boostMs: number;
  /** Chunk plans by `<rendition>@<variant>` (null: single pass). */
  plans: Map<string, ChunkPlan | null>;
}

type Work =
  | { kind: 'verify'; jobId: string }
  | { kind: 'encode'; jobId: string; rendition: Rendition }
  | { kind: 'chunk'; jobId: string; rendition: Rendition; plan: ChunkPlan; chunk: ChunkRange }
  | { kind: 'join'; jobId: string; rendition: Rendition; plan: ChunkPlan }
  /** A rung a faster variant deferred, encoded after its job published (full-quality settings). */
  | { kind: 'deferred'; jobId: string; rendition: Rendition };

/** Deferred rungs of a published job still to encode (the variant published the others first). */
export function deferredPending(job: Job): Rendition[] {
  if (job.status !== 'PUBLISHED' || !job.recipe) return [];
  const deferred = job.recipe.variants[job.recipe.activeVariant]?.deferredRenditionIds ?? [];
  if (deferred.length === 0) return [];
  const pending = new Set(job.renditions.filter((r) => r.status === 'pending').map((r) => r.renditionId));
  return job.recipe.ladder.filter((r) => deferred.includes(r.id) && pending.has(r.id));
}

const chunkKey = (renditionId: string, index: number | 'join') => `${renditionId}#${index}`;
const chunkLabel = (renditionId: string, c: ChunkRange) => `${renditionId}#${c.index + 1}/${c.count}`;
const newActive = (work?: QueuedWork): ActiveJob => ({ ...(work ? { work } : {}), running: new Set(), verifying: false, chunkFailures: new Map(), boostMs: 0, plans: new Map() });

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** The job's `manifests` patch for the HLS master / DASH MPD paths a publish wrote (no key when neither). */
const manifestsOf = (hls: string | undefined, dash: string | undefined): Partial<Job> => (hls || dash ? { manifests: { ...(hls ? { hls } : {}), ...(dash ? { dash } : {}) } } : {});

/**
 * The embedded runtime: the same flow as the cloud (analyze → plan → queue by tier → encode →
 * verify → publish) over SQLite, in-process tier queues and a pool of ffmpeg workers. Every state
 * change is written before the next step starts, so a run killed at any point resumes where it
 * stopped: finished renditions are kept, unfinished ones are encoded again, no job is lost or duplicated.
 */
export class LocalRuntime {
  private readonly clock: Clock;
  private readonly policy: SchedulerPolicy;
  private readonly valuePolicy: ValuePolicy;
  private readonly active = new Map<string, ActiveJob>();
  private lastSweep = -Infinity;
  /** Published jobs with deferred rungs to encode later, and which of those are running. */
  private readonly backfill = new Map<string, Set<string>>();

  constructor(private readonly o: LocalRuntimeOptions) {
    this.clock = o.clock ?? systemClock;
    this.valuePolicy = o.valuePolicy ?? DEFAULT_VALUE_POLICY;
    this.policy = o.policy ?? marqueePolicy({ valuePolicy: this.valuePolicy });
  }

  private now(): number {
    return this.clock.now();
  }

  private emit(e: RuntimeEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      /* an observer never breaks the run */
    }
  }

  private jobDir(id: string): string {
    return join(this.o.outDir, id);
  }

  /**
   * Record uploads as jobs (RECEIVED, or REJECTED straight away when the upload is unusable before
   * probing). Idempotent: an upload whose job exists keeps that job. Returns the jobs in input order.
   */
  async ingest(uploads: readonly Upload[]): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const u of uploads) {
      const now = this.now();
      let job = newJob({ id: u.jobId, source: { uri: u.path, version: u.version, sizeBytes: u.sizeBytes }, metadata: u.metadata, now });
      if (u.rejectReason) job = transition(job, 'REJECTED', now, u.rejectReason);
      const created = await this.o.store.create(job, { input: u.input });
      const stored = created ? job : await this.o.store.get(u.jobId);
      if (!stored) continue;
      if (created) {
        this.emit({ type: 'job', job: stored });
        if (isTerminal(stored.status)) await this.writeJobJson(stored);
      }
      jobs.push(stored);
    }
    return jobs;
  }

  /**
   * Drive every unfinished job in the store to a terminal state (or until `signal` aborts, leaving
   * each job in a state it resumes from). Resolves with `interrupted: true` when aborted.
   */
  async run(signal?: AbortSignal): Promise<{ interrupted: boolean }> {
    const now = this.now();
    this.o.queue.releaseAll();
    const interrupted = this.o.ledger.markInterrupted(now);
    if (interrupted > 0) this.emit({ type: 'log', message: `resuming: ${interrupted} encode(s) were interrupted by the previous run and will run again` });

    await this.analyzeAll(signal);
    if (signal?.aborted) return { interrupted: true };
    await this.enqueueReady();
    await this.loadActive();
    await this.dispatch(signal);
    return { interrupted: signal?.aborted ?? false };
  }

  // ── analyze ────────────────────────────────────────────────────────────────────────────────

  private async analyzeAll(signal?: AbortSignal): Promise<void> {
    const pending = await this.o.store.listByStatus(['RECEIVED']);
    let next = 0;
    const worker = async () => {
      while (next < pending.length && !signal?.aborted) {
        const job = pending[next++]!;
        await this.analyzeJob(job.id, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.o.workers, pending.length)) }, worker));
  }

  private async analyzeJob(id: string, signal?: AbortSignal): Promise<void> {
    const job = await this.o.store.get(id);
    if (!job || job.status !== 'RECEIVED') return;
    let profile;
    try {
      profile = await this.o.analyzer.analyze(job.source.uri, { signal, timeoutMs: this.o.analyzeTimeoutMs });
    } catch (err) {
      if (signal?.aborted) return;
      const rejected = err instanceof RejectedInputError;
      const crashed = err instanceof ProcessError && err.exitCode === null && !err.timedOut && !err.aborted;
      const reason = rejected
        ? errorText(err)
        : crashed
          ? `analysis failed: ${errorText(err).split(' ')[0]} crashed on this file (killed by a signal; the npm ffprobe 5.2 does so on MPEG-TS) — set MARQUEE_FFPROBE / MARQUEE_FFMPEG to another build`
          : `analysis failed: ${errorText(err)}`;
      const done = await updateJob(this.o.store, id, (j) => (j.status === 'RECEIVED' ? transition(j, rejected ? 'REJECTED' : 'FAILED', this.now(), reason) : undefined));
      await this.finished(done);
      return;
    }
    const measuredHull = await this.measureHull(job, profile, signal);
    if (signal?.aborted) return;
    try {
      const planned = await updateJob(this.o.store, id, (j) =>
        j.status === 'RECEIVED' ? planJob(j, profile, {
              ...(measuredHull ? { measuredHull } : {}),
              now: this.now(),
              backend: this.o.encoder.backend,
              valuePolicy: this.valuePolicy,
              allocation: { localPoolSlots: this.o.localPoolSlots ?? this.o.workers, ...(this.o.allocationPolicy ? { policy: this.o.allocationPolicy } : {}) },
              ...(this.o.model ? { model: this.o.model } : {}),
            }) : undefined,
      );
      if (isTerminal(planned.status)) await this.finished(planned);
      else this.emit({ type: 'job', job: planned });
    } catch (err) {
      const failed = await updateJob(this.o.store, id, (j) => (j.status === 'RECEIVED' ? transition(j, 'FAILED', this.now(), `planning failed: ${errorText(err)}`) : undefined));
      await this.finished(failed);
    }
  }

  /** The measured hull for a tier that pays for one, or undefined (the predicted ladder is used). */
  private async measureHull(job: Job, profile: ContentProfile, signal?: AbortSignal): Promise<MeasuredHull | undefined> {
    const hp = this.o.hullProbe;
    if (!hp || profile.source.durationSec < hp.minDurationSec) return undefined;
    const tier = scoreValue(job.metadata, this.valuePolicy, this.now()).tier;
    if (!measuresHull(tier)) return undefined;
    try {
      return await hp.probe(job.source.uri, profile, tier, signal);
    } catch {
      return undefined;
    }
  }

  // ── queue ──────────────────────────────────────────────────────────────────────────────────

  /** ANALYZED and RETRYING jobs go on their tier's queue; queued jobs missing a message get one again. */
  private async enqueueReady(): Promise<void> {
    for (const job of await this.o.store.listByStatus(['ANALYZED', 'RETRYING'])) {
      const tier = job.value?.tier ?? 'bulk';
      const queued = await updateJob(this.o.store, job.id, (j) =>
        j.status === 'ANALYZED' || j.status === 'RETRYING' ? transition(j, 'QUEUED', this.now(), `queued on the ${tier} queue`) : undefined,
      );
      this.emit({ type: 'job', job: queued });
    }
    for (const job of await this.o.store.listByStatus(['QUEUED', 'ENCODING'])) {
      if (!this.o.queue.has(job.id)) await this.o.queue.send({ jobId: job.id, tier: job.value?.tier ?? 'bulk', enqueuedAt: job.history.findLast((h) => h.to === 'QUEUED')?.at ?? this.now() });
    }
  }

  /** Take every message off the tier queues and load the jobs in flight, repairing what a crash left behind. */
  private async loadActive(): Promise<void> {
    for (const tier of TIERS) {
      for (const work of await this.o.queue.receive(tier, 100_000)) {
        const job = await this.o.store.get(work.jobId);
        if (!job || isTerminal(job.status) || job.status === 'VERIFYING') {
          await this.o.queue.ack(work);
          continue;
        }
        await this.repairRenditions(job);
        this.active.set(job.id, newActive(work));
      }
    }
    for (const job of await this.o.store.listByStatus(['VERIFYING'])) this.active.set(job.id, newActive());
    for (const job of await this.o.store.listByStatus(['PUBLISHED'])) if (deferredPending(job).length > 0) this.backfill.set(job.id, new Set());
  }

  /**
   * A rendition marked done whose output is gone is encoded again; one that failed in an attempt the
   * previous process did not settle gets a fresh try.
   */
  private async repairRenditions(job: Job): Promise<void> {
    const fixes = new Map<string, string>();
    for (const r of job.renditions) {
      if (r.status === 'failed') fixes.set(r.renditionId, 'failed in an interrupted run');
      if (r.status === 'done') {
        for (const out of r.outputs) {
          if (!(await stat(out).then((s) => s.isFile() && s.size > 0).catch(() => false))) {
            fixes.set(r.renditionId, `output ${out} is missing`);
            break;
          }
        }
      }
    }
    if (fixes.size === 0) return;
    await updateJob(this.o.store, job.id, (j) =>
      recordDecision(
        { ...j, renditions: j.renditions.map((r) => (fixes.has(r.renditionId) ? { renditionId: r.renditionId, status: 'pending', outputs: [] } : r)) },
        { at: this.now(), kind: 'pipeline', action: `re-encode ${[...fixes.keys()].join(', ')}`, reason: [...fixes.values()].join('; ') },
      ),
    );
  }

  // ── dispatch ───────────────────────────────────────────────────────────────────────────────

  private async dispatch(signal?: AbortSignal): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const sweepMs = this.o.deadlineSweepMs ?? 3000;
    for (;;) {
      // The deadline watch: before picking, and on a timer while every worker is busy.
      if (!signal?.aborted) await this.deadlineSweep(inflight.size).catch((err) => this.emit({ type: 'log', message: `deadline watch failed: ${errorText(err)}` }));
      while (inflight.size < this.o.workers && !signal?.aborted) {
        const work = await this.pickNext();
        if (!work) break;
        const p: Promise<void> = this.perform(work, signal).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (inflight.size === 0) break;
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<void>((r) => (timer = setTimeout(r, Math.max(250, sweepMs))));
      await Promise.race([...inflight, tick]);
      clearTimeout(timer);
    }
  }

  // ── deadline watch ─────────────────────────────────────────────────────────────────────────

  /**
   * Find queued jobs whose P90 finish is past their deadline (`planDeadlineActions`, the same code as
   * the cloud's deadline-watch Lambda and the simulator) and apply what it plans for them: raise their
   * priority, switch to a faster variant of the recipe (faster preset, fewer passes, lowest-value rungs
   * deferred). Each action is recorded on the job as a `deadline` Decision. Jobs already encoding are
   * passed as running work (capacity) but never restarted here.
   */
  private async deadlineSweep(busy: number): Promise<void> {
    if (!this.policy.managesDeadlines) return;
    const now = this.now();
    if (now - this.lastSweep < (this.o.deadlineSweepMs ?? 3000)) return;
    this.lastSweep = now;
    const queued: QueueEntry[] = [];
    const running: RunningView[] = [];
    const byId = new Map<string, Job>();
    for (const [id, a] of this.active) {
      const job = await this.o.store.get(id);
      if (!job?.recipe || !job.prediction) continue;
      const entry = this.queueEntry(job);
      if (job.status === 'QUEUED' && a.running.size === 0 && job.renditions.every((r) => r.status === 'pending')) {
        queued.push(entry);
        byId.set(id, job);
      } else if (job.status === 'QUEUED' || job.status === 'ENCODING') {
        const total = job.prediction.wallSecP90;
        running.push({
          job,
          poolId: 'local',
          startedAt: job.history.findLast((h) => h.to === 'ENCODING')?.at ?? now,
          expectedEndP90: now + (entry.workP90 / Math.max(1, a.running.size)) * 1000,
          progress: total > 0 ? Math.max(0, 1 - entry.workP90 / total) : 0,
          workP90: total,
        });
      }
    }
    if (queued.length === 0) return;
    const pool: BackendPool = { id: 'local', backend: this.o.encoder.backend, slots: this.o.workers, free: Math.max(0, this.o.workers - busy), speed: 1, pricing: { kind: 'free' } };
    const plans = planDeadlineActions({ queued, running, pools: [pool], now, policy: this.policy, ...(this.o.deadlineOptions ? { options: this.o.deadlineOptions } : {}) });
    for (const plan of plans) {
      const before = byId.get(plan.jobId);
      // Restarting a running encode or moving to another backend has no local meaning.
      if (before && plan.steps.some((s) => s === 'raise-priority' || s === 'switch-variant')) await this.applyDeadlinePlan(before, plan);
    }
  }

  private async applyDeadlinePlan(before: Job, plan: DeadlinePlan): Promise<void> {
    const a = this.active.get(plan.jobId);
    if (!a) return;
    const added = plan.job.decisions.slice(before.decisions.length);
    let switched = false;
    const stored = await updateJob(this.o.store, plan.jobId, (j) => {
      if (j.status !== 'QUEUED' || !j.recipe || !j.profile) return undefined;
      let next: Job = { ...j, updatedAt: this.now(), decisions: [...j.decisions, ...added] };
      if (plan.variantLevel !== undefined && plan.variantLevel !== j.recipe.activeVariant && j.recipe.variants[plan.variantLevel]) {
        // The faster variant is what will be encoded: predict it, so the schedule and the report compare like with like.
        // Deferred rungs keep a prediction at full settings (they are encoded after publishing), outside the totals.
        const recipe = { ...j.recipe, activeVariant: plan.variantLevel };
        const model = this.o.model ?? heuristicModel;
        const prediction = predictJob(recipe, j.profile, this.o.encoder.backend, model);
        const deferred = new Set(recipe.variants[plan.variantLevel]?.deferredRenditionIds ?? []);
        const later = deferred.size > 0 ? predictJob({ ...recipe, activeVariant: 0 }, j.profile, this.o.encoder.backend, model).renditions.filter((p) => deferred.has(p.renditionId)) : [];
        next = { ...next, recipe, prediction: { ...prediction, renditions: [...prediction.renditions, ...later] } };
        switched = true;
      }
      return next;
    });
    if (stored.status !== 'QUEUED') return;
    if (plan.boostMs !== undefined) a.boostMs = Math.max(a.boostMs, plan.boostMs);
    if (switched) a.plans.clear();
    this.emit({ type: 'log', message: `${plan.jobId}: deadline at risk — ${added.map((d) => d.action).join(', ')} (expected gain ${plan.expectedGainSec.toFixed(0)} s${plan.meetsDeadline ? '' : ', still late'})` });
    this.emit({ type: 'job', job: stored });
  }

  /** The next piece of work: a verification first (it publishes a job), else the best job's next rendition. */
  private async pickNext(): Promise<Work | undefined> {
    const jobs: Job[] = [];
    for (const [id, a] of this.active) {
      const job = await this.o.store.get(id);
      if (!job) continue;
      if (job.status === 'VERIFYING' && !a.verifying && a.running.size === 0) return { kind: 'verify', jobId: id };
      if ((job.status === 'QUEUED' || job.status === 'ENCODING') && this.nextEncodeWork(job, a)) jobs.push(await this.aged(job, a));
    }
    if (jobs.length === 0) return this.pickDeferred();
    const ranked = jobs.map((j) => ({ job: j, key: this.policy.rankKey(this.queueEntry(j)) }));
    ranked.sort((x, y) => x.key - y.key || x.job.createdAt - y.job.createdAt || x.job.id.localeCompare(y.job.id));
    const ordered = ranked.map((r) => r.job);
    // A job uses up to its allocated slots; a slot no other job wants goes to the best job anyway.
    const within = ordered.find((j) => (this.active.get(j.id)?.running.size ?? 0) < Math.max(1, j.allocation?.slots ?? 1));
    const job = within ?? ordered[0]!;
    return this.nextEncodeWork(job, this.active.get(job.id)!);
  }

  /** "The rest later": a deferred rung of a published job, when no job in flight wants the slot. */
  private async pickDeferred(): Promise<Work | undefined> {
    for (const [id, running] of this.backfill) {
      const job = await this.o.store.get(id);
      const r = job ? deferredPending(job).find((x) => !running.has(x.id)) : undefined;
      if (r) return { kind: 'deferred', jobId: id, rendition: r };
    }
    return undefined;
  }

  /**
   * The next encode of a job: a single-pass rendition, a chunk of a chunked rendition not yet finished
   * (on disk) nor running, or the join of a rendition whose chunks are all finished. Mandatory rungs first.
   */
  private nextEncodeWork(job: Job, a: ActiveJob): Work | undefined {
    for (const r of this.pendingRenditions(job)) {
      const plan = this.chunkPlan(job, r, a);
      if (!plan) {
        if (!a.running.has(r.id)) return { kind: 'encode', jobId: job.id, rendition: r };
        continue;
      }
      if (a.running.has(chunkKey(r.id, 'join'))) continue;
      const done = finishedChunks(plan);
      const chunk = plan.chunks.find((c) => !done.has(c.index) && !a.running.has(chunkKey(r.id, c.index)));
      if (chunk) return { kind: 'chunk', jobId: job.id, rendition: r, plan, chunk };
      if (done.size === plan.chunks.length) return { kind: 'join', jobId: job.id, rendition: r, plan };
    }
    return undefined;
  }

  private chunkPlan(job: Job, r: Rendition, a: ActiveJob): ChunkPlan | undefined {
    if (!canChunk(this.o.encoder)) return undefined;
    const key = `${r.id}@${job.recipe?.activeVariant ?? 0}`;
    if (!a.plans.has(key)) a.plans.set(key, planRenditionChunks(job, r, this.jobDir(job.id), { ...this.o.chunking, workers: this.o.workers }) ?? null);
    return a.plans.get(key) ?? undefined;
  }

  /** A job as the scheduling policy sees it: when it was queued and the predicted work still to do. */
  private queueEntry(job: Job): QueueEntry {
    const pending = new Set(job.renditions.filter((r) => r.status !== 'done').map((r) => r.renditionId));
    const ladder = new Set(job.recipe ? activeLadder(job.recipe).map((r) => r.id) : []);
    const left = (job.prediction?.renditions ?? []).filter((p) => pending.has(p.renditionId) && ladder.has(p.renditionId));
    return {
      job,
      queuedAt: this.active.get(job.id)?.work?.enqueuedAt ?? job.history.find((h) => h.to === 'QUEUED')?.at ?? job.createdAt,
      workP50: left.reduce((a, p) => a + p.wallSecP50, 0),
      workP90: left.reduce((a, p) => a + p.wallSecP90, 0),
      contentSec: job.profile?.source.durationSec ?? 0,
      normalisedPerMinute: 0,
      accelerated: false,
      emergency: job.adjustments.some((a) => a.kind === 'emergency'),
      boostMs: this.active.get(job.id)?.boostMs ?? 0,
    };
  }

  /** Apply the value policy's aging to a waiting job (persisted when its tier changes). */
  private async aged(job: Job, a: ActiveJob): Promise<Job> {
    if (!a.work || job.status !== 'QUEUED') return job;
    const aged = ageJob(job, a.work.enqueuedAt, this.now(), this.valuePolicy);
    if (aged === job || aged.value?.tier === job.value?.tier) return job;
    const stored = await updateJob(this.o.store, job.id, (j) => (j.status === 'QUEUED' ? ageJob(j, a.work!.enqueuedAt, this.now(), this.valuePolicy) : undefined));
    this.emit({ type: 'log', message: `${job.id}: aged ${job.value?.tier} → ${stored.value?.tier}` });
    return stored;
  }

  /** Renditions of the active ladder still to encode, mandatory rungs first. */
  private pendingRenditions(job: Job): Rendition[] {
    if (!job.recipe) return [];
    const pending = new Set(job.renditions.filter((r) => r.status === 'pending').map((r) => r.renditionId));
    return activeLadder(job.recipe)
      .filter((r) => pending.has(r.id))
      .sort((x, y) => Number(y.mandatory) - Number(x.mandatory));
  }

  private async perform(work: Work, signal?: AbortSignal): Promise<void> {
    if (work.kind === 'deferred') {
      await this.performDeferred(work.jobId, work.rendition, signal).catch((err) => this.emit({ type: 'log', message: `${work.jobId}: deferred ${work.rendition.id} could not be published: ${errorText(err)}` }));
      return;
    }
    const a = this.active.get(work.jobId);
    if (!a) return;
    try {
      if (work.kind === 'verify') {
        a.verifying = true;
        try {
          await this.verify(work.jobId, signal);
        } finally {
          a.verifying = false;
        }
      } else {
        const key = work.kind === 'encode' ? work.rendition.id : chunkKey(work.rendition.id, work.kind === 'join' ? 'join' : work.chunk.index);
        a.running.add(key);
        try {
          if (work.kind === 'encode') await this.encodeRendition(work.jobId, work.rendition, signal);
          else if (work.kind === 'chunk') await this.encodeChunk(work.jobId, work.rendition, work.plan, work.chunk, signal);
          else await this.joinChunks(work.jobId, work.rendition, work.plan, signal);
        } finally {
          a.running.delete(key);
        }
        if (!signal?.aborted) await this.settleEncoding(work.jobId);
      }
    } catch (err) {
      // A bug or an I/O error in one job must not take the run down: the job fails with the cause.
      if (signal?.aborted) return;
      const failed = await updateJob(this.o.store, work.jobId, (j) => (isTerminal(j.status) ? undefined : transition(j, 'FAILED', this.now(), `runtime error: ${errorText(err)}`))).catch(() => undefined);
      if (failed) await this.finished(failed);
    }
  }

  /** QUEUED → ENCODING on a job's first encode (of a rendition or a chunk); the job as stored. */
  private async startEncoding(jobId: string): Promise<Job> {
    let started = false;
    const job = await updateJob(this.o.store, jobId, (j) => {
      started = j.status === 'QUEUED';
      return started
        ? transition(j, 'ENCODING', this.now(), `encoding started on ${this.o.encoder.backend} (${j.value?.tier ?? 'untiered'}, ${this.policy.name}: ${this.policy.reason(this.queueEntry(j))})`)
        : undefined;
    });
    if (started) this.emit({ type: 'job', job });
    return job;
  }

  private predictedSec(job: Job, renditionId: string): number | undefined {
    return job.prediction?.renditions.find((p) => p.renditionId === renditionId)?.wallSecP50;
  }

  private async encodeRendition(jobId: string, rendition: Rendition, signal?: AbortSignal): Promise<void> {
    const job = await this.startEncoding(jobId);
    const predictedSec = this.predictedSec(job, rendition.id);
    const attempt = this.o.ledger.start(jobId, rendition.id, this.now(), predictedSec);
    this.emit({ type: 'encode-start', job, renditionId: rendition.id });
    let result: RenditionResult;
    try {
      result = await this.o.encoder.encode(
        { job, recipe: job.recipe!, rendition, outputPrefix: this.jobDir(jobId) },
        { signal, onProgress: (p) => this.emit({ type: 'encode-progress', jobId, renditionId: rendition.id, fraction: p.fraction }) },
      );
    } catch (err) {
      await this.renditionFailed(jobId, rendition.id, rendition.id, attempt, err, signal);
      return;
    }
    this.o.ledger.finish(attempt, 'done', this.now(), { wallSec: result.wallSec, cpuSec: result.cpuSec });
    await this.renditionDone(jobId, rendition, result, predictedSec);
  }

  /**
   * An encode (or a join) failed: cancelled by our own signal, the rendition stays pending for the next
   * run (a cancellation we did not ask for counts as a failure, so it can never spin the dispatcher);
   * otherwise the rendition is marked failed with the cause.
   */
  private async renditionFailed(jobId: string, renditionId: string, label: string, attempt: number, err: unknown, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      this.o.ledger.finish(attempt, 'cancelled', this.now());
      this.emit({ type: 'encode-end', jobId, renditionId: label, outcome: 'cancelled' });
      return;
    }
    const error = errorText(err);
    this.o.ledger.finish(attempt, 'failed', this.now(), { error });
    await updateJob(this.o.store, jobId, (j) => ({
      ...j,
      updatedAt: this.now(),
      renditions: j.renditions.map((r) => (r.renditionId === renditionId ? { renditionId: r.renditionId, status: 'failed', outputs: [], backend: this.o.encoder.backend, error } : r)),
    }));
    this.emit({ type: 'encode-end', jobId, renditionId: label, outcome: 'failed', error });
  }

  private async renditionDone(jobId: string, rendition: Rendition, result: RenditionResult, predictedSec: number | undefined): Promise<void> {
    const stored = await updateJob(this.o.store, jobId, (j) => ({
      ...j,
      updatedAt: this.now(),
      renditions: j.renditions.map((r) => (r.renditionId === rendition.id ? result : r)),
    }));
    this.emit({ type: 'encode-end', jobId, renditionId: rendition.id, outcome: 'done', wallSec: result.wallSec, predictedSec });
    try {
      this.o.onObservation?.({ job: stored, rendition, result, ...(predictedSec !== undefined ? { predictedWallSec: predictedSec } : {}) });
    } catch {
      /* calibration is best effort */
    }
  }

  /**
   * One chunk of a chunked rendition, on one slot of the pool. A failed chunk is retried alone (the
   * others are kept) up to `chunkAttempts`; then the rendition fails and the job's retry re-encodes
   * only the chunks that are not finished.
   */
  private async encodeChunk(jobId: string, rendition: Rendition, plan: ChunkPlan, chunk: ChunkRange, signal?: AbortSignal): Promise<void> {
    const encoder = this.o.encoder as ChunkingEncoder;
    let job = await this.startEncoding(jobId);
    const action = `chunk ${rendition.id}`;
    if (!job.decisions.some((d) => d.kind === 'pipeline' && d.action === action)) {
      job = await updateJob(this.o.store, jobId, (j) => (j.decisions.some((d) => d.kind === 'pipeline' && d.action === action) ? undefined : recordDecision(j, { at: this.now(), kind: 'pipeline', action, reason: plan.reason })));
    }
    const label = chunkLabel(rendition.id, chunk);
    const total = plan.chunks.reduce((s, c) => s + c.frames, 0);
    const whole = this.predictedSec(job, rendition.id);
    const attempt = this.o.ledger.start(jobId, label, this.now(), whole === undefined ? undefined : (whole * chunk.frames) / total);
    this.emit({ type: 'encode-start', job, renditionId: label });
    let done: EncodedChunk;
    try {
      done = await encoder.encodeChunk({ job, recipe: job.recipe!, rendition, outputPrefix: this.jobDir(jobId) }, chunk, plan.dir, {
        ...(signal ? { signal } : {}),
        onProgress: (p) => this.emit({ type: 'encode-progress', jobId, renditionId: label, fraction: p.fraction }),
      });
    } catch (err) {
      const a = this.active.get(jobId);
      const key = chunkKey(rendition.id, chunk.index);
      const failures = (a?.chunkFailures.get(key) ?? 0) + 1;
      a?.chunkFailures.set(key, failures);
      const limit = this.o.chunkAttempts ?? 2;
      if (signal?.aborted || failures >= limit) {
        await this.renditionFailed(jobId, rendition.id, label, attempt, signal?.aborted ? err : new Error(`chunk ${chunk.index + 1}/${chunk.count} failed ${failures} time(s): ${errorText(err)}`), signal);
        return;
      }
      const error = errorText(err);
      this.o.ledger.finish(attempt, 'failed', this.now(), { error });
      this.emit({ type: 'encode-end', jobId, renditionId: label, outcome: 'failed', error });
      this.emit({ type: 'log', message: `${jobId}: ${label} failed (${error}); retrying this chunk alone` });
      return;
    }
    this.o.ledger.finish(attempt, 'done', this.now(), { wallSec: done.wallSec, cpuSec: done.cpuSec });
    this.emit({ type: 'encode-end', jobId, renditionId: label, outcome: 'done', wallSec: done.wallSec });
  }

  /** Every chunk of a rendition is finished: join them into the rendition's outputs. */
  private async joinChunks(jobId: string, rendition: Rendition, plan: ChunkPlan, signal?: AbortSignal): Promise<void> {
    const encoder = this.o.encoder as ChunkingEncoder;
    const job = await this.startEncoding(jobId);
    const label = chunkKey(rendition.id, 'join');
    const predictedSec = this.predictedSec(job, rendition.id);
    const attempt = this.o.ledger.start(jobId, label, this.now());
    const started = performance.now();
    this.emit({ type: 'encode-start', job, renditionId: label });
    let result: RenditionResult;
    try {
      result = await encoder.joinChunks({ job, recipe: job.recipe!, rendition, outputPrefix: this.jobDir(jobId) }, plan.chunks, plan.dir, signal ? { signal } : {});
    } catch (err) {
      // A join that fails its checks distrusts the chunks: the retry encodes them again.
      if (!signal?.aborted) await rm(plan.dir, { recursive: true, force: true }).catch(() => undefined);
      await this.renditionFailed(jobId, rendition.id, label, attempt, err, signal);
      return;
    }
    this.o.ledger.finish(attempt, 'done', this.now(), { wallSec: (performance.now() - started) / 1000 });
    await this.renditionDone(jobId, rendition, result, predictedSec);
    await rm(plan.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** When no rendition of a job is pending or running: retry the failed ones, fail the job, or verify it. */
  private async settleEncoding(jobId: string): Promise<void> {
    const a = this.active.get(jobId);
    if (!a || a.running.size > 0) return;
    const job = await this.o.store.get(jobId);
    if (!job || job.status !== 'ENCODING' || !job.recipe) return;
    const ladder = new Set(activeLadder(job.recipe).map((r) => r.id));
    const mine = job.renditions.filter((r) => ladder.has(r.renditionId));
    if (mine.some((r) => r.status === 'pending')) return;
    const failed = mine.filter((r) => r.status === 'failed');
    const maxAttempts = this.o.maxAttempts ?? 2;
    if (failed.length > 0) {
      const why = failed.map((r) => r.error ?? `${r.renditionId} failed`).join('; ');
      if (job.attempts + 1 < maxAttempts) {
        a.chunkFailures.clear();
        await updateJob(this.o.store, jobId, (j) => {
          const retrying = transition(j, 'RETRYING', this.now(), `retrying ${failed.length} failed rendition(s): ${why}`);
          return transition(retrying, 'ENCODING', this.now(), `attempt ${retrying.attempts + 1} of ${maxAttempts}`, {
            renditions: retrying.renditions.map((r) => (r.status === 'failed' ? { renditionId: r.renditionId, status: 'pending', outputs: [] } : r)),
          });
        });
        this.emit({ type: 'log', message: `${jobId}: retrying after: ${why}` });
        return;
      }
      const done = await updateJob(this.o.store, jobId, (j) => transition(j, 'FAILED', this.now(), `encode failed after ${maxAttempts} attempt(s): ${why}`));
      await this.finished(done);
      return;
    }
    const verifying = await updateJob(this.o.store, jobId, (j) => transition(j, 'VERIFYING', this.now(), `${mine.length} rendition(s) encoded`));
    if (a.work) await this.o.queue.ack(a.work);
    a.work = undefined;
    this.emit({ type: 'job', job: verifying });
  }

  // ── verify & publish ───────────────────────────────────────────────────────────────────────

  /**
   * VERIFYING: gather output facts (probe, keyframes, HLS playlists), measure quality against the source
   * at its display size, and judge with the QC core (floors, duration, streams, sizes, alignment).
   * Passed → HLS master written, PUBLISHED; failed → FAILED with every reason.
   */
  private async verify(jobId: string, signal?: AbortSignal): Promise<void> {
    const job = await this.o.store.get(jobId);
    if (!job || job.status !== 'VERIFYING' || !job.recipe || !job.profile) return;
    const src = job.profile.source;
    const ladder = activeLadder(job.recipe);
    const due = new Set(ladder.map((r) => r.id));
    let checked: RenditionResult[];
    let verdict: QcVerdict;
    try {
      ({ results: checked, verdict } = await verifyRenditions(
        job.source.uri,
        job.recipe,
        ladder,
        job.renditions.filter((r) => due.has(r.renditionId)),
        { ...(this.o.quality ? { meter: this.o.quality } : {}), width: src.width, height: src.height, fps: src.fps, sourceDurationSec: src.durationSec, sourceHasAudio: src.audio !== null, ...(signal ? { signal } : {}) },
      ));
    } catch (err) {
      if (signal?.aborted) return;
      const failed = await updateJob(this.o.store, jobId, (j) => (j.status === 'VERIFYING' ? transition(j, 'FAILED', this.now(), `output check could not run: ${errorText(err)}`) : undefined));
      await this.finished(failed);
      return;
    }
    if (signal?.aborted) return;
    const byId = new Map(checked.map((r) => [r.renditionId, r]));
    const withQuality = job.renditions.map((r) => byId.get(r.renditionId) ?? r);
    if (!verdict.passed) {
      const failed = await updateJob(this.o.store, jobId, (j) =>
        j.status === 'VERIFYING'
          ? transition(
              recordDecision({ ...j, renditions: withQuality }, { at: this.now(), kind: 'qc', action: 'reject outputs', reason: verdict.failures.map((f) => f.reason).join('; ') }),
              'FAILED',
              this.now(),
              verdict.reason.startsWith('QC failed') ? verdict.reason : `QC failed: ${verdict.reason}`,
            )
          : undefined,
      );
      await this.finished(failed);
      return;
    }
    const master = await writeHlsMaster(this.jobDir(jobId), job.recipe, withQuality, src.durationSec);
    let dash: string | undefined;
    try {
      dash = await writeDashManifest(this.jobDir(jobId), job.recipe, withQuality, { ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) return;
      const failed = await updateJob(this.o.store, jobId, (j) => (j.status === 'VERIFYING' ? transition(j, 'FAILED', this.now(), errorText(err)) : undefined));
      await this.finished(failed);
      return;
    }
    const scores = checked.flatMap((r) => (r.quality ? [r.quality] : []));
    const summary = scores.length
      ? `min PSNR ${Math.min(...scores.map((q) => q.psnr)).toFixed(1)} dB, min SSIM ${Math.min(...scores.map((q) => q.ssim)).toFixed(3)}` +
        (scores.every((q) => q.vmaf !== undefined) ? `, min VMAF ${Math.min(...scores.map((q) => q.vmaf!)).toFixed(1)}` : '')
      : 'quality not measured';
    const published = await updateJob(this.o.store, jobId, (j) =>
      j.status === 'VERIFYING'
        ? transition({ ...j, renditions: withQuality }, 'PUBLISHED', this.now(), `${verdict.reason}; ${checked.length} rendition(s)${master ? ' + HLS master' : ''}${dash ? ' + DASH' : ''}; ${summary}`, manifestsOf(master, dash))
        : undefined,
    );
    await removeStalePartials(this.jobDir(jobId));
    await rm(join(this.jobDir(jobId), '.chunks'), { recursive: true, force: true });
    await this.finished(published);
  }

  /**
   * Encode one deferred rung of a published job; after the last, verify the whole ladder again (QC
   * judges every rung together: floors, alignment) and republish the manifests with the new rungs.
   * The job stays PUBLISHED either way; rungs that fail are left out, with the reason recorded.
   */
  private async performDeferred(jobId: string, rendition: Rendition, signal?: AbortSignal): Promise<void> {
    const running = this.backfill.get(jobId);
    if (!running) return;
    running.add(rendition.id);
    try {
      await this.encodeRendition(jobId, rendition, signal);
    } finally {
      running.delete(rendition.id);
    }
    if (signal?.aborted || running.size > 0) return;
    const job = await this.o.store.get(jobId);
    if (!job?.recipe || !job.profile || deferredPending(job).length > 0) return;
    this.backfill.delete(jobId);
    const deferred = new Set(job.recipe.variants[job.recipe.activeVariant]?.deferredRenditionIds ?? []);
    const done = job.renditions.filter((r) => r.status === 'done');
    const fresh = done.filter((r) => deferred.has(r.renditionId));
    if (fresh.length === 0) return;
    const src = job.profile.source;
    const ladder = job.recipe.ladder.filter((r) => done.some((d) => d.renditionId === r.id));
    const { results, verdict } = await verifyRenditions(job.source.uri, job.recipe, ladder, done, {
      ...(this.o.quality ? { meter: this.o.quality } : {}), width: src.width, height: src.height, fps: src.fps, sourceDurationSec: src.durationSec, sourceHasAudio: src.audio !== null, ...(signal ? { signal } : {}),
    });
    if (signal?.aborted) return;
    const byId = new Map(results.map((r) => [r.renditionId, r]));
    const ids = fresh.map((r) => r.renditionId).join(', ');
    const renditions = job.renditions.map((r) => {
      const checked = byId.get(r.renditionId) ?? r;
      return verdict.passed || !deferred.has(r.renditionId) || r.status !== 'done' ? checked : { renditionId: r.renditionId, status: 'failed' as const, outputs: [], error: verdict.reason };
    });
    let manifests: Partial<Job> = {};
    if (verdict.passed) {
      const master = await writeHlsMaster(this.jobDir(jobId), job.recipe, renditions, src.durationSec);
      const dash = await writeDashManifest(this.jobDir(jobId), job.recipe, renditions, signal ? { signal } : {});
      manifests = manifestsOf(master ?? job.manifests?.hls, dash ?? job.manifests?.dash);
    }
    const stored = await updateJob(this.o.store, jobId, (j) =>
      recordDecision(
        { ...j, updatedAt: this.now(), renditions, ...manifests },
        verdict.passed
          ? { at: this.now(), kind: 'pipeline', action: `publish deferred rungs ${ids}`, reason: `the deadline variant published the other rungs first; ${verdict.reason}` }
          : { at: this.now(), kind: 'qc', action: `withhold deferred rungs ${ids}`, reason: verdict.reason },
      ),
    );
    await this.writeJobJson(stored);
    this.emit({ type: 'log', message: `${jobId}: ${verdict.passed ? `published deferred rung(s) ${ids}` : `deferred rung(s) ${ids} withheld: ${verdict.reason}`}` });
    this.emit({ type: 'job', job: stored });
  }

  /** A job reached a terminal state: write its record next to its outputs and leave the active set. */
  private async finished(job: Job): Promise<void> {
    const a = this.active.get(job.id);
    if (a?.work) await this.o.queue.ack(a.work);
    this.active.delete(job.id);
    if (deferredPending(job).length > 0) this.backfill.set(job.id, new Set());
    await this.writeJobJson(job);
    this.emit({ type: 'job', job });
  }

  private async writeJobJson(job: Job): Promise<void> {
    const dir = this.jobDir(job.id);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'job.json');
    await writeFile(`${path}.partial`, JSON.stringify(job, null, 2) + '\n');
    await rename(`${path}.partial`, path);
  }
}
