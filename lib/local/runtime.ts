import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RejectedInputError } from '../core/errors';
import { isTerminal, newJob, recordDecision, transition } from '../core/job';
import { planJob } from '../core/plan';
import type { EncodeTimeModel } from '../core/prediction';
import { activeLadder } from '../core/recipes';
import { marqueePolicy, type QueueEntry, type SchedulerPolicy } from '../core/scheduling';
import type { QcVerdict } from '../core/qc';
import { TIERS, type Job, type Rendition, type RenditionResult } from '../core/types';
import { ageJob, DEFAULT_VALUE_POLICY, type ValuePolicy } from '../core/value';
import { removeStalePartials, writeDashManifest, writeHlsMaster } from '../media/encode';
import { ProcessError } from '../media/process';
import { verifyRenditions } from '../media/output-checks';
import type { Clock, ContentAnalyzer, EncoderBackend, QualityMeter, QueuedWork } from '../ports';
import { systemClock } from '../ports';
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
   * Ranks queued jobs (lower key first). Default: the Marquee policy — value tier with bounded aging,
   * deadline urgency and emergency bumps — the same ranking the cloud dispatcher and the simulator use.
   */
  policy?: SchedulerPolicy;
  valuePolicy?: ValuePolicy;
  model?: EncodeTimeModel;
  /** Local pool size for allocation (how many renditions of one job may run at once). */
  localPoolSlots?: number;
  /** Encode attempts per job before it FAILS (1 = no retry). Default 2. */
  maxAttempts?: number;
  analyzeTimeoutMs?: number;
  onEvent?: (e: RuntimeEvent) => void;
  /** Called with each finished rendition's actual vs predicted time (predictor calibration). */
  onObservation?: (o: EncodeObservation) => void;
}

interface ActiveJob {
  work?: QueuedWork;
  running: Set<string>;
  verifying: boolean;
}

