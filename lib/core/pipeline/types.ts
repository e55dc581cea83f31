import type { Backend, Decision, Tier } from '../types';
import { ASSUMED_PIPELINE_COSTS, MEASURED_PIPELINE_COSTS } from './measured';

/**
 * The stages a title goes through after upload. `join` concatenates the closed-GOP chunks of a
 * chunked rendition (a stream copy, no re-encode); it only exists for chunked renditions.
 */
export const STAGES = ['analyse', 'encode', 'join', 'package', 'qc', 'publish'] as const;
export type Stage = (typeof STAGES)[number];

/** The kind of machine a task needs: encodes routed to a GPU backend need a GPU worker. */
export type WorkerClass = 'cpu' | 'gpu';

/** One time range of a chunked rendition, on GOP boundaries of the rendition's frame rate. */
export interface ChunkRange {
  index: number;
  count: number;
  startSec: number;
  durationSec: number;
  /** First frame of the chunk (at the rendition's frame rate). */
  startFrame: number;
  frames: number;
}

export type TaskStatus = 'pending' | 'running' | 'done' | 'failed';

/** A unit of work in a title's pipeline: a node of its task graph. */
export interface PipelineTask {
  /** Unique within the graph, e.g. `job-1/encode/2160p-hevc#3`. */
  id: string;
  jobId: string;
  stage: Stage;
  /** Renditions this task produces or handles (several for a grouped encode, all for package/qc/publish). */
  renditionIds: string[];
  /** Set on chunk encodes. */
  chunk?: ChunkRange;
  /** Where it runs; encodes are routed per format, other stages run on CPU workers. */
  backend: Backend;
  workerClass: WorkerClass;
  /** Expected wall seconds on that backend, overheads included. */
  costSec: number;
  /** Ids of tasks that must be done first. */
  dependsOn: string[];
  status: TaskStatus;
  /** Failed attempts so far. */
  attempts: number;
}

/** A title's pipeline: its tasks and the decisions taken when it was planned or run. */
export interface TaskGraph {
  jobId: string;
  tasks: PipelineTask[];
  decisions: Decision[];
  /** Set when a task ran out of attempts: the title fails with this cause. */
  failedTaskId?: string;
}

/** Per-task overheads of a distributed pipeline, in wall seconds (documented in docs/pipeline.md). */
export interface PipelineOverheads {
  /** Queue hop, container/process start and input open for every task. */
  dispatchSec: number;
  /** Extra per chunk: accurate seek into the source and encoder warm-up (lookahead refill). */
  chunkStartSec: number;
  /** Join: fixed part, plus a stream copy proportional to the output duration. */
  joinFixedSec: number;
  joinSecPerSourceSec: number;
}

/** Costs of the non-encode stages, identical for the monolithic and the multi-stage pipeline. */
export interface StageCosts {
  analyseFixedSec: number;
  analyseSecPerSourceSec: number;
  /** Packaging (HLS/DASH segmenting, muxing) per rendition per source second. */
  packageSecPerRenditionSourceSec: number;
  packageFixedSec: number;
  /** Sampled quality measurement per rendition per source second. */
  qcSecPerRenditionSourceSec: number;
  qcFixedSec: number;
  publishSec: number;
}

/** The knobs of format-specific parallelism. */
export interface PipelinePolicy {
  /** Titles at least this long are chunked (every rendition that is not grouped). */
  chunkLongTitleSec: number;
  /** Renditions at least this tall (4K) are chunked whatever the title length. */
  chunkMinHeight: number;
  /** Aimed-at chunk length; rounded up to a whole number of GOPs. */
  targetChunkSec: number;
  /** A chunk is never shorter than this (the last one may be). */
  minChunkSec: number;
  maxChunks: number;
  /**
   * A chunk must carry at least this multiple of its own overhead (chunk start + dispatch) in
   * encode work; cheap renditions get fewer chunks, or none.
   */
  minChunkWorkFactor: number;
  /** Renditions at most this tall on a CPU backend are grouped into one encode task (one decode, many outputs). */
  groupMaxHeight: number;
  /**
   * Share of a grouped rung's encode cost saved by sharing the decode and scale chain with the
   * group's largest rung (one ffmpeg process, several outputs).
   */
  groupSharedShare: number;
  /** Renditions at least this tall with a GPU-encodable codec go to a GPU backend when one exists. */
  gpuMinHeight: number;
  /**
   * Package and QC each rendition as soon as it is encoded (QC per chunk for chunked renditions),
   * on CPU workers and beside the encodes still running; off, one package → QC → publish chain
   * after the last encode.
   */
  overlapVerify: boolean;
  /** Attempts per task before the title fails (a failed chunk retries that chunk only). */
  maxAttempts: number;
  overheads: PipelineOverheads;
  stageCosts: StageCosts;
}

