/**
 * How a job's work becomes tasks in the simulator. A `JobRunner` turns an analysed job into a
 * `RunPlan`: tasks with their reference work, the backends (worker classes) that can run them,
 * the backends they prefer, per-backend speeds and their dependencies. The simulator queues every
 * runnable task through the real scheduler, so a monolithic pipeline (one task per title) and the
 * multi-stage pipeline (`lib/core/pipeline` task graphs: chunks, grouped rungs, joins, packaging,
 * QC, publish) run in the same engine, with the same deadline manager, faults and ledger.
 */
import { buildTaskGraph, DEFAULT_PIPELINE_POLICY, GPU_CODECS, MEASURED_PIPELINE_COSTS, stageCostSec, type PipelinePolicy, type PipelineTask } from '../core/pipeline';
import type { Backend, Job, Rendition, Tier } from '../core/types';
import type { RungCost } from './archetypes';

/** One unit of work of a job. */
export interface TaskSpec {
  /** Pipeline stage (`encode`, `join`, `package`…), for metrics and logs. */
  stage: string;
  /** Reference slot-seconds (P50, before noise), divided by the speed of the slot it runs on. */
  work: number;
  /** Wall seconds that do not scale with the slot's speed (queue hop, container start, seek). */
  fixedSec: number;
  /** Backends that can run it (absent: any pool). */
  backends?: readonly Backend[];
  /** Backends tried first; others only steal it when idle. */
  preferred?: readonly Backend[];
  /** Speed per backend, overriding the pool's speed. */
  speedOn?: Partial<Record<Backend, number>>;
  /** Indices of earlier tasks of the same plan that must be done first. */
  dependsOn: readonly number[];
  /**
   * Output this task delivers, in reference slot-seconds, credited to throughput when it succeeds
   * (default `work`). A join delivers nothing new (0); a grouped encode delivers the separate
   * cost of every rung it produces.
   */
  creditWork?: number;
}

export interface RunPlan {
  /** In dependency order: a task depends only on tasks before it. */
  tasks: TaskSpec[];
}

/** What a runner knows about a job when the simulator asks for its plan. */
export interface PlanContext {
  job: Job;
  tier: Tier;
  durationSec: number;
  /** The whole job's encode work at its active variant, reference slot-seconds (P50). */
  workP50: number;
  /** The active ladder's rungs with their share of that work. */
  rungs: readonly RungCost[];
  /** Backends the fleet has. */
  available: readonly Backend[];
  /** Worker slots (Batch/local) idle right now with no runnable task waiting for them. */
  idleSlots: number;
}

export interface JobRunner {
  name: string;
  plan(ctx: PlanContext): RunPlan;
}

/** The legacy shape: one task holding one slot for the whole encode, on any pool (encode work only). */
const NO_DEPS: readonly number[] = [];

export const monolithicRunner: JobRunner = {
  name: 'monolithic',
  plan: (ctx) => ({ tasks: [{ stage: 'encode', work: ctx.workP50, fixedSec: 0, dependsOn: NO_DEPS, creditWork: undefined, backends: undefined, preferred: undefined, speedOn: undefined }] }),
};

/** Speeds of a GPU worker relative to the reference CPU slot, when the fleet distinguishes them. */
export interface DeviceSpeeds {
  /** NVENC on a GPU worker for an H.264/HEVC rung (the fleet's GPU pool speed). */
  gpuNvenc: number;
  /** The GPU worker's small host CPU (4 vCPU vs 16) for everything NVENC cannot do: AV1/VP9, packaging, QC. */
  gpuHost: number;
}

export const DEFAULT_DEVICE_SPEEDS: DeviceSpeeds = { gpuNvenc: 4, gpuHost: 0.25 };

