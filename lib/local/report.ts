import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isTerminal } from '../core/job';
import { activeLadder } from '../core/recipes';
import type { Job, JobStatus } from '../core/types';
import type { EncodeAttempt } from './ledger';
import { feedbackFromJob, feedbackReport } from './training/feedback';

/** Predicted (P50) vs actual encode wall time. */
export interface PredictionError {
  /** Renditions compared (done, with a prediction and a measured time). */
  renditions: number;
  /** Mean absolute percentage error per rendition, |predicted − actual| / actual, in percent. */
  mapePct: number;
  /** Share of renditions predicted within ±15% of the actual time (0..1). */
  within15: number;
}

/** A deadline-management action taken on a job (a `deadline` Decision). */
export interface DeadlineActionReport {
  at: string;
  action: string;
  reason: string;
  expectedGainSec?: number;
  qualityCostVmaf?: number;
}

/** One job in `report.json`. */
export interface JobReport {
  id: string;
  /** The input path as given on the command line. */
  source: string;
  status: JobStatus;
  /** Why the job was rejected or failed (absent when it published). */
  reason?: string;
  title?: string;
  tier?: string;
  valueScore?: number;
  contentClass?: string;
  difficulty?: number;
  recipe?: { id: string; renditions: string[]; packaging: string[]; summary: string };
  predictedSec?: number;
  predictedP90Sec?: number;
  /** Sum of the renditions' encode wall times (what the prediction predicts). */
  actualSec?: number;
  cpuSec?: number;
  /** Upload to terminal state, wall clock. */
  turnaroundSec?: number;
  deadlineAt?: string;
  finishedAt?: string;
  deadlineMet?: boolean;
  quality?: { minPsnr?: number; minSsim?: number; minVmaf?: number };
  outputDir: string;
  /** Streaming manifests of a published job (HLS master playlist, DASH MPD), when its recipe packages them. */
  manifests?: { hls?: string; dash?: string };
  renditions: Array<{ id: string; status: string; outputs: string[]; bytes?: number; wallSec?: number; predictedSec?: number; psnr?: number; ssim?: number; vmaf?: number }>;
  /** ffmpeg encodes started for this job, chunks and joins included (more than the ladder means chunks, retries or resumed runs). */
  encodeAttempts: number;
  /** Signed error of the job's predicted total vs actual, (predicted − actual) / actual, percent. */
  predictionErrorPct?: number;
  /** Per-rendition prediction error of this job. */
  predictionError?: PredictionError;
  /** Deadline actions taken (priority raise, faster variant), oldest first. */
  deadlineActions?: DeadlineActionReport[];
  /** The recipe variant encoded when it is not the full-quality one (e.g. `fast-preset`). */
  variant?: string;
  /** Rungs the active variant deferred: encoded after the job published (when the pool had nothing else), then added to the manifests. */
  deferredRenditions?: string[];
  /** Renditions encoded as chunks: rendition id → number of chunks. */
  chunked?: Record<string, number>;
}

export interface RunReport {
  generatedAt: string;
  outDir: string;
  wallSec: number;
  workers: number;
  interrupted: boolean;
  counts: Partial<Record<JobStatus, number>> & { total: number };
  /** Prediction error over every encoded rendition of the run's jobs (absent when none was encoded). */
  prediction?: PredictionError & { byBackend: Array<PredictionError & { backend: string }> };
  /** Deadline actions taken over the run, and on how many jobs. */
  deadlineActions: { actions: number; jobs: number };
  jobs: JobReport[];
}

/** Prediction error of feedback records (lib/local/training/feedback), folded over backends. */
function predictionError(job: readonly Job[]): (PredictionError & { byBackend: Array<PredictionError & { backend: string }> }) | undefined {
  const per = feedbackReport(job.flatMap(feedbackFromJob));
  const n = per.reduce((a, b) => a + b.n, 0);
  if (n === 0) return undefined;
  const fold = (f: (b: (typeof per)[number]) => number) => per.reduce((a, b) => a + f(b) * b.n, 0) / n;
  return {
    renditions: n,
    mapePct: round(fold((b) => b.mapeWall))!,
    within15: round(fold((b) => b.within15Wall), 3)!,
    byBackend: per.map((b) => ({ backend: b.backend, renditions: b.n, mapePct: round(b.mapeWall)!, within15: round(b.within15Wall, 3)! })),
  };
}

const round = (n: number | undefined, d = 2): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Math.round(n * 10 ** d) / 10 ** d);
const min = (xs: Array<number | undefined>): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.min(...v) : undefined;
};

