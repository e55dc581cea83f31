import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isTerminal } from '../core/job';
import { activeLadder } from '../core/recipes';
import type { Job, JobStatus } from '../core/types';
import type { EncodeAttempt } from './ledger';

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
  /** ffmpeg encodes started for this job (more than the ladder means retries or resumed runs). */
  encodeAttempts: number;
}

export interface RunReport {
  generatedAt: string;
  outDir: string;
  wallSec: number;
  workers: number;
  interrupted: boolean;
  counts: Partial<Record<JobStatus, number>> & { total: number };
  jobs: JobReport[];
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
  const inLadder = new Set(ladder.map((r) => r.id));
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
  return {
    generatedAt: new Date(input.now).toISOString(),
    outDir: input.outDir,
    wallSec: round(input.wallSec, 1)!,
    workers: input.workers,
    interrupted: input.interrupted,
    counts,
    jobs,
  };
}

export async function writeRunReport(path: string, report: RunReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.partial`, JSON.stringify(report, null, 2) + '\n');
  await rename(`${path}.partial`, path);
}

const fmt = (n: number | undefined, d = 1) => (n === undefined ? '–' : n.toFixed(d));

/** The report as a text table (one row per job) with a summary line. */
export function formatRunReport(report: RunReport): string {
  const header = ['job', 'tier', 'value', 'class', 'recipe', 'pred s', 'actual s', 'deadline', 'quality', 'status'];
  const rows = report.jobs.map((j) => [
    j.id.length > 30 ? `${j.id.slice(0, 29)}…` : j.id,
    j.tier ?? '–',
    fmt(j.valueScore),
    j.contentClass ?? '–',
    j.recipe?.summary ?? '–',
    fmt(j.predictedSec),
    fmt(j.actualSec),
    j.deadlineMet === undefined ? '–' : j.deadlineMet ? 'met' : 'MISSED',
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
  ].join('\n');
}