type Work = { kind: 'verify'; jobId: string } | { kind: 'encode'; jobId: string; rendition: Rendition };

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
    try {
      const planned = await updateJob(this.o.store, id, (j) =>
        j.status === 'RECEIVED' ? planJob(j, profile, {
              now: this.now(),
              backend: this.o.encoder.backend,
              valuePolicy: this.valuePolicy,
              allocation: { localPoolSlots: this.o.localPoolSlots ?? this.o.workers },
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
        this.active.set(job.id, { work, running: new Set(), verifying: false });
      }
    }
    for (const job of await this.o.store.listByStatus(['VERIFYING'])) this.active.set(job.id, { running: new Set(), verifying: false });
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
    for (;;) {
      while (inflight.size < this.o.workers && !signal?.aborted) {
        const work = await this.pickNext();
        if (!work) break;
        const p: Promise<void> = this.perform(work, signal).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (inflight.size === 0) break;
      await Promise.race(inflight);
    }
  }

  /** The next piece of work: a verification first (it publishes a job), else the best job's next rendition. */
  private async pickNext(): Promise<Work | undefined> {
    const jobs: Job[] = [];
    for (const [id, a] of this.active) {
      const job = await this.o.store.get(id);
      if (!job) continue;
      if (job.status === 'VERIFYING' && !a.verifying && a.running.size === 0) return { kind: 'verify', jobId: id };
      if ((job.status === 'QUEUED' || job.status === 'ENCODING') && this.pendingRenditions(job, a).length > 0) jobs.push(await this.aged(job, a));
    }
    if (jobs.length === 0) return undefined;
    const ranked = jobs.map((j) => ({ job: j, key: this.policy.rankKey(this.queueEntry(j)) }));
    ranked.sort((x, y) => x.key - y.key || x.job.createdAt - y.job.createdAt || x.job.id.localeCompare(y.job.id));
    const ordered = ranked.map((r) => r.job);
    // A job uses up to its allocated slots; a slot no other job wants goes to the best job anyway.
    const within = ordered.find((j) => (this.active.get(j.id)?.running.size ?? 0) < Math.max(1, j.allocation?.slots ?? 1));
    const job = within ?? ordered[0]!;
    const rendition = this.pendingRenditions(job, this.active.get(job.id)!)[0]!;
    return { kind: 'encode', jobId: job.id, rendition };
  }

  /** A job as the scheduling policy sees it: when it was queued and the predicted work still to do. */
  private queueEntry(job: Job): QueueEntry {
    const pending = new Set(job.renditions.filter((r) => r.status !== 'done').map((r) => r.renditionId));
    const left = (job.prediction?.renditions ?? []).filter((p) => pending.has(p.renditionId));
    return {
      job,
      queuedAt: this.active.get(job.id)?.work?.enqueuedAt ?? job.history.find((h) => h.to === 'QUEUED')?.at ?? job.createdAt,
      workP50: left.reduce((a, p) => a + p.wallSecP50, 0),
      workP90: left.reduce((a, p) => a + p.wallSecP90, 0),
      contentSec: job.profile?.source.durationSec ?? 0,
      normalisedPerMinute: 0,
      accelerated: false,
      emergency: job.adjustments.some((a) => a.kind === 'emergency'),
      boostMs: 0,
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

  /** Renditions of the active ladder still to encode, mandatory rungs first, not already running. */
  private pendingRenditions(job: Job, a: ActiveJob): Rendition[] {
    if (!job.recipe) return [];
    const pending = new Set(job.renditions.filter((r) => r.status === 'pending').map((r) => r.renditionId));
    return activeLadder(job.recipe)
      .filter((r) => pending.has(r.id) && !a.running.has(r.id))
      .sort((x, y) => Number(y.mandatory) - Number(x.mandatory));
  }

  private async perform(work: Work, signal?: AbortSignal): Promise<void> {
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
        a.running.add(work.rendition.id);
        try {
          await this.encodeRendition(work.jobId, work.rendition, signal);
        } finally {
          a.running.delete(work.rendition.id);
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

  private async encodeRendition(jobId: string, rendition: Rendition, signal?: AbortSignal): Promise<void> {
    let started = false;
    const job = await updateJob(this.o.store, jobId, (j) => {
      started = j.status === 'QUEUED';
      return started
        ? transition(j, 'ENCODING', this.now(), `encoding started on ${this.o.encoder.backend} (${j.value?.tier ?? 'untiered'}, ${this.policy.name}: ${this.policy.reason(this.queueEntry(j))})`)
        : undefined;
    });
    if (started) this.emit({ type: 'job', job });
    const predictedSec = job.prediction?.renditions.find((p) => p.renditionId === rendition.id)?.wallSecP50;
    const attempt = this.o.ledger.start(jobId, rendition.id, this.now(), predictedSec);
    this.emit({ type: 'encode-start', job, renditionId: rendition.id });
    let result: RenditionResult;
    try {
      result = await this.o.encoder.encode(
        { job, recipe: job.recipe!, rendition, outputPrefix: this.jobDir(jobId) },
        { signal, onProgress: (p) => this.emit({ type: 'encode-progress', jobId, renditionId: rendition.id, fraction: p.fraction }) },
      );
    } catch (err) {
      // Cancelled by our own signal: the rendition stays pending for the next run. (A cancellation we did
      // not ask for counts as a failure, so it can never spin the dispatcher.)
      if (signal?.aborted) {
        this.o.ledger.finish(attempt, 'cancelled', this.now());
        this.emit({ type: 'encode-end', jobId, renditionId: rendition.id, outcome: 'cancelled' });
        return;
      }
      const error = errorText(err);
      this.o.ledger.finish(attempt, 'failed', this.now(), { error });
      await updateJob(this.o.store, jobId, (j) => ({
        ...j,
        updatedAt: this.now(),
        renditions: j.renditions.map((r) => (r.renditionId === rendition.id ? { renditionId: r.renditionId, status: 'failed', outputs: [], backend: this.o.encoder.backend, error } : r)),
      }));
      this.emit({ type: 'encode-end', jobId, renditionId: rendition.id, outcome: 'failed', error });
      return;
    }
    this.o.ledger.finish(attempt, 'done', this.now(), { wallSec: result.wallSec, cpuSec: result.cpuSec });
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
        { ...(this.o.quality ? { meter: this.o.quality } : {}), width: src.width, height: src.height, sourceDurationSec: src.durationSec, sourceHasAudio: src.audio !== null, ...(signal ? { signal } : {}) },
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
        ? transition({ ...j, renditions: withQuality }, 'PUBLISHED', this.now(), `${verdict.reason}; ${checked.length} rendition(s)${master ? ' + HLS master' : ''}${dash ? ' + DASH' : ''}; ${summary}`)
        : undefined,
    );
    await removeStalePartials(this.jobDir(jobId));
    await this.finished(published);
  }

  /** A job reached a terminal state: write its record next to its outputs and leave the active set. */
  private async finished(job: Job): Promise<void> {
    const a = this.active.get(job.id);
    if (a?.work) await this.o.queue.ack(a.work);
    this.active.delete(job.id);
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