/** The report entry of one job. */
export function jobReport(job: Job, input: string | undefined, outDir: string, attempts: readonly EncodeAttempt[]): JobReport {
  const terminalAt = isTerminal(job.status) ? job.history.findLast((h) => h.to === job.status)?.at : undefined;
  const ladder = job.recipe ? activeLadder(job.recipe) : [];
  // The active ladder, plus deferred rungs published later.
  const inLadder = new Set([...ladder.map((r) => r.id), ...job.renditions.filter((r) => r.status === 'done').map((r) => r.renditionId)]);
  const renditions = job.renditions.filter((r) => inLadder.has(r.renditionId));
  const done = renditions.filter((r) => r.status === 'done');
  const predicted = new Map(job.prediction?.renditions.map((p) => [p.renditionId, p.wallSecP50]) ?? []);
  const heights = ladder.map((r) => r.height);
  const out: JobReport = {
    id: job.id,
    source: input ?? job.source.uri,
    status: job.status,
    outputDir: join(outDir, job.id),
    renditions: renditions.map((r) => ({
      id: r.renditionId,
      status: r.status,
      outputs: r.outputs,
      ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
      ...(r.wallSec !== undefined ? { wallSec: round(r.wallSec) } : {}),
      ...(predicted.has(r.renditionId) ? { predictedSec: round(predicted.get(r.renditionId)) } : {}),
      ...(r.quality ? { psnr: round(r.quality.psnr), ssim: round(r.quality.ssim, 4), ...(r.quality.vmaf !== undefined ? { vmaf: round(r.quality.vmaf) } : {}) } : {}),
    })),
    encodeAttempts: attempts.filter((a) => a.jobId === job.id).length,
  };
  if (job.reason && job.status !== 'PUBLISHED') out.reason = job.reason;
  if (job.metadata.title) out.title = job.metadata.title;
  if (job.value) {
    out.tier = job.value.tier;
    out.valueScore = round(job.value.score, 1);
  }
  if (job.profile) {
    out.contentClass = job.profile.contentClass;
    out.difficulty = round(job.profile.difficulty);
  }
  if (job.recipe) {
    out.recipe = {
      id: job.recipe.id,
      renditions: ladder.map((r) => r.id),
      packaging: job.recipe.packaging,
      summary: `${ladder.length}× ${ladder[0]?.codec ?? 'h264'} ${heights.length ? `${Math.min(...heights)}–${Math.max(...heights)}p` : ''} ${ladder[0]?.preset ?? ''} ${job.recipe.packaging.join('+')}`.replace(/\s+/g, ' ').trim(),
    };
  }
  if (job.status === 'PUBLISHED' && job.recipe) {
    const hls = job.recipe.packaging.includes('hls') && done.some((r) => r.outputs.some((o) => o.endsWith('.m3u8')));
    const dash = job.recipe.packaging.includes('dash') && done.some((r) => r.outputs.some((o) => o.endsWith('.mp4')));
    if (hls || dash) out.manifests = { ...(hls ? { hls: join(out.outputDir, 'hls', 'master.m3u8') } : {}), ...(dash ? { dash: join(out.outputDir, 'dash', 'manifest.mpd') } : {}) };
  }
  if (job.prediction) {
    out.predictedSec = round(job.prediction.wallSecP50);
    out.predictedP90Sec = round(job.prediction.wallSecP90);
  }
  const err = predictionError([job]);
  if (err) {
    out.predictionError = { renditions: err.renditions, mapePct: err.mapePct, within15: err.within15 };
    const records = feedbackFromJob(job);
    const predictedSum = records.reduce((a, r) => a + r.predictedWallSec, 0);
    const actualSum = records.reduce((a, r) => a + r.actualWallSec, 0);
    if (actualSum > 0) out.predictionErrorPct = round((100 * (predictedSum - actualSum)) / actualSum, 1);
  }
  const deadline = job.decisions.filter((d) => d.kind === 'deadline');
  if (deadline.length > 0) {
    out.deadlineActions = deadline.map((d) => ({
      at: new Date(d.at).toISOString(),
      action: d.action,
      reason: d.reason,
      ...(d.expectedGainSec !== undefined ? { expectedGainSec: round(d.expectedGainSec, 1) } : {}),
      ...(d.qualityCostVmaf !== undefined ? { qualityCostVmaf: d.qualityCostVmaf } : {}),
    }));
  }
  const variant = job.recipe?.variants[job.recipe.activeVariant];
  if (variant && variant.level > 0) {
    out.variant = variant.name;
    if (variant.deferredRenditionIds.length > 0) out.deferredRenditions = [...variant.deferredRenditionIds];
  }
  const chunked: Record<string, number> = {};
  for (const a of attempts) {
    const m = a.jobId === job.id ? /^(.+)#\d+\/(\d+)$/.exec(a.renditionId) : null;
    if (m) chunked[m[1]!] = Number(m[2]);
  }
  if (Object.keys(chunked).length > 0) out.chunked = chunked;
  if (done.length > 0) {
    out.actualSec = round(done.reduce((s, r) => s + (r.wallSec ?? 0), 0));
    out.cpuSec = round(done.reduce((s, r) => s + (r.cpuSec ?? 0), 0));
    out.quality = {
      ...(min(done.map((r) => r.quality?.psnr)) !== undefined ? { minPsnr: round(min(done.map((r) => r.quality?.psnr))) } : {}),
      ...(min(done.map((r) => r.quality?.ssim)) !== undefined ? { minSsim: round(min(done.map((r) => r.quality?.ssim)), 4) } : {}),
      ...(min(done.map((r) => r.quality?.vmaf)) !== undefined ? { minVmaf: round(min(done.map((r) => r.quality?.vmaf))) } : {}),
    };
  }
  if (job.deadlineAt < Number.MAX_SAFE_INTEGER) out.deadlineAt = new Date(job.deadlineAt).toISOString();
  if (terminalAt !== undefined) {
    out.finishedAt = new Date(terminalAt).toISOString();
    out.turnaroundSec = round((terminalAt - job.createdAt) / 1000, 1);
    if (job.status === 'PUBLISHED') out.deadlineMet = terminalAt <= job.deadlineAt;
  }
  return out;
}