export interface TitleRunnerOptions {
  /** `monolithic`: one worker, the whole title; `multi-stage`: the `lib/core/pipeline` task graph. */
  shape: 'monolithic' | 'multi-stage';
  /** Tiers that run multi-stage (others monolithic); default all. */
  multiStageTiers?: readonly Tier[];
  /** Per-rung device speeds on GPU workers; absent, every pool runs everything at its own speed. */
  devices?: DeviceSpeeds;
  /** Charge analyse/package/QC/publish (both shapes); off, only encodes (and joins) are modelled. */
  stageCosts: boolean;
  policy?: PipelinePolicy;
  /**
   * Chunk only as wide as the idle capacity: a title's chunks are capped at the idle worker slots
   * when it is planned (split over its chunked rungs), so chunking fills idle slots off-peak and
   * turns off at saturation, where it would only queue ahead of other titles.
   */
  chunkToIdle?: boolean;
  /** With `chunkToIdle`, chunks allowed per rung even when nothing is idle (they queue for the next free slots). */
  minChunksWhenBusy?: number;
  /**
   * With `chunkToIdle`: a title planned when no worker is idle (and not of an `alwaysChunkTiers`
   * tier) encodes all its CPU-routed rungs in one process from one decode — parallel rungs buy
   * nothing at saturation, the shared decode saves `groupSharedShareLadder` of the smaller rungs.
   */
  groupWhenBusy?: boolean;
  /** With `chunkToIdle`, tiers whose titles are chunked by the pipeline policy alone, idle or not (latency-critical). */
  alwaysChunkTiers?: readonly Tier[];
  /**
   * Tasks prefer the backend their format is routed to (4K → GPU, the rest → CPU) and are stolen
   * by other workers only when those are idle (default). Off, a task takes whichever pool the
   * scheduler picks among those that can run it.
   */
  preferRouted?: boolean;
  /**
   * Where a monolithic title goes (with `devices`): `any` pool the scheduler picks (default), or
   * `fastest` — it prefers the worker class it runs fastest on as a whole (a GPU worker's blended
   * NVENC + host-CPU speed vs a CPU worker's) and the other class takes it only when idle.
   */
  monolithicPlacement?: 'any' | 'fastest';
  /**
   * A monolithic worker encodes its whole ladder in one process from one decode (`split` filter):
   * this share of every rung's cost but the largest is saved (measured: `groupSharedShareLadder`).
   * Credited as the rungs' separate cost, as a multi-stage grouped encode is. Default 0: one
   * process per rung, one after another.
   */
  monolithicSharedDecode?: number;
  name?: string;
}

const CPU_WORKERS: readonly Backend[] = ['batch-cpu', 'local'];
const GPU_WORKERS: readonly Backend[] = ['batch-gpu'];
const WORKERS: readonly Backend[] = ['batch-cpu', 'local', 'batch-gpu'];

/**
 * Runners over the pipeline core. Both shapes price every encode with the same per-rung model and
 * the same device speeds, and (with `stageCosts`) the same stage costs, so they differ only in
 * how the work is cut and placed.
 *
 * - monolithic: one task; a GPU worker encodes H.264/HEVC rungs on NVENC and the rest, plus the
 *   non-encode stages, on its host CPU (its blended speed); MediaConvert may take it whole.
 * - multi-stage: `buildTaskGraph` — closed-GOP chunks of long/4K renditions, grouped cheap rungs,
 *   joins, package, QC, publish; each task prefers the backend its format is routed to and can be
 *   stolen by any Batch worker that can run it (at that worker's speed). MediaConvert takes whole
 *   titles only, so multi-stage tasks never go there.
 */
