/**
 * Chunked encoding in the local runtime: which renditions of a job are split into closed-GOP chunks,
 * where their chunks live on disk, and which are finished. A chunk is finished when its file is in
 * its chunk folder (the encoder renames it into place only after checking its frames), so the state
 * survives a kill -9 without a database write per chunk.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chunksForRendition, DEFAULT_PIPELINE_POLICY, pipelinePolicyFor, planChunks, type ChunkRange, type PipelinePolicy } from '../core/pipeline';
import type { Job, Rendition } from '../core/types';
import { chunkPaths } from '../media/encode';

/** How one rendition of a job is chunked. */
export interface ChunkPlan {
  renditionId: string;
  chunks: ChunkRange[];
  /** Folder of the finished chunks: named after the rendition's settings and the chunk grid, so a changed plan never reuses old chunks. */
  dir: string;
  reason: string;
}

export interface ChunkingOptions {
  /**
   * Chunk every closed-GOP rendition of a title at least twice this long into chunks of about this
   * many seconds (whole GOPs). Absent: the pipeline's policy (titles ≥ 10 min, 4K rungs) and the
   * job's allocation (`allocation.chunks`).
   */
  chunkSeconds?: number;
  /** Pipeline policy for the default case (lib/core/pipeline). */
  policy?: PipelinePolicy;
  /**
   * Encode workers in the pool: critical/premium titles the default policy leaves whole are cut by
   * the fast-lane policy into at most this many chunks (none with one worker: no parallelism to gain).
   */
  workers?: number;
}

/** The pipeline policy that `--chunk-seconds` stands for. */
export function chunkSecondsPolicy(chunkSeconds: number, base: PipelinePolicy = DEFAULT_PIPELINE_POLICY): PipelinePolicy {
  return { ...base, chunkLongTitleSec: 0, chunkMinHeight: Number.MAX_SAFE_INTEGER, targetChunkSec: chunkSeconds, minChunkSec: chunkSeconds };
}

/**
 * The chunks a rendition of `job` is encoded in, or undefined for a single-pass encode. In order:
 * the pipeline's verdict (`chunksForRendition`: long titles, 4K rungs, or `chunkSeconds`); else the
 * job's allocation (`allocation.chunks > 1`), which the largest rung gets in full and smaller rungs in
 * proportion to their predicted time. Open-GOP renditions are never chunked (the join would break).
 */
export function planRenditionChunks(job: Job, rendition: Rendition, jobDir: string, opts: ChunkingOptions = {}): ChunkPlan | undefined {
  const durationSec = job.profile?.source.durationSec ?? 0;
  if (!(durationSec > 0) || !rendition.closedGop) return undefined;
  const policy = opts.chunkSeconds ? chunkSecondsPolicy(opts.chunkSeconds, opts.policy) : (opts.policy ?? DEFAULT_PIPELINE_POLICY);
  let chunks = chunksForRendition(rendition, durationSec, policy);
  let reason = opts.chunkSeconds ? `--chunk-seconds ${opts.chunkSeconds}` : `pipeline policy (titles ≥ ${policy.chunkLongTitleSec} s, rungs ≥ ${policy.chunkMinHeight}p)`;
  // The tier's policy (the same choice as the cloud array plan), as wide as the pool: critical and
  // premium titles the default leaves whole are cut from 30 s, one chunk per worker at most.
  const tierPolicy = pipelinePolicyFor(job.value?.tier);
  if (chunks.length < 2 && !opts.chunkSeconds && tierPolicy !== policy && (opts.workers ?? 1) > 1) {
    chunks = chunksForRendition(rendition, durationSec, tierPolicy, opts.workers);
    reason = `${job.value?.tier} fast lane (titles ≥ ${tierPolicy.chunkLongTitleSec} s, at most one chunk per worker)`;
  }
  const allocated = job.allocation?.chunks ?? 1;
  if (chunks.length < 2 && !opts.chunkSeconds && allocated > 1) {
    const preds = job.prediction?.renditions ?? [];
    const mine = preds.find((p) => p.renditionId === rendition.id)?.wallSecP90 ?? 0;
    const largest = Math.max(0, ...preds.map((p) => p.wallSecP90));
    const n = Math.max(1, Math.min(allocated, Math.round((allocated * mine) / Math.max(1e-9, largest))));
    if (n > 1) {
      chunks = planChunks(durationSec, rendition.gopSeconds, rendition.fps, { targetChunkSec: durationSec / n, minChunkSec: rendition.gopSeconds, maxChunks: n });
      reason = `allocation asks for ${allocated} chunks (${n} for this rung by its predicted time)`;
    }
  }
  if (chunks.length < 2) return undefined;
  const key = createHash('sha1').update(JSON.stringify({ rendition, chunks: chunks.map((c) => [c.startFrame, c.frames]), source: job.source })).digest('hex').slice(0, 10);
  return { renditionId: rendition.id, chunks, dir: join(jobDir, '.chunks', `${rendition.id}-${key}`), reason: `${chunks.length} chunks of ≈${chunks[0]!.durationSec.toFixed(1)} s: ${reason}` };
}

/** Indexes of the chunks already finished on disk. */
export function finishedChunks(plan: ChunkPlan): Set<number> {
  return new Set(plan.chunks.filter((c) => existsSync(chunkPaths(plan.dir, c.index).mp4)).map((c) => c.index));
}