/** Build the whole run's report. */
export function buildRunReport(input: {
  jobs: readonly Job[];
  inputs: ReadonlyMap<string, string>;
  attempts: readonly EncodeAttempt[];
  outDir: string;
  wallSec: number;
  workers: number;
  interrupted: boolean;
  now: number;
}): RunReport {
  const jobs = input.jobs.map((j) => jobReport(j, input.inputs.get(j.id), input.outDir, input.attempts));
  const counts: RunReport['counts'] = { total: jobs.length };
  for (const j of jobs) counts[j.status] = (counts[j.status] ?? 0) + 1;
  const prediction = predictionError(input.jobs);
  const withActions = jobs.filter((j) => (j.deadlineActions?.length ?? 0) > 0);
  return {
    generatedAt: new Date(input.now).toISOString(),
    outDir: input.outDir,
    wallSec: round(input.wallSec, 1)!,
    workers: input.workers,
    interrupted: input.interrupted,
    counts,
    ...(prediction ? { prediction } : {}),
    deadlineActions: { actions: withActions.reduce((a, j) => a + j.deadlineActions!.length, 0), jobs: withActions.length },
    jobs,
  };
}

export async function writeRunReport(path: string, report: RunReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.partial`, JSON.stringify(report, null, 2) + '\n');
  await rename(`${path}.partial`, path);
}

const fmt = (n: number | undefined, d = 1) => (n === undefined ? '–' : n.toFixed(d));

/** Deadline column suffix: what deadline management did (`↑` priority raised, the variant switched to) and chunking. */
function deadlineNote(j: JobReport): string {
  const marks: string[] = [];
  if (j.deadlineActions?.some((d) => d.action === 'raise-priority')) marks.push('↑');
  if (j.variant) marks.push(j.variant);
  return marks.length ? ` (${marks.join(' ')})` : '';
}

/** The report as a text table (one row per job) with a summary line. */
export function formatRunReport(report: RunReport): string {
  const header = ['job', 'tier', 'value', 'class', 'recipe', 'pred s', 'actual s', 'err %', 'deadline', 'quality', 'status'];
  const rows = report.jobs.map((j) => [
    j.id.length > 30 ? `${j.id.slice(0, 29)}…` : j.id,
    j.tier ?? '–',
    fmt(j.valueScore),
    j.contentClass ?? '–',
    j.recipe?.summary ?? '–',
    fmt(j.predictedSec),
    fmt(j.actualSec),
    j.predictionErrorPct === undefined ? '–' : `${j.predictionErrorPct > 0 ? '+' : ''}${j.predictionErrorPct.toFixed(0)}`,
    (j.deadlineMet === undefined ? '–' : j.deadlineMet ? 'met' : 'MISSED') + deadlineNote(j),
    j.quality?.minPsnr !== undefined ? `${fmt(j.quality.minPsnr)} dB / ${fmt(j.quality.minSsim, 3)}${j.quality.minVmaf !== undefined ? ` / ${fmt(j.quality.minVmaf)}` : ''}` : '–',
    j.status + (j.reason ? `: ${j.reason.length > 70 ? `${j.reason.slice(0, 69)}…` : j.reason}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const counts = Object.entries(report.counts)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return [
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    `${report.counts.total} job(s): ${counts || 'none'} — wall ${report.wallSec.toFixed(1)} s on ${report.workers} worker(s)${report.interrupted ? ' (interrupted: run again to resume)' : ''}`,
    report.prediction
      ? `prediction (P50 vs actual encode wall): MAPE ${report.prediction.mapePct.toFixed(1)}% over ${report.prediction.renditions} rendition(s), ${(100 * report.prediction.within15).toFixed(0)}% within ±15%`
      : 'prediction: no rendition encoded',
    `deadline watch: ${report.deadlineActions.actions} action(s) on ${report.deadlineActions.jobs} job(s)` +
      (report.deadlineActions.jobs > 0 ? ` (${report.jobs.filter((j) => j.deadlineActions).map((j) => `${j.id.slice(0, 24)}: ${j.deadlineActions!.map((d) => d.action).join(', ')}`).join('; ')})` : ''),
  ].join('\n');
}
