/**
 * The AWS Batch GPU worker: reads its job from the jobs table, downloads the source, encodes every
 * rendition of the active ladder with lib/media's ffmpeg encoder (NVENC-capable ffmpeg in the image,
 * CPU x264 when no GPU is present), uploads the outputs and a manifest, and exits with a code the
 * Complete handler and the job definition's retry strategy understand (lib/aws/worker-exit.ts).
 * SIGTERM (spot reclaim) aborts the encode, uploads nothing, and exits "interrupted" so Batch retries.
 *
 * Modes (MARQUEE_MODE): `whole` encodes the title in one job; a chunked title runs as an array job
 * whose children (`chunk`, index AWS_BATCH_JOB_ARRAY_INDEX) each encode their closed-GOP chunk of
 * every chunked rung to `<prefix>chunks/<i>/` (plus any rung the plan leaves whole), then a `join`
 * job concatenates each rung's chunks by stream copy (lib/media/chunked), packages HLS and writes
 * the manifest Complete reads. Every mode recomputes the chunk plan from the job (lib/aws/chunk-plan).
 * Whole and join modes end by writing the HLS master playlist (`<prefix>hls/master.m3u8`, listed as
 * `hlsMaster` in the manifest) over every HLS rendition of the ladder. A chunk child that finds bad
 * input leaves `<prefix>chunks/rejected.json` (lib/aws/worker-exit) before exiting `badInput`, so
 * Complete can reject the job when Batch fails the join for it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { WorkerManifest } from '../../lib/aws/flow/common';
import { readEnv } from '../../lib/aws/env';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { S3ObjectStore } from '../../lib/aws/object-store';
import { cloudChunkPlan, type CloudChunkPlan } from '../../lib/aws/chunk-plan';
import { chunkRejectionUri, WORKER_EXIT, type ChunkRejection } from '../../lib/aws/worker-exit';
import { RejectedInputError } from '../../lib/core/errors';
import { activeLadder } from '../../lib/core/recipes';
import type { Job, Rendition, RenditionResult } from '../../lib/core/types';
import type { JobStore } from '../../lib/ports';
import { encodeChunk, joinChunks, packageHls } from '../../lib/media/chunked';
import { LocalFfmpegEncoder, writeHlsMaster } from '../../lib/media/encode';

/** What this container does: the whole title, one chunk of every rung (array child), or the join. */
export type WorkerMode = { kind: 'whole' } | { kind: 'chunk'; index: number; planCap: number } | { kind: 'join'; planCap: number };

/** What a chunk child leaves at `<prefix>chunks/<i>/manifest.json` for the join. */
export interface ChunkManifest {
  index: number;
  chunks: { renditionId: string; wallSec: number; cpuSec: number }[];
  /** Rungs this child encoded whole, already published at their final place. */
  whole: WorkerManifest['renditions'];
}

type Manifest = WorkerManifest['renditions'];