export function titleRunner(options: TitleRunnerOptions): JobRunner {
  const policy = options.policy ?? DEFAULT_PIPELINE_POLICY;
  const dev = options.devices;
  const route = options.preferRouted ?? true;
  const nvenc = (r: Rendition) => GPU_CODECS.includes(r.codec);
  const encodeSpeedOn = (r: Rendition): Partial<Record<Backend, number>> | undefined => (dev ? { 'batch-gpu': nvenc(r) ? dev.gpuNvenc : dev.gpuHost } : undefined);
  const hostSpeedOn: Partial<Record<Backend, number>> | undefined = dev ? { 'batch-gpu': dev.gpuHost } : undefined;
  const stageWork = (d: number, n: number, analyse: boolean) =>
    options.stageCosts ? (analyse ? stageCostSec('analyse', d, 0, policy) : 0) + stageCostSec('package', d, n, policy) + stageCostSec('qc', d, n, policy) + stageCostSec('publish', d, n, policy) : 0;

  // Overlapped verification splits packaging/QC per rendition and chunk: each task credits its
  // per-rendition-second share and publish the title's fixed parts, so a title credits exactly
  // what the monolithic shape credits for the same stages.
  const sc = policy.stageCosts;
  const verifyCredit = (t: PipelineTask, d: number): number | undefined => {
    if (t.stage === 'join') return 0;
    if (!policy.overlapVerify) return undefined;
    const sec = (t.chunk ? t.chunk.durationSec : d) * t.renditionIds.length;
    if (t.stage === 'package') return sc.packageSecPerRenditionSourceSec * sec;
    if (t.stage === 'qc') return sc.qcSecPerRenditionSourceSec * sec;
    if (t.stage === 'publish') return sc.publishSec + sc.packageFixedSec + sc.qcFixedSec;
    return undefined;
  };

  const busyPolicy: PipelinePolicy = { ...policy, maxChunks: 1, groupMaxHeight: Number.POSITIVE_INFINITY, groupSharedShare: MEASURED_PIPELINE_COSTS.groupSharedShareLadder };

  const monolithic = (ctx: PlanContext): RunPlan => {
    const d = ctx.durationSec;
    const separate = ctx.rungs.map((x) => x.secPerSec * d);
    const shared = options.monolithicSharedDecode ?? 0;
    const largest = separate.reduce((a, b) => Math.max(a, b), 0);
    // With a one-pass ladder every rung but the largest sheds the shared share of its cost.
    let kept = false;
    const encodes = shared > 0 ? separate.map((c) => (c === largest && !kept ? ((kept = true), c) : c * (1 - shared))) : separate;
    const stages = stageWork(d, ctx.rungs.length, false);
    const work = encodes.reduce((a, b) => a + b, 0) + stages;
    const credit = shared > 0 ? separate.reduce((a, b) => a + b, 0) + stages : undefined;
    let speedOn: Partial<Record<Backend, number>> | undefined;
    let preferred: readonly Backend[] | undefined;
    if (dev) {
      const gpuWall = ctx.rungs.reduce((a, x, i) => a + encodes[i]! / (nvenc(x.rendition) ? dev.gpuNvenc : dev.gpuHost), 0) + stages / dev.gpuHost;
      const gpu = gpuWall > 0 ? work / gpuWall : dev.gpuNvenc;
      speedOn = { 'batch-gpu': gpu };
      // A title prefers the worker class it runs fastest on; the other class takes it when idle,
      // the titles it runs best first (the scheduler's work stealing).
      if (options.monolithicPlacement === 'fastest') preferred = gpu > 1 ? GPU_WORKERS : CPU_WORKERS;
    }
    return { tasks: [{ stage: 'encode', work, fixedSec: options.stageCosts ? policy.overheads.dispatchSec : 0, dependsOn: NO_DEPS, creditWork: credit, backends: preferred ? WORKERS : undefined, preferred, speedOn }] };
  };

  const multiStage = (ctx: PlanContext): RunPlan => {
    const d = ctx.durationSec;
    const byId = new Map(ctx.rungs.map((x) => [x.rendition.id, x]));
    const available = ctx.available.filter((b) => b !== 'mediaconvert');
    let p = policy;
    if (options.chunkToIdle && !options.alwaysChunkTiers?.includes(ctx.tier)) {
      const chunked = Math.max(1, ctx.rungs.filter((x) => x.rendition.height > policy.groupMaxHeight).length);
      const maxChunks = Math.max(1, options.minChunksWhenBusy ?? 1, Math.min(policy.maxChunks, Math.floor(ctx.idleSlots / chunked)));
      p = options.groupWhenBusy && ctx.idleSlots === 0 ? busyPolicy : { ...policy, maxChunks };
    }
    const graph = buildTaskGraph({
      jobId: ctx.job.id,
      durationSec: d,
      ladder: ctx.rungs.map((x) => x.rendition),
      available: available.length > 0 ? available : ['batch-cpu'],
      encodeCost: (r) => (byId.get(r.id)?.secPerSec ?? 0) * d,
      now: 0,
      includeAnalyse: false,
      policy: p,
      recordDecisions: false,
    });
    const kept = options.stageCosts ? graph.tasks : graph.tasks.filter((t) => t.stage === 'encode' || t.stage === 'join');
    const index = new Map(kept.map((t, i) => [t.id, i]));
    const o = policy.overheads;
    const tasks = kept.map((t: PipelineTask): TaskSpec => {
      const deps = t.dependsOn.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
      if (t.stage === 'encode') {
        const fixed = o.dispatchSec + (t.chunk ? o.chunkStartSec : 0);
        const r = byId.get(t.renditionIds[0] ?? '')?.rendition;
        const speedOn = r ? encodeSpeedOn(r) : undefined;
        const share = t.chunk ? t.chunk.durationSec / d : 1;
        const credit = t.renditionIds.length > 1 ? t.renditionIds.reduce((a, id) => a + (byId.get(id)?.secPerSec ?? 0) * d * share, 0) : undefined;
        return { stage: t.stage, work: Math.max(0, t.costSec - fixed), fixedSec: fixed, creditWork: credit, backends: WORKERS, preferred: route ? (t.workerClass === 'gpu' ? GPU_WORKERS : CPU_WORKERS) : undefined, dependsOn: deps, speedOn };
      }
      return { stage: t.stage, work: Math.max(0, t.costSec - o.dispatchSec), fixedSec: o.dispatchSec, creditWork: verifyCredit(t, d), backends: WORKERS, preferred: route ? CPU_WORKERS : undefined, dependsOn: deps, speedOn: hostSpeedOn };
    });
    return { tasks };
  };

  const multiTiers = options.multiStageTiers;
  return {
    name: options.name ?? (options.shape === 'monolithic' ? 'monolithic-title' : multiTiers ? `multi-stage(${multiTiers.join('+')})` : 'multi-stage'),
    plan: (ctx) => (options.shape === 'multi-stage' && (!multiTiers || multiTiers.includes(ctx.tier)) ? multiStage(ctx) : monolithic(ctx)),
  };
}

/** Longest dependency chain of a plan at speed 1, fixed seconds included. */
export function criticalPathWork(plan: RunPlan): number {
  const finish: number[] = [];
  let longest = 0;
  plan.tasks.forEach((t, i) => {
    let start = 0;
    for (const d of t.dependsOn) start = Math.max(start, finish[d] ?? 0);
    finish[i] = start + t.work + t.fixedSec;
    longest = Math.max(longest, finish[i]!);
  });
  return longest;
}
