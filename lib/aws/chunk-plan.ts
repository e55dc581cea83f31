/**
 * How a Batch GPU job is split into an array of chunk workers: the same core planning as the
 * simulator and the local runtime (lib/core/pipeline `chunksForRendition` under `pipelinePolicyFor`
 * the job's tier: critical/premium titles from 30 s, others long titles and 4K rungs; closed GOPs
 * only; else the allocation's chunk count), capped at the free GPU slots. Pure: the
 * dispatch step sizes the array with it and every worker recomputes it from the job record.
 */
import { chunksForRendition, pipelinePolicyFor, planChunks, type ChunkRange } from '../core/pipeline';
import { activeLadder } from '../core/recipes';
import type { Job } from '../core/types';

export interface CloudChunkPlan {
  /** Children of the array job (1 = one whole-title job, no array). */
  width: number;
  /** Chunked rungs and their chunks; child i encodes chunk i of each. */
  chunked: { renditionId: string; chunks: ChunkRange[] }[];
  /** Rungs encoded whole, each by one child (spread over the array). */
  whole: { renditionId: string; child: number }[];
}

/** The chunk plan of `job` on an array of at most `maxChunks` children. */
export function cloudChunkPlan(job: Job, maxChunks: number): CloudChunkPlan {
  const durationSec = job.profile?.source.durationSec ?? 0;
  const ladder = job.recipe ? activeLadder(job.recipe) : [];
  const cap = Math.max(1, Math.floor(maxChunks));
  const policy = pipelinePolicyFor(job.value?.tier);
  const allocated = Math.min(job.allocation?.chunks ?? 1, cap);
  const chunked: CloudChunkPlan['chunked'] = [];
  const unchunked: string[] = [];
  for (const r of ladder) {
    let chunks = durationSec > 0 && cap > 1 ? chunksForRendition(r, durationSec, policy, cap) : [];
    if (chunks.length < 2 && allocated > 1 && r.closedGop && durationSec > 0) {
      chunks = planChunks(durationSec, r.gopSeconds, r.fps, { targetChunkSec: durationSec / allocated, minChunkSec: r.gopSeconds, maxChunks: allocated });
    }
    if (chunks.length >= 2) chunked.push({ renditionId: r.id, chunks });
    else unchunked.push(r.id);
  }
  const width = Math.max(1, ...chunked.map((c) => c.chunks.length));
  if (width < 2) return { width: 1, chunked: [], whole: ladder.map((r) => ({ renditionId: r.id, child: 0 })) };
  // Whole rungs go to the last children first: their chunk of a rung is the shortest.
  return { width, chunked, whole: unchunked.map((id, k) => ({ renditionId: id, child: width - 1 - (k % width) })) };
}
