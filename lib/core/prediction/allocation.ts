/**
 * Allocation that follows the prediction: backend, Batch vCPU/memory/GPU, MediaConvert accelerated
 * transcoding, chunks for parallel encoding, and local pool slots — each with its reason, which
 * `planJob` records on the job.
 */
import type { Allocation, Backend, Prediction } from '../types';

/** Thresholds of `allocate`. */
export interface AllocationPolicy {
  /** MediaConvert accelerated transcoding when the predicted P90 wall exceeds this (10 min). */
  acceleratedAboveSec: number;
  /** Chunked encoding aims at chunks of about this predicted wall time each. */
  chunkTargetSec: number;
  maxChunks: number;
  /** A chunk covers at least this much source (shorter chunks cost more in GOP restarts than they save). */
  minChunkSourceSec: number;
  /** When choosing, GPU Batch over MediaConvert for jobs above this much predicted CPU. */
  gpuAboveCpuSec: number;
  /** Sources at or above this height are chunked and prefer GPU Batch when choosing. */
  uhdHeight: number;
  maxVcpus: number;
  /** Local pool size when the caller does not say. */
  localPoolSlots: number;
}

export const DEFAULT_ALLOCATION_POLICY: AllocationPolicy = {
  acceleratedAboveSec: 600,
  chunkTargetSec: 120,
  maxChunks: 16,
  minChunkSourceSec: 20,
  gpuAboveCpuSec: 3600,
  uhdHeight: 2160,
  maxVcpus: 16,
  localPoolSlots: 2,
};

/** What `allocate` may know besides the prediction. All optional. */
export interface AllocationContext {
  source?: { durationSec: number; height: number };
  /** Let allocation choose between MediaConvert and GPU Batch (cloud backends only). */
  chooseBackend?: boolean;
  /** Slots of the local pool. */
  localPoolSlots?: number;
  policy?: Partial<AllocationPolicy>;
}

const CLOUD: readonly Backend[] = ['mediaconvert', 'batch-gpu', 'batch-cpu'];
const fmt = (s: number) => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);
const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * Map a prediction to resources on `backend` (or, with `chooseBackend`, on the cloud backend the
 * prediction favours). Every decision appends a reason to `Allocation.reasons`.
 */
export function allocate(prediction: Prediction, backend: Backend, ctx: AllocationContext = {}): Allocation {
  const p = { ...DEFAULT_ALLOCATION_POLICY, ...ctx.policy };
  const reasons: string[] = [`predicted ${fmt(prediction.wallSecP50)} P50 / ${fmt(prediction.wallSecP90)} P90 wall, ${fmt(prediction.cpuSecP50)} CPU (${prediction.modelVersion})`];
  const uhd = (ctx.source?.height ?? 0) >= p.uhdHeight;

  let chosen = backend;
  if (ctx.chooseBackend && CLOUD.includes(backend)) {
    if (prediction.cpuSecP50 > p.gpuAboveCpuSec || uhd) {
      chosen = 'batch-gpu';
      reasons.push(uhd ? 'GPU Batch: UHD source, NVENC keeps the encode short' : `GPU Batch: ${fmt(prediction.cpuSecP50)} predicted CPU exceeds ${fmt(p.gpuAboveCpuSec)}`);
    } else {
      chosen = 'mediaconvert';
      reasons.push(`MediaConvert: ${fmt(prediction.cpuSecP50)} predicted CPU is within ${fmt(p.gpuAboveCpuSec)}, no fleet to run`);
    }
  }

  // Chunks: split long or UHD encodes so that each chunk runs about chunkTargetSec.
  let chunks = 1;
  if (chosen !== 'mediaconvert') {
    const byTime = Math.ceil(prediction.wallSecP90 / p.chunkTargetSec);
    const bySource = ctx.source ? Math.max(1, Math.floor(ctx.source.durationSec / p.minChunkSourceSec)) : p.maxChunks;
    const want = Math.max(byTime, uhd ? 4 : 1);
    chunks = Math.max(1, Math.min(want, bySource, p.maxChunks));
    if (chunks > 1) reasons.push(`${chunks} chunks: P90 ${fmt(prediction.wallSecP90)}${uhd ? ', UHD source' : ''} → about ${fmt(prediction.wallSecP90 / chunks)} each`);
  }

  let accelerated = false;
  if (chosen === 'mediaconvert' && prediction.wallSecP90 > p.acceleratedAboveSec) {
    accelerated = true;
    reasons.push(`accelerated transcoding: P90 ${fmt(prediction.wallSecP90)} exceeds ${fmt(p.acceleratedAboveSec)}`);
  }

  let vcpus = 2;
  let memoryMiB = 4096;
  let gpus = 0;
  let slots = 1;
  if (chosen === 'batch-cpu' || chosen === 'batch-gpu') {
    // Enough vCPUs to burn the predicted CPU in about chunkTargetSec per chunk.
    vcpus = Math.min(p.maxVcpus, Math.max(2, pow2(prediction.cpuSecP50 / chunks / p.chunkTargetSec)));
    memoryMiB = Math.max(4096, vcpus * (uhd ? 4096 : 2048));
    if (chosen === 'batch-gpu') {
      gpus = 1;
      vcpus = Math.max(4, Math.min(vcpus, 8));
      memoryMiB = Math.max(16384, memoryMiB);
    }
    reasons.push(`${vcpus} vCPU, ${memoryMiB} MiB${gpus ? ', 1 GPU' : ''} per chunk`);
  } else if (chosen === 'local') {
    const pool = Math.max(1, ctx.localPoolSlots ?? p.localPoolSlots);
    const parallel = prediction.renditions.length;
    slots = Math.max(1, Math.min(pool, parallel, chunks * parallel));
    reasons.push(`${slots} of ${pool} local slots for ${parallel} renditions`);
  }
  return { backend: chosen, vcpus, memoryMiB, gpus, accelerated, chunks, slots, reasons };
}
