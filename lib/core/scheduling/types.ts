import type { PoolPricing } from '../cost';
import type { Backend, Job } from '../types';

/**
 * A pool of encoder slots the scheduler can dispatch to: a MediaConvert queue's concurrency,
 * a Batch compute environment (GPU or CPU), or the local ffmpeg pool.
 */
export interface BackendPool {
  id: string;
  backend: Backend;
  /** Slots in service now (lost nodes and spot interruptions take some away). */
  slots: number;
  /** Slots not running anything now. */
  free: number;
  /**
   * Throughput of one slot relative to the prediction model's reference slot (1 = the predicted
   * wall time; 4 = four times faster, e.g. NVENC on a GPU).
   */
  speed: number;
  /** Speed of a slot when the job's active variant asks for accelerated transcoding (MediaConvert only). */
  acceleratedSpeed?: number;
  pricing: PoolPricing;
  /** Caller's estimate of seconds until a slot of this pool frees up (0 when one is free). */
  expectedFreeInSec?: number;
}

/** A queued job as the scheduler sees it: the Job plus the figures it ranks and routes by. */
export interface QueueEntry {
  job: Job;
  /** When the job first entered the queue (aging counts from here; a retry keeps it). */
  queuedAt: number;
  /** Remaining work in reference slot-seconds at the active variant: P50 and P90. */
  workP50: number;
  workP90: number;
  /** Content duration, seconds (cost and per-content-minute metrics). */
  contentSec: number;
  /** MediaConvert normalised minutes per content minute of the active ladder. */
  normalisedPerMinute: number;
  /** Whether the active variant uses accelerated transcoding (only MediaConvert offers it). */
  accelerated: boolean;
  /** Emergency bump in force (runs before everything else, at once). */
  emergency: boolean;
  /** Priority raise applied by deadline management, ms earlier in rank. */
  boostMs: number;
  /** Pool pinned by deadline management ("move to a faster backend"). */
  pinnedPool?: string;
  /**
   * Backends this entry can run on (a pipeline task: packaging needs a CPU worker, MediaConvert
   * takes only whole titles). Absent: any pool.
   */
  backends?: readonly Backend[];
  /**
   * Backends tried first (a pipeline task's routed backend, e.g. 4K HEVC → GPU). Another capable
   * pool is used only when no preferred slot is free after the queue has been walked: idle
   * workers steal runnable work rather than sit idle (work-conserving).
   */
  preferredBackends?: readonly Backend[];
  /** Speed of this entry's work per backend, overriding the pool's (e.g. an AV1 rung on a GPU worker's host CPU). */
  speedOn?: Partial<Record<Backend, number>>;
  /**
   * Remaining P90 work of the whole job along its critical path, reference slot-seconds, when the
   * entry is one task of a job's pipeline: urgency (latest start) is judged on the job, not the task.
   */
  jobWorkP90?: number;
}

export type DispatchReason = 'emergency' | 'priority' | 'urgent' | 'boosted' | 'arrival' | 'deadline';

/** The scheduler's answer for one job: run it now, there. */
export interface Dispatch {
  entry: QueueEntry;
  pool: BackendPool;
  /** Speed the job will run at on that pool. */
  speed: number;
  /** MediaConvert pricing tier to submit with (when the pool is MediaConvert). */
  estCostUsd: number;
  reason: DispatchReason;
}

/**
 * A scheduling policy. `rankKey` must not depend on the current time, so a caller can keep the
 * queue in a heap (the simulator does, at a million uploads a day): time-dependent effects such
 * as aging and deadline urgency are folded into a static key (see `marqueePolicy`).
 */
export interface SchedulerPolicy {
  name: string;
  description: string;
  /** Lower runs first. */
  rankKey(entry: QueueEntry): number;
  /** Why this entry ranks where it does (for decisions and property checks). */
  reason(entry: QueueEntry): DispatchReason;
  /**
   * Choose among pools that have a free slot; `null` leaves the job queued (e.g. a premium job
   * waiting a few seconds for a fast slot rather than taking a slow one).
   */
  choosePool(entry: QueueEntry, freePools: readonly BackendPool[], now: number): { pool: BackendPool; speed: number; costUsd: number } | null;
  /** Whether deadline management (faster variants, boosts, pins) runs for this policy. */
  managesDeadlines: boolean;
  /** Whether admission control degrades low tiers when capacity is exceeded. */
  admissionControl: boolean;
}
