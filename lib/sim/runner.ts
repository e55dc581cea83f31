import type { Job } from '../core/types';

/** How a job's work splits into tasks once it is dispatched to a pool. */
export interface RunPlan {
  /** Reference slot-seconds of each task (P50, before noise). */
  tasks: number[];
  /** How many slots of the same pool the job may hold at once (1 = one task at a time). */
  maxParallel: number;
  /** Fixed overhead added to the job's wall time, seconds (e.g. packaging, QC). */
  overheadSec: number;
}

/**
 * The simulator asks a JobRunner how a job's work splits into tasks. The default is monolithic:
 * one task holding one slot for the whole job. A multi-stage pipeline model (chunked encoding,
 * packaging, QC) plugs in here by returning more tasks and a higher `maxParallel`.
 */
export interface JobRunner {
  name: string;
  plan(job: Job, workP50Sec: number): RunPlan;
}

export const monolithicRunner: JobRunner = {
  name: 'monolithic',
  plan: (_job, work) => ({ tasks: [work], maxParallel: 1, overheadSec: 0 }),
};

/** Makespan of tasks on `k` parallel slots, longest task first onto the least loaded slot. */
export function makespan(tasks: readonly number[], k: number): number {
  if (k <= 1 || tasks.length <= 1) return tasks.reduce((a, b) => a + b, 0);
  const loads = new Array<number>(Math.min(k, tasks.length)).fill(0);
  for (const t of [...tasks].sort((a, b) => b - a)) {
    let m = 0;
    for (let i = 1; i < loads.length; i++) if (loads[i]! < loads[m]!) m = i;
    loads[m]! += t;
  }
  return Math.max(...loads);
}