/**
 * Overheads: the process start, the per-chunk seek/start and the join are measured
 * (`MEASURED_PIPELINE_COSTS`); the queue hop inside `dispatchSec` is assumed (`ASSUMED_PIPELINE_COSTS`).
 */
export const DEFAULT_OVERHEADS: PipelineOverheads = {
  dispatchSec: ASSUMED_PIPELINE_COSTS.queueHopSec + MEASURED_PIPELINE_COSTS.processStartSec,
  chunkStartSec: MEASURED_PIPELINE_COSTS.chunkStartSec,
  joinFixedSec: MEASURED_PIPELINE_COSTS.processStartSec,
  joinSecPerSourceSec: MEASURED_PIPELINE_COSTS.packageSecPerRenditionSourceSec,
};

/** Package and QC per rendition-second are measured; analysis and the fixed parts are assumed. */
export const DEFAULT_STAGE_COSTS: StageCosts = {
  analyseFixedSec: 5,
  analyseSecPerSourceSec: 0.05,
  packageFixedSec: MEASURED_PIPELINE_COSTS.processStartSec,
  packageSecPerRenditionSourceSec: MEASURED_PIPELINE_COSTS.packageSecPerRenditionSourceSec,
  qcFixedSec: MEASURED_PIPELINE_COSTS.processStartSec,
  qcSecPerRenditionSourceSec: MEASURED_PIPELINE_COSTS.qcSecPerRenditionSourceSec,
  publishSec: 1,
};

export const DEFAULT_PIPELINE_POLICY: PipelinePolicy = {
  chunkLongTitleSec: 600,
  chunkMinHeight: 2160,
  targetChunkSec: 60,
  minChunkSec: 10,
  maxChunks: 32,
  minChunkWorkFactor: 10,
  // Cheap rungs share one decode: measured, grouping 360p with 540p saves about half of the
  // smaller rung's cost (its decode and scale of the source).
  groupMaxHeight: 540,
  groupSharedShare: MEASURED_PIPELINE_COSTS.groupSharedShareCheap,
  gpuMinHeight: 2160,
  overlapVerify: true,
  maxAttempts: 3,
  overheads: DEFAULT_OVERHEADS,
  stageCosts: DEFAULT_STAGE_COSTS,
};

/**
 * Pipeline policy for fast-lane titles (critical, premium): anything 30 s or longer is cut into
 * ≈ 15 s closed-GOP chunks (at most 12 per rung, each carrying at least 1.5× its own start and
 * dispatch overhead). Callers cap the width at the idle worker slots when the title is planned, so
 * a premium title's latency falls by parallelism off-peak and chunking stops at saturation. The
 * schedule bench's Marquee row, the AWS Batch GPU array jobs and the local runtime all use it.
 */
export const FAST_LANE_PIPELINE: PipelinePolicy = { ...DEFAULT_PIPELINE_POLICY, chunkLongTitleSec: 30, targetChunkSec: 15, minChunkSec: 5, minChunkWorkFactor: 1.5, maxChunks: 12 };

/** Tiers whose titles are chunked by the fast-lane policy. */
export const FAST_LANE_TIERS: readonly Tier[] = ['critical', 'premium'];

/** The pipeline policy for a title of `tier`: the fast-lane policy for critical/premium, else the default. */
export function pipelinePolicyFor(tier: Tier | undefined): PipelinePolicy {
  return tier && FAST_LANE_TIERS.includes(tier) ? FAST_LANE_PIPELINE : DEFAULT_PIPELINE_POLICY;
}
