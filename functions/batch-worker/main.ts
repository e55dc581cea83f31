/**
 * The AWS Batch GPU worker: reads its job from the jobs table, downloads the source, encodes every
 * rendition of the active ladder with lib/media's ffmpeg encoder (NVENC-capable ffmpeg in the image,
 * CPU x264 when no GPU is present), uploads the outputs and a manifest, and exits with a code the
 * Complete handler and the job definition's retry strategy understand (lib/aws/worker-exit.ts).
 * SIGTERM (spot reclaim) aborts the encode, uploads nothing, and exits "interrupted" so Batch retries.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { WorkerManifest } from '../../lib/aws/flow/common';
import { readEnv } from '../../lib/aws/env';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { S3ObjectStore } from '../../lib/aws/object-store';
import { WORKER_EXIT } from '../../lib/aws/worker-exit';
import { RejectedInputError } from '../../lib/core/errors';
import { activeLadder } from '../../lib/core/recipes';
import type { JobStore } from '../../lib/ports';
import { LocalFfmpegEncoder } from '../../lib/media/encode';

export interface WorkerDeps {
  store: JobStore;
  objects: S3ObjectStore;
  jobId: string;
  attempt: number;
  outputPrefix: string;
  workDir: string;
  signal: AbortSignal;
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

/** Encode a job; returns the exit code. */
export async function runWorker(deps: WorkerDeps): Promise<number> {
  const log = deps.log ?? (() => undefined);
  const job = await deps.store.get(deps.jobId);
  if (!job?.recipe) {
    log('job or recipe missing', { jobId: deps.jobId });
    return WORKER_EXIT.badInput;
  }
  const gpu = hasGpu();
  const source = join(deps.workDir, 'source');
  const outDir = join(deps.workDir, 'out');
  try {
    await deps.objects.download(job.source.uri, source, job.source.version && job.source.version !== 'null' ? job.source.version : undefined);
    const encoder = new LocalFfmpegEncoder({});
    const local = { ...job, source: { ...job.source, uri: source } };
    const manifest: WorkerManifest = { jobId: job.id, attempt: deps.attempt, gpu, renditions: [] };
    for (const rendition of activeLadder(job.recipe)) {
      const started = performance.now();
      const result = await encoder.encode({ job: local, recipe: job.recipe, rendition, outputPrefix: outDir }, { signal: deps.signal });
      if (result.status !== 'done') throw new Error(result.error ?? `rendition ${rendition.id} failed`);
      manifest.renditions.push({ renditionId: rendition.id, outputs: [], bytes: result.bytes ?? 0, wallSec: (performance.now() - started) / 1000, cpuSec: result.cpuSec });
    }
    // Upload only when every rendition is done: an interrupted attempt leaves nothing half-published.
    for (const file of await filesUnder(outDir)) {
      const rel = relative(outDir, file);
      const uri = `${deps.outputPrefix}${rel}`;
      await deps.objects.upload(file, uri, CONTENT_TYPES[rel.slice(rel.lastIndexOf('.'))]);
      const owner = manifest.renditions.find((r) => rel === `${r.renditionId}.mp4` || rel.startsWith(`hls/${r.renditionId}/`));
      if (owner && (rel.endsWith('.mp4') || rel.endsWith('.m3u8'))) owner.outputs.push(uri);
    }
    await deps.objects.writeText(`${deps.outputPrefix}manifest.json`, JSON.stringify(manifest));
    log('done', { renditions: manifest.renditions.length, gpu });
    return WORKER_EXIT.ok;
  } catch (e) {
    if (deps.signal.aborted) {
      log('interrupted: exiting for a Batch retry');
      return WORKER_EXIT.interrupted;
    }
    if (e instanceof RejectedInputError) return WORKER_EXIT.badInput;
    log('encode failed', { error: (e as Error).message.slice(0, 500) });
    return WORKER_EXIT.failed;
  }
}

/** Container entry point. */
export async function main(): Promise<void> {
  const env = readEnv(
    z.object({
      JOBS_TABLE: z.string().min(3),
      MARQUEE_JOB_ID: z.string().min(1),
      MARQUEE_ATTEMPT: z.coerce.number().int().positive().default(1),
      MARQUEE_OUTPUT_PREFIX: z.string().startsWith('s3://'),
    }),
  );
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
      log,
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) void main();