export interface WorkerDeps {
  store: JobStore;
  objects: S3ObjectStore;
  jobId: string;
  attempt: number;
  outputPrefix: string;
  workDir: string;
  signal: AbortSignal;
  /** Default `whole`. */
  mode?: WorkerMode;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

/** A GPU is present when the NVIDIA device nodes are (the ECS GPU AMI maps them into the container). */
export const hasGpu = (): boolean => existsSync('/dev/nvidia0') || existsSync('/proc/driver/nvidia/version');

const CONTENT_TYPES: Record<string, string> = { '.mp4': 'video/mp4', '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.m4s': 'video/iso.segment' };

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** Upload every file under `dir` to `prefix` + its relative path; returns the relative paths. */
async function uploadAll(objects: S3ObjectStore, dir: string, prefix: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const rels: string[] = [];
  for (const file of await filesUnder(dir)) {
    const rel = relative(dir, file);
    await objects.upload(file, `${prefix}${rel}`, CONTENT_TYPES[rel.slice(rel.lastIndexOf('.'))]);
    rels.push(rel);
  }
  return rels;
}

/** The published outputs of a rung among uploaded relative paths: its MP4 and its HLS playlist. */
const outputsOf = (renditionId: string, rels: readonly string[], prefix: string): string[] =>
  rels.filter((rel) => rel === `${renditionId}.mp4` || (rel.startsWith(`hls/${renditionId}/`) && rel.endsWith('.m3u8'))).map((rel) => `${prefix}${rel}`);

/** Encode these rungs whole into `outDir` (the single-pass encoder: MP4 and HLS as the recipe asks). */
async function encodeWhole(job: Job, source: string, rungs: readonly Rendition[], outDir: string, signal: AbortSignal): Promise<Manifest> {
  const encoder = new LocalFfmpegEncoder({});
  const local = { ...job, source: { ...job.source, uri: source } };
  const out: Manifest = [];
  for (const rendition of rungs) {
    const started = performance.now();
    const result = await encoder.encode({ job: local, recipe: job.recipe!, rendition, outputPrefix: outDir }, { signal });
    if (result.status !== 'done') throw new Error(result.error ?? `rendition ${rendition.id} failed`);
    out.push({ renditionId: rendition.id, outputs: [], bytes: result.bytes ?? 0, wallSec: (performance.now() - started) / 1000, ...(result.cpuSec !== undefined ? { cpuSec: result.cpuSec } : {}) });
  }
  return out;
}

/**
 * Write the HLS master playlist over the ladder's published HLS renditions (their uploaded playlists at
 * `<prefix>hls/<id>/index.m3u8`, whether this container or a chunk child uploaded them) and upload it
 * to `<prefix>hls/master.m3u8`. Returns its URI, or undefined when the recipe packages no HLS.
 */
async function publishHlsMaster(deps: WorkerDeps, job: Job, renditions: Manifest): Promise<string | undefined> {
  const results: RenditionResult[] = renditions.map((r) => ({ renditionId: r.renditionId, status: 'done', outputs: r.outputs, bytes: r.bytes }));
  const local = await writeHlsMaster(join(deps.workDir, 'master'), job.recipe!, results, job.profile?.source.durationSec);
  if (!local) return undefined;
  const uri = `${deps.outputPrefix}hls/master.m3u8`;
  await deps.objects.upload(local, uri, CONTENT_TYPES['.m3u8']);
  return uri;
}

/** Whole mode: every rung in this container; outputs and manifest are uploaded only when all are done. */
async function runWhole(deps: WorkerDeps, job: Job, source: string): Promise<Manifest> {
  const outDir = join(deps.workDir, 'out');
  const renditions = await encodeWhole(job, source, activeLadder(job.recipe!), outDir, deps.signal);
  const rels = await uploadAll(deps.objects, outDir, deps.outputPrefix);
  for (const r of renditions) r.outputs.push(...outputsOf(r.renditionId, rels, deps.outputPrefix));
  return renditions;
}

function planFor(job: Job, planCap: number, index?: number): CloudChunkPlan {
  const plan = cloudChunkPlan(job, planCap);
  if (plan.width < 2 || (index !== undefined && index >= plan.width)) throw new Error(`the chunk plan has ${plan.width} children (cap ${planCap}); this is child ${index ?? 'join'}`);
  return plan;
}

/** Chunk mode: this child's chunk of every chunked rung, plus the rungs the plan gives it whole. */
async function runChunk(deps: WorkerDeps, job: Job, source: string, mode: { index: number; planCap: number }): Promise<void> {
  const plan = planFor(job, mode.planCap, mode.index);
  const ladder = activeLadder(job.recipe!);
  const chunkDir = join(deps.workDir, 'chunks');
  const manifest: ChunkManifest = { index: mode.index, chunks: [], whole: [] };
  for (const { renditionId, chunks } of plan.chunked) {
    const chunk = chunks[mode.index];
    if (!chunk) continue; // this rung has fewer chunks than the array has children
    const started = performance.now();
    const res = await encodeChunk({ source, rendition: ladder.find((r) => r.id === renditionId)!, chunk, outPath: join(chunkDir, `${renditionId}.mp4`), signal: deps.signal });
    manifest.chunks.push({ renditionId, wallSec: (performance.now() - started) / 1000, cpuSec: res.cpuSec });
  }
  const wholeIds = new Set(plan.whole.filter((w) => w.child === mode.index).map((w) => w.renditionId));
  const wholeDir = join(deps.workDir, 'whole');
  manifest.whole = await encodeWhole(job, source, ladder.filter((r) => wholeIds.has(r.id)), wholeDir, deps.signal);
  // Upload only when this child's work is all done (a reclaimed child leaves nothing half-written).
  const rels = await uploadAll(deps.objects, wholeDir, deps.outputPrefix);
  for (const r of manifest.whole) r.outputs.push(...outputsOf(r.renditionId, rels, deps.outputPrefix));
  await uploadAll(deps.objects, chunkDir, `${deps.outputPrefix}chunks/${mode.index}/`);
  await deps.objects.writeText(`${deps.outputPrefix}chunks/${mode.index}/manifest.json`, JSON.stringify(manifest));
}

/** Join mode: per chunked rung, fetch its chunks, join by stream copy (+ audio), package HLS; gather the children's manifests. */
async function runJoin(deps: WorkerDeps, job: Job, source: string, mode: { planCap: number }): Promise<Manifest> {
  const plan = planFor(job, mode.planCap);
  const recipe = job.recipe!;
  const ladder = activeLadder(recipe);
  const children: ChunkManifest[] = [];
  for (let i = 0; i < plan.width; i++) {
    const text = await deps.objects.readText(`${deps.outputPrefix}chunks/${i}/manifest.json`);
    if (!text) throw new Error(`chunk child ${i} left no manifest`);
    children.push(JSON.parse(text) as ChunkManifest);
  }
  const outDir = join(deps.workDir, 'out');
  const renditions: Manifest = children.flatMap((c) => c.whole);
  for (const { renditionId, chunks } of plan.chunked) {
    const started = performance.now();
    const rendition = ladder.find((r) => r.id === renditionId)!;
    const paths: string[] = [];
    for (const c of chunks) {
      const path = join(deps.workDir, 'chunks', renditionId, `${String(c.index).padStart(4, '0')}.mp4`);
      await mkdir(dirname(path), { recursive: true });
      await deps.objects.download(`${deps.outputPrefix}chunks/${c.index}/${renditionId}.mp4`, path);
      paths.push(path);
    }
    const mp4 = join(outDir, `${renditionId}.mp4`);
    const joined = await joinChunks({ source, rendition, audio: recipe.audio, chunks, chunkPaths: paths, outPath: mp4, workDir: join(deps.workDir, 'join'), signal: deps.signal });
    if (recipe.packaging.includes('hls')) await packageHls(mp4, join(outDir, 'hls', renditionId), { gopSeconds: recipe.gopSeconds, fmp4: rendition.codec !== 'h264', signal: deps.signal });
    const mine = children.flatMap((c) => c.chunks.filter((x) => x.renditionId === renditionId));
    renditions.push({
      renditionId,
      outputs: [],
      bytes: (await stat(mp4)).size,
      // The rung's wall: its slowest chunk (they ran side by side) plus this join.
      wallSec: Math.max(0, ...mine.map((x) => x.wallSec)) + (performance.now() - started) / 1000,
      cpuSec: mine.reduce((a, x) => a + x.cpuSec, 0) + joined.cpuSec,
    });
  }
  const rels = await uploadAll(deps.objects, outDir, deps.outputPrefix);
  for (const r of renditions) if (r.outputs.length === 0) r.outputs.push(...outputsOf(r.renditionId, rels, deps.outputPrefix));
  return renditions;
}

/**
 * Exit `badInput`. A chunk child first leaves its reason at `chunkRejectionUri` (the join it fails never
 * runs, so its event has no exit code for Complete to read); a failed write still exits `badInput`.
 */
async function rejectInput(deps: WorkerDeps, mode: WorkerMode, reason: string, log: NonNullable<WorkerDeps['log']>): Promise<number> {
  log('bad input', { mode: mode.kind, reason: reason.slice(0, 500) });
  if (mode.kind === 'chunk') {
    const marker: ChunkRejection = { index: mode.index, reason: reason.slice(0, 1000) };
    await deps.objects.writeText(chunkRejectionUri(deps.outputPrefix), JSON.stringify(marker)).catch((e: unknown) => log('rejection marker not written', { error: (e as Error).message.slice(0, 200) }));
  }
  return WORKER_EXIT.badInput;
}

/** Encode a job (or its chunk, or join its chunks); returns the exit code. */
export async function runWorker(deps: WorkerDeps): Promise<number> {
  const log = deps.log ?? (() => undefined);
  const mode = deps.mode ?? { kind: 'whole' };
  const job = await deps.store.get(deps.jobId);
  if (!job?.recipe) return rejectInput(deps, mode, `job ${deps.jobId} or its recipe is missing`, log);
  const gpu = hasGpu();
  const source = join(deps.workDir, 'source');
  try {
    await deps.objects.download(job.source.uri, source, job.source.version && job.source.version !== 'null' ? job.source.version : undefined);
    if (mode.kind === 'chunk') {
      await runChunk(deps, job, source, mode);
      log('chunk done', { index: mode.index, gpu });
      return WORKER_EXIT.ok;
    }
    const renditions = mode.kind === 'join' ? await runJoin(deps, job, source, mode) : await runWhole(deps, job, source);
    // The master goes up before the manifest: Complete reads the manifest as the sign that all is published.
    const hlsMaster = await publishHlsMaster(deps, job, renditions);
    const manifest: WorkerManifest = { jobId: job.id, attempt: deps.attempt, gpu, renditions, ...(hlsMaster ? { hlsMaster } : {}) };
    await deps.objects.writeText(`${deps.outputPrefix}manifest.json`, JSON.stringify(manifest));
    log('done', { mode: mode.kind, renditions: manifest.renditions.length, gpu });
    return WORKER_EXIT.ok;
  } catch (e) {
    if (deps.signal.aborted) {
      log('interrupted: exiting for a Batch retry');
      return WORKER_EXIT.interrupted;
    }
    if (e instanceof RejectedInputError) return rejectInput(deps, mode, e.message, log);
    log('encode failed', { mode: mode.kind, error: (e as Error).message.slice(0, 500) });
    return WORKER_EXIT.failed;
  }
}

/** The mode from the container's environment (a chunk child's index is the array index Batch sets). */
export function modeFromEnv(env: { MARQUEE_MODE: 'whole' | 'chunk' | 'join'; MARQUEE_CHUNK_CAP?: number | undefined; AWS_BATCH_JOB_ARRAY_INDEX?: number | undefined }): WorkerMode {
  if (env.MARQUEE_MODE === 'whole') return { kind: 'whole' };
  if (!env.MARQUEE_CHUNK_CAP) throw new Error(`MARQUEE_MODE=${env.MARQUEE_MODE} needs MARQUEE_CHUNK_CAP`);
  if (env.MARQUEE_MODE === 'join') return { kind: 'join', planCap: env.MARQUEE_CHUNK_CAP };
  if (env.AWS_BATCH_JOB_ARRAY_INDEX === undefined) throw new Error('MARQUEE_MODE=chunk runs as an array child (AWS_BATCH_JOB_ARRAY_INDEX)');
  return { kind: 'chunk', index: env.AWS_BATCH_JOB_ARRAY_INDEX, planCap: env.MARQUEE_CHUNK_CAP };
}

/** Container entry point. */
export async function main(): Promise<void> {
  const env = readEnv(
    z.object({
      JOBS_TABLE: z.string().min(3),
      MARQUEE_JOB_ID: z.string().min(1),
      MARQUEE_ATTEMPT: z.coerce.number().int().positive().default(1),
      MARQUEE_OUTPUT_PREFIX: z.string().startsWith('s3://'),
      MARQUEE_MODE: z.enum(['whole', 'chunk', 'join']).default('whole'),
      MARQUEE_CHUNK_CAP: z.coerce.number().int().positive().optional(),
      AWS_BATCH_JOB_ARRAY_INDEX: z.coerce.number().int().nonnegative().optional(),
    }),
  );
  const mode = modeFromEnv(env);
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());
  const workDir = await mkdtemp(join(tmpdir(), 'marquee-'));
  const log = (msg: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ level: 'INFO', msg, jobId: env.MARQUEE_JOB_ID, ...data }));
  try {
    process.exitCode = await runWorker({
      store: new DynamoJobStore(new DynamoDBClient({}), env.JOBS_TABLE),
      objects: new S3ObjectStore(new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' })),
      jobId: env.MARQUEE_JOB_ID,
      attempt: env.MARQUEE_ATTEMPT,
      outputPrefix: env.MARQUEE_OUTPUT_PREFIX.endsWith('/') ? env.MARQUEE_OUTPUT_PREFIX : `${env.MARQUEE_OUTPUT_PREFIX}/`,
      workDir,
      signal: controller.signal,
      mode,
      log,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) void main();
