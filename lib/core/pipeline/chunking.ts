import type { Rendition } from '../types';
import type { ChunkRange, PipelinePolicy } from './types';

/** Frames in one GOP of a rendition (at least 1). */
export const gopFrames = (gopSeconds: number, fps: number): number => Math.max(1, Math.round(gopSeconds * fps));

/**
 * Split a title into chunks whose boundaries fall on whole GOPs of the rendition, so that each
 * chunk can be encoded independently with closed GOPs and the chunks joined by stream copy.
 *
 * The chunk length is the target rounded up to a whole number of GOPs; the last chunk takes the
 * remainder. Work is done in frames so boundaries are exact at the rendition's frame rate.
 */
export function planChunks(
  durationSec: number,
  gopSeconds: number,
  fps: number,
  opts: Pick<PipelinePolicy, 'targetChunkSec' | 'minChunkSec' | 'maxChunks'>,
): ChunkRange[] {
  const totalFrames = Math.max(1, Math.round(durationSec * fps));
  const gop = gopFrames(gopSeconds, fps);
  const totalGops = Math.ceil(totalFrames / gop);
  const byTarget = Math.ceil(durationSec / Math.max(opts.targetChunkSec, 1e-9));
  const byMin = Math.floor(durationSec / Math.max(opts.minChunkSec, 1e-9));
  const wanted = Math.max(1, Math.min(byTarget, byMin, opts.maxChunks, totalGops));
  const gopsPerChunk = Math.ceil(totalGops / wanted);
  const chunkFrames = gopsPerChunk * gop;
  const chunks: ChunkRange[] = [];
  for (let start = 0; start < totalFrames; start += chunkFrames) {
    const frames = Math.min(chunkFrames, totalFrames - start);
    chunks.push({ index: chunks.length, count: 0, startSec: start / fps, durationSec: frames / fps, startFrame: start, frames });
  }
  return chunks.map((c) => ({ ...c, count: chunks.length }));
}

/** Why a rendition is (or is not) chunked, for the decision log. */
export interface ChunkVerdict {
  chunk: boolean;
  reason: string;
}

/**
 * Chunk long titles and 4K renditions — but only with closed GOPs (an open GOP at a chunk boundary
 * would reference frames of the neighbouring chunk and break the join).
 */
export function shouldChunk(rendition: Rendition, durationSec: number, policy: PipelinePolicy): ChunkVerdict {
  const long = durationSec >= policy.chunkLongTitleSec;
  const big = rendition.height >= policy.chunkMinHeight;
  if (!long && !big) return { chunk: false, reason: `${rendition.id}: ${durationSec.toFixed(0)}s below ${policy.chunkLongTitleSec}s and under ${policy.chunkMinHeight}p` };
  if (durationSec < 2 * policy.minChunkSec) return { chunk: false, reason: `${rendition.id}: ${durationSec.toFixed(0)}s too short for two ${policy.minChunkSec}s chunks` };
  if (!rendition.closedGop) return { chunk: false, reason: `${rendition.id}: open GOPs cannot be joined by stream copy` };
  return { chunk: true, reason: `${rendition.id}: ${long ? `long title (${durationSec.toFixed(0)}s)` : `${rendition.height}p`}` };
}
