/**
 * The discrete-event simulator: a virtual clock, a binary-heap event queue and seeded RNGs drive
 * uploads through the real core — value scoring, the real scheduler (`schedule` with a
 * `SchedulerPolicy`), admission control, deadline management (`planDeadlineActions`) and the job
 * state machine's rules — on simulated encoder pools whose run times come from the
 * prediction model plus noise, with injected faults. A ledger checks that no job is lost or
 * duplicated.
 */
import { batchCostUsd, mediaConvertCostUsd, DEFAULT_PRICES } from '../core/cost';
import { planDeadlineActions, type RunningView } from '../core/deadlines';
import { IllegalTransitionError } from '../core/errors';
import { canTransition, newJob, recordDecision } from '../core/job';
import { seededRng, type Rng } from '../core/rng';
import { admit, choosePreemption, schedule, waitingPreemptionAt, type BackendPool, type PreemptionOptions, type QueueEntry, type RunningSlot, type SchedulerPolicy } from '../core/scheduling';
import { DEFAULT_VALUE_POLICY, escalate, scoreValue, type ValuePolicy } from '../core/value';
import { tierRank, type Backend, type Job, type JobStatus, type Tier } from '../core/types';
import { buildArchetypes, type Archetype } from './archetypes';
import type { Fleet, PoolSpec } from './fleet';
import { fleetCapacity } from './fleet';
import { MinHeap } from './heap';
import { MetricsCollector, type RunMetrics } from './metrics';
import { monolithicRunner, type JobRunner, type TaskSpec } from './runner';
import { inPeakWindow, WorkloadGenerator, type Upload, type WorkloadSpec } from './workload';

export interface FaultSpec {
  /** Probability that an encode attempt crashes part-way. */
  crashRate: number;
  /** Probability that an attempt hangs until the watchdog kills it. */
  stuckRate: number;
  /** Watchdog: kill an attempt after this multiple of its P90 run time (at least `minTimeoutSec`). */
  timeoutP90Multiple: number;
  minTimeoutSec: number;
  /** Node losses: `slots` of a pool gone at `atSec` for `durationSec` (tasks on them crash). */
  nodeLosses: { atSec: number; poolId: string; slots: number; durationSec: number }[];
  /** GPU Spot interruptions per GPU slot-hour; the slot is replaced after `spotReplaceSec`. */
  spotInterruptionsPerSlotHour: number;
  spotReplaceSec: number;
  /** Attempts of one task before its job is FAILED. */
  maxAttempts: number;
}

export const NO_FAULTS: FaultSpec = {
  crashRate: 0,
  stuckRate: 0,
  timeoutP90Multiple: 3,
  minTimeoutSec: 600,
  nodeLosses: [],
  spotInterruptionsPerSlotHour: 0,
  spotReplaceSec: 300,
  maxAttempts: 4,
};

/** 1% encoder crashes, 0.1% stuck encodes, GPU Spot interruptions, one node loss on day 2 at peak. */
export function defaultFaults(fleet: Fleet): FaultSpec {
  const cpu = fleet.pools.find((p) => p.id === 'batch-cpu') ?? fleet.pools[0];
  return {
    ...NO_FAULTS,
    crashRate: 0.01,
    stuckRate: 0.001,
    spotInterruptionsPerSlotHour: 0.01,
    nodeLosses: cpu ? [{ atSec: 86_400 + 19 * 3600, poolId: cpu.id, slots: Math.max(1, Math.round(cpu.slots * 0.1)), durationSec: 4 * 3600 }] : [],
  };
}

export interface ScheduledBump {
  /** Upload index to bump, or 'next' to bump the next arriving upload. */
  uploadIndex: number;
  afterSec: number;
}

export interface SimConfig {
  workload: WorkloadSpec;
  fleet: Fleet;
  policy: SchedulerPolicy;
  faults?: FaultSpec;
  runner?: JobRunner;
  valuePolicy?: ValuePolicy;
  /** Deadline-management sweep period, seconds. */
  sweepSec?: number;
  /** Share of uploads that receive an emergency bump 5 minutes after arrival. */
  emergencyBumpRate?: number;
  bumps?: ScheduledBump[];
  /** Extra uploads injected at given times (scenario tests). */
  extraUploads?: Upload[];
  /** Simulated time allowed after the last arrival for the queue to drain, hours. */
  drainHours?: number;
  archetypes?: Archetype[];
  /** Keep every finished Job record (tests; off at scale). */
  keepJobs?: boolean;
  /**
   * Slots left free after the scheduler's walk go to jobs that chose to wait for a faster pool
   * (`schedule`'s `workConserving`). Default on.
   */
  workConserving?: boolean;
  /**
   * Bounded preemption (`choosePreemption`): a fast-lane task about to start on a slow slot may
   * take a fast slot from young lower-tier overflow work, which is requeued. Off by default.
   */
  preemption?: PreemptionOptions;
  /** Called for every published job (benches that need per-job figures). */
  onPublished?: (job: PublishedJob) => void;
}

export interface SimResult {
  policy: string;
  /** The job runner (pipeline shape) the run used. */
  runner: string;
  metrics: RunMetrics;
  wallSeconds: number;
  events: number;
  /** Tasks dispatched (one per monolithic attempt; chunks, joins… for the multi-stage pipeline). */
  tasksRun: number;
  /** Finished Job records, when `keepJobs` is on. */
  jobs?: Job[];
}

/** What the simulator reports when a job is published (for benches that need per-job figures). */
export interface PublishedJob {
  id: string;
  tier: Tier;
  createdAt: number;
  finishedAt: number;
  /** When the job's first task started (queue wait = startedAt − createdAt). */
  startedAt: number;
  deadlineAt: number;
  /** Variant level it was published at (0 = as planned). */
  level: number;
  contentSec: number;
  height: number;
  /** Reference work of the job at its active variant (P50). */
  workP50: number;
  tasks: number;
}

type TaskOutcome = 'ok' | 'crash' | 'stuck';

interface PoolState {
  spec: PoolSpec;
  slots: number;
  busy: number;
  running: Set<SimTask>;
  meanRunSec: number;
  /** Running tasks by predicted (P50) end: what a dispatcher knows about when a slot frees. */
  ends: MinHeap<SimTask>;
  /** Tasks in start order with their run ids (preemption looks at the youngest only). */
  recent: SimTask[];
  recentRun: number[];
  recentHead: number;
}

/**
 * The simulator's own record of a job. The `job` field is a Job owned by the simulator and moved
 * through the real state machine rules (`canTransition`) in place, without copying it on every
 * step (a million uploads a day); the ledger counts every terminal state and every dispatch.
 */
interface SimJob {
  upload: Upload;
  arche: Archetype;
  job: Job;
  tierIndex: number;
  tier: Tier;
  queuedAt: number;
  level: number;
  workP50: number;
  workP90: number;
  normalisedPerMinute: number;
  accelerated: boolean;
  emergency: boolean;
  boostMs: number;
  pinnedPool?: string;
  tasks: SimTask[];
  /** P90 critical path of the plan (reference seconds), for multi-task plans. */
  critP90: number;
  tasksLeft: number;
  running: number;
  firstStart: number;
  terminal: number;
  /** Bumped on every re-plan: events of tasks from an older plan are ignored. */
  epoch: number;
  /** Last sweep that examined the job (the risk index may hold it more than once). */
  sweepMark: number;
  /** Times a task of the job was preempted. */
  preemptions: number;
}

interface SimTask {
  sj: SimJob;
  index: number;
  epoch: number;
  spec: TaskSpec;
  status: 'blocked' | 'ready' | 'running' | 'done';
  depsLeft: number;
  dependents: number[];
  attempts: number;
  /** Heap version: a pushed node is valid only while it matches. */
  v: number;
  entry: TaskEntry | null;
  // While running:
  pool: PoolState | null;
  start: number;
  end: number;
  outcome: TaskOutcome;
  estCost: number;
  speed: number;
  runId: number;
}

type TaskEntry = QueueEntry & { task: SimTask };

type Ev =
  | { kind: 'tick'; minute: number }
  | { kind: 'arrive'; upload: Upload }
  | { kind: 'sweep' }
  | { kind: 'capacity'; poolId: string; delta: number; kill: boolean }
  | { kind: 'spot' }
  | { kind: 'bump'; uploadIndex: number; sj?: SimJob }
  | { kind: 'overdue' };

const Z90 = 1.2816;

/** A uniform draw in [0, 1) from a hash of (seed, a, b, c): the same fault fate for the same task in every run. */
function hashU(seed: number, a: number, b: number, c: number): number {
  let h = (seed ^ Math.imul(a + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function hashNormal(seed: number, a: number, b: number, c: number): number {
  const u1 = Math.max(1e-12, hashU(seed, a, b, c));
  const u2 = hashU(seed ^ 0x7f4a7c15, a, b, c);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Run one simulation to completion (all arrivals published or failed, or the drain limit hit). */
export function simulate(config: SimConfig): SimResult {
  const t0 = performance.now();
  const { workload, fleet, policy } = config;
  const faults = config.faults ?? NO_FAULTS;
  const runner = config.runner ?? monolithicRunner;
  const valuePolicy = config.valuePolicy ?? DEFAULT_VALUE_POLICY;
  const sweepMs = (config.sweepSec ?? 60) * 1000;
  const archetypes = config.archetypes ?? buildArchetypes();
  const gen = new WorkloadGenerator(workload, archetypes);
  const faultRng: Rng = seededRng(workload.seed ^ 0x5eed);
  const faultSeed = (workload.seed ^ 0x0fa17) >>> 0;
  const arrivalEndMs = workload.days * 86_400_000;
  const hardEndMs = arrivalEndMs + (config.drainHours ?? 48) * 3_600_000;
  const hours = Math.ceil(hardEndMs / 3_600_000);
  const metrics = new MetricsCollector(hours);
  const capacityRef = fleetCapacity(fleet);
  const available = [...new Set(fleet.pools.map((p) => p.backend))];
  const keep = config.keepJobs === true;

  const pools: PoolState[] = fleet.pools.map((spec) => ({ spec, slots: spec.slots, busy: 0, running: new Set(), meanRunSec: 600, ends: new MinHeap(), recent: [], recentRun: [], recentHead: 0 }));
  const poolById = new Map(pools.map((p) => [p.spec.id, p]));
  const minSpeed = pools.reduce((m, p) => Math.min(m, p.spec.speed), Infinity);
  /** Events; a running task is its own end event (tagged with its run id). */
  const events = new MinHeap<Ev | SimTask>();
  /**
   * Runnable tasks, one heap per set of backends they can run on (monolithic titles: any pool;
   * pipeline tasks: Batch workers), so a free slot is offered only work it can run.
   */
  const readyHeaps = new Map<string, { backends: readonly Backend[] | undefined; heap: MinHeap<SimTask> }>();
  let readyCount = 0;
  const heapFor = (t: SimTask) => {
    const b = t.spec.backends;
    const key = b ? b.join('|') : '*';
    let h = readyHeaps.get(key);
    if (!h) {
      h = { backends: b, heap: new MinHeap() };
      readyHeaps.set(key, h);
    }
    return h.heap;
  };
  const pushReady = (t: SimTask) => {
    heapFor(t).push(policy.rankKey(t.entry!), t, t.v);
    readyCount++;
  };
  const live = new Map<string, SimJob>();
  const queuedJobs = new Set<SimJob>();
  const encodingJobs = new Set<SimJob>();
  /** Deadline-risk index: queued jobs keyed by their latest safe start at the slowest speed. */
  const riskIndex = new MinHeap<SimJob>();
  const pendingBumps = new Set<number>();
  const finished: Job[] = [];
  let created = 0;
  let terminalJobs = 0;
  let duplicated = 0;
  let queuedWork = 0;
  const queuedWorkByTier = [0, 0, 0, 0];
  let runningWork = 0;
  let now = 0;
  let nEvents = 0;
  let tasksRun = 0;
  let runIds = 0;
  let totalSlots = pools.reduce((a, p) => a + p.slots, 0);
  let lastCapT = 0;
  let arrivalsDone = false;
  let sweeps = 0;
  /** Something the scheduler's answer depends on changed since the last dispatch (new work, a freed slot, capacity). */
  let dirty = true;

  const at = (t: number, ev: Ev) => events.push(t, ev);
  const accountCapacity = (t: number) => {
    if (t > lastCapT) metrics.addInterval(metrics.availByHour, lastCapT, t, totalSlots);
    lastCapT = Math.max(lastCapT, t);
  };

  /** The real state machine's rules, applied to the simulator's own record in place. */
  const move = (sj: SimJob, to: JobStatus, reason: string) => {
    const job = sj.job;
    if (!canTransition(job.status, to)) throw new IllegalTransitionError(`job ${job.id}: ${job.status} → ${to} is not allowed (${reason})`);
    if (keep) job.history.push({ from: job.status, to, at: now, reason });
    if (to === 'RETRYING') job.attempts++;
    if (to === 'FAILED') job.reason = reason;
    job.status = to;
    job.updatedAt = now;
  };

  const riskKey = (sj: SimJob) => sj.job.deadlineAt - sj.workP90 * 1000 / minSpeed;

  const taskEntry = (sj: SimJob, t: SimTask): TaskEntry => {
    const single = sj.tasks.length === 1;
    const spec = t.spec;
    // One object shape for every entry (optional fields set to undefined): the policy's hot
    // paths stay monomorphic.
    return {
      job: sj.job,
      queuedAt: sj.queuedAt,
      workP50: single ? sj.workP50 : spec.work + spec.fixedSec,
      workP90: single ? sj.workP90 : spec.work * sj.arche.p90Ratio + spec.fixedSec,
      contentSec: sj.upload.durationSec,
      normalisedPerMinute: sj.normalisedPerMinute,
      accelerated: sj.accelerated,
      emergency: sj.emergency,
      boostMs: sj.boostMs,
      pinnedPool: sj.pinnedPool,
      backends: spec.backends,
      preferredBackends: spec.preferred,
      speedOn: spec.speedOn,
      jobWorkP90: single ? undefined : sj.critP90,
      task: t,
    };
  };

  const makeReady = (t: SimTask) => {
    t.status = 'ready';
    t.entry = taskEntry(t.sj, t);
    t.v++;
    const w = t.entry.workP50;
    queuedWork += w;
    queuedWorkByTier[t.sj.tierIndex]! += w;
    pushReady(t);
    watchWait(t);
    dirty = true;
  };

  /**
   * Waiting preemption: fast-lane tasks by the time their job's wait passes its budget, and one
   * timer armed at the earliest (not one event per task: most start long before their budget).
   */
  const waitHeap = new MinHeap<SimTask>();
  let nextWaitCheck = Infinity;
  const armWaitCheck = (atMs: number) => {
    if (atMs >= nextWaitCheck) return;
    nextWaitCheck = atMs;
    at(atMs, { kind: 'overdue' });
  };
  const watchWait = (t: SimTask) => {
    if (!config.preemption) return;
    const dueAt = waitingPreemptionAt(t.entry!, config.preemption);
    if (dueAt === Infinity) return;
    waitHeap.push(dueAt, t, t.v);
    armWaitCheck(Math.max(now, dueAt));
  };
  const checkWaiting = () => {
    nextWaitCheck = Infinity;
    const retry: SimTask[] = [];
    while (waitHeap.size > 0 && waitHeap.peekKey()! <= now) {
      const t = waitHeap.pop()!;
      if (waitHeap.lastTag !== t.v || t.status !== 'ready' || t.epoch !== t.sj.epoch || t.sj.terminal > 0) continue;
      if (!preemptForWaiting(t)) retry.push(t);
    }
    // No victim yet: look again shortly (young lower-tier work starts all the time at peak).
    for (const t of retry) waitHeap.push(now + 30_000, t, t.v);
    if (waitHeap.size > 0) armWaitCheck(Math.max(now, waitHeap.peekKey()!));
  };

  /** Re-rank a job's ready tasks after its boost, pin, variant or emergency changed. */
  const rerank = (sj: SimJob) => {
    for (const t of sj.tasks) {
      if (t.status !== 'ready') continue;
      const old = t.entry!.workP50;
      t.entry = taskEntry(sj, t);
      queuedWork += t.entry.workP50 - old;
      queuedWorkByTier[sj.tierIndex]! += t.entry.workP50 - old;
      t.v++;
      pushReady(t);
      watchWait(t);
      dirty = true;
    }
  };

  const idleWorkerSlots = (): number => {
    let free = 0;
    for (const p of pools) if (p.spec.backend !== 'mediaconvert') free += Math.max(0, p.slots - p.busy);
    return Math.max(0, free - readyCount);
  };

  /** Plan (or re-plan) the job's tasks at its active variant and queue the runnable ones. */
  const planTasks = (sj: SimJob) => {
    for (const t of sj.tasks) if (t.status === 'ready') unready(t);
    sj.epoch++;
    const plan = runner.plan({ job: sj.job, tier: sj.tier, durationSec: sj.upload.durationSec, workP50: sj.workP50, rungs: sj.arche.rungs[sj.level] ?? sj.arche.rungs[0]!, available, idleSlots: idleWorkerSlots() });
    sj.tasks = plan.tasks.map((spec, index) => ({ sj, index, epoch: sj.epoch, spec, status: 'blocked', depsLeft: spec.dependsOn.length, dependents: [], attempts: 0, v: 0, entry: null, pool: null, start: 0, end: 0, outcome: 'ok', estCost: 0, speed: 1, runId: 0 }));
    for (const t of sj.tasks) for (const d of t.spec.dependsOn) sj.tasks[d]!.dependents.push(t.index);
    sj.tasksLeft = sj.tasks.length;
    sj.critP90 = sj.tasks.length === 1 ? sj.workP90 : pendingPathP90(sj);
    for (const t of sj.tasks) if (t.depsLeft === 0) makeReady(t);
  };

  const unready = (t: SimTask) => {
    const w = t.entry?.workP50 ?? 0;
    queuedWork -= w;
    queuedWorkByTier[t.sj.tierIndex]! -= w;
    t.status = 'blocked';
    t.v++;
  };

  const setVariant = (sj: SimJob, level: number) => {
    const secPerSec = sj.arche.secPerSecP50[level] ?? sj.arche.secPerSecP50[0]!;
    const variant = sj.arche.recipe.variants.find((v) => v.level === level);
    sj.level = level;
    sj.workP50 = secPerSec * sj.upload.durationSec;
    sj.workP90 = sj.workP50 * sj.arche.p90Ratio;
    sj.accelerated = variant?.accelerated ?? false;
    sj.normalisedPerMinute = sj.arche.normalisedPerMinute[level] ?? sj.arche.normalisedPerMinute[0]!;
    if (sj.job.recipe && sj.job.recipe.activeVariant !== level) sj.job.recipe = { ...sj.job.recipe, activeVariant: level };
    if (keep) sj.job.prediction = { modelVersion: 'sim-archetype', renditions: [], wallSecP50: sj.workP50, wallSecP90: sj.workP90, cpuSecP50: sj.workP50 * 1.8 };
  };

  const finish = (sj: SimJob) => {
    sj.terminal++;
    if (sj.terminal > 1) {
      duplicated++;
      return;
    }
    terminalJobs++;
    live.delete(sj.job.id);
    queuedJobs.delete(sj);
    encodingJobs.delete(sj);
    if (keep) finished.push(sj.job);
    if (sj.job.status === 'FAILED') metrics.failed++;
  };

  /** P90 critical path of the tasks not yet started (done and running ones count as finished). */
  const pendingPathP90 = (sj: SimJob): number => {
    const fin = new Float64Array(sj.tasks.length);
    let longest = 0;
    for (const t of sj.tasks) {
      if (t.status === 'done' || t.status === 'running') continue;
      let s0 = 0;
      for (const d of t.spec.dependsOn) s0 = Math.max(s0, fin[d]!);
      fin[t.index] = s0 + t.spec.work * sj.arche.p90Ratio + t.spec.fixedSec;
      longest = Math.max(longest, fin[t.index]!);
    }
    return longest;
  };

  const jobEntry = (sj: SimJob): QueueEntry => {
    let remaining = 0;
    for (const t of sj.tasks) if (t.status !== 'done') remaining += t.spec.work + t.spec.fixedSec;
    const single = sj.tasks.length === 1;
    return {
      job: sj.job, queuedAt: sj.queuedAt, workP50: single ? sj.workP50 : remaining, workP90: sj.critP90, contentSec: sj.upload.durationSec, normalisedPerMinute: sj.normalisedPerMinute, accelerated: sj.accelerated, emergency: sj.emergency, boostMs: sj.boostMs,
      pinnedPool: sj.pinnedPool, backends: single ? sj.tasks[0]!.spec.backends : undefined, preferredBackends: undefined, speedOn: undefined, jobWorkP90: undefined,
    };
  };

  const arrive = (u: Upload) => {
    const arche = archetypes[u.archetype]!;
    const job = newJob({ id: `u${u.index}`, source: { uri: `sim://upload/${u.index}`, version: '1' }, metadata: u.metadata, now });
    const value = scoreValue(u.metadata, valuePolicy);
    const tierIndex = tierRank(value.tier);
    const sj: SimJob = {
      upload: u, arche, job, tierIndex, tier: value.tier, queuedAt: now, level: 0, workP50: 0, workP90: 0, normalisedPerMinute: 0, accelerated: false, emergency: false, boostMs: 0,
      tasks: [], critP90: 0, tasksLeft: 0, running: 0, firstStart: -1, terminal: 0, epoch: 0, sweepMark: 0, preemptions: 0,
    };
    job.value = value;
    job.recipe = arche.recipe;
    job.deadlineAt = u.metadata.deadlineAt ?? now + valuePolicy.defaultDeadlineMinutes[value.tier] * 60_000;
    move(sj, 'ANALYZED', `tier ${value.tier} (score ${value.score.toFixed(1)})`);
    if (keep) job.profile = { ...arche.profile, source: { ...arche.profile.source, durationSec: u.durationSec } };
    setVariant(sj, 0);
    created++;
    if (live.has(job.id)) duplicated++;
    live.set(job.id, sj);
    metrics.arrived(tierIndex, now, sj.workP50);
    if (policy.admissionControl) {
      const ahead = (t: number) => queuedWorkByTier.slice(0, t + 1).reduce((a, b) => a + b, 0) + runningWork / 2;
      const d = admit(jobEntry(sj), { backlogWorkSec: queuedWork + runningWork / 2, capacityPerSec: capacityRef, backlogAtOrAboveSec: { standard: ahead(2), bulk: ahead(3) } }, now);
      if (d.admit === 'degraded') {
        setVariant(sj, d.level);
        const v = arche.recipe.variants.find((x) => x.level === d.level);
        sj.job = recordDecision(sj.job, { at: now, kind: 'schedule', action: `admit at variant ${v?.name ?? d.level}`, reason: d.reason, qualityCostVmaf: v?.qualityCostVmaf ?? 0 });
        metrics.admissionsDegraded++;
      }
    }
    move(sj, 'QUEUED', 'queued for encoding');
    queuedJobs.add(sj);
    planTasks(sj);
    if (policy.managesDeadlines) riskIndex.push(riskKey(sj), sj);
    if (pendingBumps.has(u.index)) at(now + 300_000, { kind: 'bump', uploadIndex: u.index, sj });
    else if (config.emergencyBumpRate && faultRng.next() < config.emergencyBumpRate) at(now + 300_000, { kind: 'bump', uploadIndex: u.index, sj });
  };

  /** Seconds until the pool's first slot is predicted to free (its soonest predicted task end). */
  const expectedFree = (p: PoolState): number => {
    while (p.ends.size > 0) {
      const top = p.ends.peek()!;
      if (top.runId === p.ends.peekTag() && top.pool === p) return Math.max(0, (p.ends.peekKey()! - now) / 1000);
      p.ends.pop();
    }
    return p.meanRunSec / Math.max(1, p.slots);
  };

  const poolViews = (): BackendPool[] =>
    pools.map((p) => {
      const free = Math.max(0, p.slots - p.busy);
      const view: BackendPool = { id: p.spec.id, backend: p.spec.backend, slots: p.slots, free, speed: p.spec.speed, acceleratedSpeed: p.spec.acceleratedSpeed, pricing: p.spec.pricing, expectedFreeInSec: free > 0 ? 0 : expectedFree(p) };
      return view;
    });

  const start = (t: SimTask, pool: PoolState, speed: number, estCost: number) => {
    const sj = t.sj;
    const w = t.entry!.workP50;
    queuedWork -= w;
    queuedWorkByTier[sj.tierIndex]! -= w;
    runningWork += w;
    const attempt = t.attempts + 1;
    const first = attempt === 1 && sj.job.attempts === 0;
    const sigma = Math.log(Math.max(1.0001, sj.arche.p90Ratio)) / Z90;
    const z = first ? sj.upload.noiseZ : hashNormal(faultSeed, sj.upload.index, t.index + 7919 * sj.epoch, attempt + 31 * sj.job.attempts);
    const runSec = (t.spec.work * Math.exp(sigma * z)) / speed + t.spec.fixedSec;
    const crashU = first && t.index === 0 ? sj.upload.crashU : hashU(faultSeed, sj.upload.index, t.index + 7919 * sj.epoch, 2 * attempt + 62 * sj.job.attempts);
    const stuckU = first && t.index === 0 ? sj.upload.stuckU : hashU(faultSeed ^ 0x51, sj.upload.index, t.index + 7919 * sj.epoch, 2 * attempt + 1 + 62 * sj.job.attempts);
    let outcome: TaskOutcome = 'ok';
    let end = now + runSec * 1000;
    if (crashU < faults.crashRate) {
      outcome = 'crash';
      end = now + runSec * 1000 * hashU(faultSeed ^ 0x77, sj.upload.index, t.index, attempt);
    } else if (stuckU < faults.stuckRate) {
      outcome = 'stuck';
      end = now + Math.max(faults.minTimeoutSec, (faults.timeoutP90Multiple * (t.spec.work * sj.arche.p90Ratio)) / speed + t.spec.fixedSec) * 1000;
    }
    t.status = 'running';
    t.pool = pool;
    t.start = now;
    t.end = end;
    t.outcome = outcome;
    t.estCost = estCost;
    t.speed = speed;
    t.runId = ++runIds;
    pool.busy += 1;
    pool.running.add(t);
    pool.ends.push(now + (t.spec.work / speed + t.spec.fixedSec) * 1000, t, runIds);
    if (config.preemption) {
      pool.recent.push(t);
      pool.recentRun.push(runIds);
    }
    sj.running++;
    tasksRun++;
    if (sj.job.status === 'QUEUED' || sj.job.status === 'RETRYING') {
      if (sj.job.status === 'QUEUED') queuedJobs.delete(sj);
      encodingJobs.add(sj);
      if (sj.firstStart < 0) sj.firstStart = now;
      move(sj, 'ENCODING', `dispatched to ${pool.spec.id} (attempt ${sj.job.attempts + 1})`);
      if (keep) sj.job.allocation = { backend: pool.spec.backend, vcpus: 0, memoryMiB: 0, gpus: pool.spec.backend === 'batch-gpu' ? 1 : 0, accelerated: sj.accelerated, chunks: sj.tasks.length, slots: 1, reasons: [policy.name, runner.name] };
    }
    events.push(end, t, t.runId);
  };

  /** Free the task's slot, account its busy time and cost. */
  const release = (t: SimTask) => {
    const pool = t.pool!;
    pool.busy -= 1;
    dirty = true;
    pool.running.delete(t);
    t.sj.running--;
    runningWork -= t.entry!.workP50;
    const elapsedSec = (now - t.start) / 1000;
    metrics.addInterval(metrics.busyByHour, t.start, now, 1);
    pool.meanRunSec = 0.98 * pool.meanRunSec + 0.02 * elapsedSec;
    const pricing = pool.spec.pricing;
    if (pricing.kind === 'batch') metrics.costUsd += batchCostUsd({ instance: pricing.instance, slotSec: elapsedSec, slotsPerInstance: pricing.slotsPerInstance, spot: pricing.spot }) * 1.1;
    else if (pricing.kind === 'mediaconvert' && t.outcome === 'ok') metrics.costUsd += t.estCost;
    t.pool = null;
    t.runId = 0;
  };

  /**
   * A task's attempt failed: only that task is retried; the job fails when one task has failed
   * `maxAttempts` times (per task, as AWS Batch counts retries: a title cut into 30 chunks is not
   * four times likelier to fail than a monolithic encode).
   */
  const failTask = (t: SimTask, reason: string) => {
    const sj = t.sj;
    release(t);
    t.attempts++;
    t.status = 'blocked';
    if (sj.terminal > 0) return;
    metrics.retries++;
    move(sj, 'RETRYING', reason);
    if (t.attempts >= faults.maxAttempts) {
      for (const o of sj.tasks) {
        if (o.status === 'running') release(o);
        if (o.status === 'ready') unready(o);
        o.status = 'blocked';
      }
      move(sj, 'FAILED', `gave up after ${sj.job.attempts} attempts: ${reason}`);
      finish(sj);
      return;
    }
    requeue(t, 'the failed task is requeued alone', 'requeued after a failed attempt');
  };

  /** Put a task back (its job was moved to RETRYING): ENCODING while siblings run, else QUEUED. */
  const requeue = (t: SimTask, whileRunning: string, whenIdle: string) => {
    const sj = t.sj;
    if (sj.running > 0) move(sj, 'ENCODING', `other tasks still encoding; ${whileRunning}`);
    else {
      move(sj, 'QUEUED', whenIdle);
      encodingJobs.delete(sj);
      queuedJobs.add(sj);
      if (policy.managesDeadlines) riskIndex.push(riskKey(sj), sj);
    }
    makeReady(t);
  };

  /**
   * A task gives its slot to a fast-lane task and is requeued with its place kept. Not a failure:
   * no attempt is charged (ENCODING → QUEUED, or the job stays ENCODING while siblings run) and
   * the restarted task draws the same run-time and fault fate as before.
   */
  const preempt = (t: SimTask, by: string) => {
    const sj = t.sj;
    const where = t.pool?.spec.id ?? 'a fast pool';
    metrics.preemptions++;
    metrics.preemptedSec += (now - t.start) / 1000;
    release(t);
    t.status = 'blocked';
    sj.preemptions++;
    const why = `preempted on ${where} by ${by} (fast lane); requeued with its place`;
    if (keep) sj.job.decisions.push({ at: now, kind: 'schedule', action: `preempt task ${t.index}`, reason: why });
    if (sj.running === 0) {
      move(sj, 'QUEUED', why);
      encodingJobs.delete(sj);
      queuedJobs.add(sj);
      if (policy.managesDeadlines) riskIndex.push(riskKey(sj), sj);
    }
    makeReady(t);
  };

  const complete = (t: SimTask) => {
    const sj = t.sj;
    if (t.outcome !== 'ok') {
      failTask(t, t.outcome === 'stuck' ? `stuck on ${t.pool!.spec.id}: watchdog timeout` : `encoder crashed on ${t.pool!.spec.id}`);
      return;
    }
    release(t);
    t.status = 'done';
    metrics.addWork(now, t.spec.creditWork ?? t.spec.work);
    sj.tasksLeft--;
    for (const d of t.dependents) {
      const n = sj.tasks[d]!;
      if (--n.depsLeft === 0 && n.status === 'blocked') makeReady(n);
    }
    if (sj.tasksLeft > 0) return;
    move(sj, 'VERIFYING', 'outputs written');
    move(sj, 'PUBLISHED', 'published');
    const variant = sj.arche.recipe.variants.find((v) => v.level === sj.level);
    metrics.published({
      tierIndex: sj.tierIndex,
      createdAt: sj.job.createdAt,
      finishedAt: now,
      deadlineAt: sj.job.deadlineAt,
      contentSec: sj.upload.durationSec,
      qualityCost: variant?.qualityCostVmaf ?? 0,
      downgraded: sj.level > 0,
      fifoProCost: mediaConvertCostUsd({ contentSec: sj.upload.durationSec, normalisedPerMinute: sj.arche.fullLadderNormalised, tier: 'professional', accelerated: false }, DEFAULT_PRICES),
    });
    config.onPublished?.({ id: sj.job.id, tier: sj.tier, createdAt: sj.job.createdAt, finishedAt: now, startedAt: sj.firstStart, deadlineAt: sj.job.deadlineAt, level: sj.level, contentSec: sj.upload.durationSec, height: sj.arche.height, workP50: sj.workP50, tasks: sj.tasks.length });
    finish(sj);
  };

  const dispatch = () => {
    if (readyCount === 0 || !dirty) return;
    dirty = false;
    const freePools = pools.filter((p) => p.slots - p.busy > 0);
    if (freePools.length === 0) return;
    const views = poolViews();
    // Heaps holding work some free pool can run, merged in rank order.
    const heaps = [...readyHeaps.values()].filter((h) => h.heap.size > 0 && (!h.backends || freePools.some((p) => h.backends!.includes(p.spec.backend)))).map((h) => h.heap);
    if (heaps.length === 0) return;
    function* ordered(): Generator<QueueEntry> {
      for (;;) {
        let best: MinHeap<SimTask> | undefined;
        for (const h of heaps) if (h.size > 0 && (!best || h.peekKey()! < best.peekKey()!)) best = h;
        if (!best) return;
        const t = best.pop()!;
        readyCount--;
        if (best.lastTag !== t.v) continue;
        if (t.status !== 'ready' || t.epoch !== t.sj.epoch) {
          duplicated++;
          continue;
        }
        yield t.entry!;
      }
    }
    const result = schedule(ordered(), views, now, policy, { maxSkips: 256, workConserving: config.workConserving ?? true });
    for (const e of result.skipped) pushReady((e as TaskEntry).task);
    for (const d of result.dispatched) {
      const t = (d.entry as TaskEntry).task;
      let pool = poolById.get(d.pool.id)!;
      let speed = d.speed;
      const pre = config.preemption;
      if (pre && (t.sj.emergency || pre.tiers.includes(t.sj.tier))) {
        const { running, byId } = youngestVictims(d.entry, pre.minSpeedup * d.speed);
        const pick = running.length > 0 ? choosePreemption(d.entry, d.speed, running, views, now, pre) : null;
        if (pick) {
          preempt(byId.get(pick.victim.id)!, t.sj.job.id);
          pool = poolById.get(pick.pool.id)!;
          speed = speedOnPool(pool, d.entry);
        }
      }
      start(t, pool, speed, d.estCostUsd);
    }
  };

  /** The youngest preemptible task on each full pool where the entry runs at least `minSpeed`. */
  const youngestVictims = (entry: QueueEntry, minSpeed: number): { running: RunningSlot[]; byId: Map<string, SimTask> } => {
    const pre = config.preemption!;
    const youngest = now - pre.maxLostSec * 1000;
    const running: RunningSlot[] = [];
    const byId = new Map<string, SimTask>();
    for (const p of pools) {
      if (p.slots <= 0 || p.busy < p.slots || speedOnPool(p, entry) < minSpeed || (entry.backends && !entry.backends.includes(p.spec.backend))) continue;
      while (p.recentHead < p.recent.length && p.recent[p.recentHead]!.start < youngest) p.recentHead++;
      if (p.recentHead > 4096 && p.recentHead * 2 > p.recent.length) {
        p.recent.splice(0, p.recentHead);
        p.recentRun.splice(0, p.recentHead);
        p.recentHead = 0;
      }
      for (let i = p.recent.length - 1; i >= p.recentHead; i--) {
        const r = p.recent[i]!;
        if (r.runId !== p.recentRun[i] || r.status !== 'running' || r.pool !== p) continue;
        if (!pre.victimTiers.includes(r.sj.tier) || r.sj.preemptions >= pre.maxPreemptionsPerJob || r.sj.emergency || r.sj.boostMs > 0 || policy.reason(r.entry!) === 'urgent') continue;
        const id = String(r.runId);
        byId.set(id, r);
        running.push({ id, poolId: p.spec.id, tier: r.sj.tier, startedAt: r.start, protected: false, preemptions: r.sj.preemptions });
        break;
      }
    }
    return { running, byId };
  };

  /**
   * A fast-lane task still queued past its wait budget takes a slot from a young lower-tier task
   * (`choosePreemption` with no slot of its own), on a pool the policy would run it on. False
   * when there is no victim yet.
   */
  const preemptForWaiting = (t: SimTask): boolean => {
    const e = t.entry!;
    // A free slot it can run on: the dispatcher gives it one, or it chose to wait for a faster pool.
    for (const p of pools) if (p.busy < p.slots && (!e.backends || e.backends.includes(p.spec.backend))) return false;
    // Only onto a pool `minSpeedup` × faster than the slowest it could run on: taking a slow slot
    // from other work is rarely faster than waiting for a fast one.
    let slowest = Infinity;
    for (const p of pools) if (p.slots > 0 && (!e.backends || e.backends.includes(p.spec.backend))) slowest = Math.min(slowest, speedOnPool(p, e));
    const { running, byId } = youngestVictims(e, config.preemption!.minSpeedup * slowest);
    if (running.length === 0) return false;
    const views = poolViews();
    const pick = choosePreemption(e, slowest, running, views, now, config.preemption);
    if (!pick) return false;
    const choice = policy.choosePool(e, [{ ...pick.pool, free: 1, expectedFreeInSec: 0 }], now);
    if (!choice) return false;
    preempt(byId.get(pick.victim.id)!, t.sj.job.id);
    t.v++; // its ready-heap node is stale now
    start(t, poolById.get(pick.pool.id)!, choice.speed, choice.costUsd);
    return true;
  };

  const speedOnPool = (p: PoolState, e: QueueEntry): number => e.speedOn?.[p.spec.backend] ?? (e.accelerated && p.spec.acceleratedSpeed ? p.spec.acceleratedSpeed : p.spec.speed);

  const killRunning = (pool: PoolState, n: number, reason: string) => {
    const victims = [...pool.running];
    for (let i = 0; i < n && victims.length > 0; i++) {
      const k = Math.floor(faultRng.next() * victims.length);
      failTask(victims.splice(k, 1)[0]!, reason);
    }
  };

  /** Rank key of the first runnable non-emergency task (stale heap nodes may make it a little early: harmless). */
  const frontRankKey = (): number => {
    let k = Infinity;
    for (const h of readyHeaps.values()) if (h.heap.size > 0) k = Math.min(k, h.heap.peekKey()!);
    return k < -1e14 ? Infinity : k;
  };

  const sweep = () => {
    // Incremental: only queued jobs whose latest safe start (deadline − P90 work at the slowest
    // speed) falls before the time the whole queue takes to clear can be at risk; the risk index
    // hands those over without touching the rest of the queue.
    // (Twice the clearing time: a superset of what planDeadlineActions itself would examine.)
    const clearMs = ((2 * queuedWork + runningWork) / capacityRef) * 1000;
    const margin = 120_000;
    const candidates: QueueEntry[] = [];
    const back: SimJob[] = [];
    sweeps++;
    while (riskIndex.size > 0 && riskIndex.peekKey()! - margin < now + clearMs) {
      const sj = riskIndex.pop()!;
      // Jobs that left the queue drop out; they re-enter when requeued.
      if (sj.terminal > 0 || sj.job.status !== 'QUEUED' || sj.sweepMark === sweeps) continue;
      sj.sweepMark = sweeps;
      back.push(sj);
      candidates.push(jobEntry(sj));
    }
    const running: RunningView[] = [];
    for (const sj of encodingJobs) {
      let endP90 = now;
      for (const t of sj.tasks) if (t.status === 'running') endP90 = Math.max(endP90, t.start + ((t.spec.work * sj.arche.p90Ratio) / t.speed + t.spec.fixedSec) * 1000);
      if (sj.tasks.length > 1) endP90 += pendingPathP90(sj) * 1000;
      if (endP90 <= sj.job.deadlineAt - margin) continue;
      let done = 0;
      for (const t of sj.tasks) if (t.status === 'done') done += t.spec.work;
      const task = sj.tasks.find((t) => t.status === 'running');
      running.push({ job: sj.job, poolId: task?.pool?.spec.id ?? pools[0]!.spec.id, startedAt: sj.firstStart, expectedEndP90: endP90, progress: sj.tasks.length === 1 && task ? Math.min(1, (now - task.start) / Math.max(1, (sj.workP50 / task.speed) * 1000)) : done / Math.max(1e-9, sj.workP50), workP90: sj.workP90 });
    }
    const plans = candidates.length + running.length === 0 ? [] : planDeadlineActions({ queued: candidates.length > 0 ? [...queuedJobs].map(jobEntry) : [], candidates, running, pools: poolViews(), now, policy, frontRankKey: frontRankKey() });
    for (const sj of back) riskIndex.push(riskKey(sj), sj);
    for (const plan of plans) {
      const sj = live.get(plan.jobId);
      if (!sj) continue;
      metrics.deadlineActions++;
      const variantChanged = plan.variantLevel !== undefined && plan.variantLevel !== sj.level;
      sj.job.decisions = plan.job.decisions;
      sj.job.updatedAt = now;
      if (plan.boostMs !== undefined) sj.boostMs = plan.boostMs;
      if (plan.pinnedPool !== undefined) sj.pinnedPool = plan.pinnedPool;
      if (sj.job.status === 'QUEUED') {
        if (variantChanged && sj.running === 0) {
          setVariant(sj, plan.variantLevel!);
          planTasks(sj);
          riskIndex.push(riskKey(sj), sj);
        } else rerank(sj);
      } else if (sj.job.status === 'ENCODING' && plan.steps.includes('restart-faster')) {
        for (const t of sj.tasks) if (t.status === 'running') release(t);
        // A restart on a faster variant is not a failure: no attempt is charged.
        move(sj, 'QUEUED', 'deadline: restart on a faster variant');
        encodingJobs.delete(sj);
        queuedJobs.add(sj);
        if (variantChanged) setVariant(sj, plan.variantLevel!);
        planTasks(sj);
        riskIndex.push(riskKey(sj), sj);
      }
    }
  };

  // Seed the event queue.
  at(0, { kind: 'tick', minute: 0 });
  if (policy.managesDeadlines) at(sweepMs, { kind: 'sweep' });
  for (const nl of faults.nodeLosses) {
    at(nl.atSec * 1000, { kind: 'capacity', poolId: nl.poolId, delta: -nl.slots, kill: true });
    at((nl.atSec + nl.durationSec) * 1000, { kind: 'capacity', poolId: nl.poolId, delta: nl.slots, kill: false });
  }
  const gpuSlots = () => pools.filter((p) => p.spec.backend === 'batch-gpu').reduce((a, p) => a + p.slots, 0);
  const nextSpot = () => {
    const rate = (faults.spotInterruptionsPerSlotHour * gpuSlots()) / 3_600_000;
    if (rate > 0) at(now - Math.log(Math.max(1e-12, faultRng.next())) / rate, { kind: 'spot' });
  };
  nextSpot();
  for (const b of config.bumps ?? []) pendingBumps.add(b.uploadIndex);
  for (const u of config.extraUploads ?? []) at(u.atMs, { kind: 'arrive', upload: u });

  while (events.size > 0) {
    const t = events.peekKey()!;
    if (t > hardEndMs) break;
    const item = events.pop()!;
    nEvents++;
    now = t;
    accountCapacity(now);
    if (!('kind' in item)) {
      if (item.runId === events.lastTag && item.status === 'running') complete(item);
      if (events.peekKey() !== now) dispatch();
      continue;
    }
    const ev = item;
    switch (ev.kind) {
      case 'tick': {
        if (ev.minute < gen.totalMinutes) for (const u of gen.minute(ev.minute)) at(u.atMs, { kind: 'arrive', upload: u });
        if (ev.minute + 1 < gen.totalMinutes) at((ev.minute + 1) * 60_000, { kind: 'tick', minute: ev.minute + 1 });
        else arrivalsDone = true;
        break;
      }
      case 'arrive':
        arrive(ev.upload);
        break;
      case 'sweep':
        sweep();
        if (!arrivalsDone || live.size > 0) at(now + sweepMs, { kind: 'sweep' });
        break;
      case 'capacity': {
        const pool = poolById.get(ev.poolId);
        if (!pool) break;
        const before = pool.slots;
        pool.slots = Math.max(0, pool.slots + ev.delta);
        totalSlots += pool.slots - before;
        dirty = true;
        if (ev.kill) {
          const lost = before - pool.slots;
          const n = Math.max(Math.round((lost * pool.busy) / Math.max(1, before)), pool.busy - pool.slots);
          killRunning(pool, n, `node lost on ${pool.spec.id}`);
        }
        break;
      }
      case 'spot': {
        const gpu = pools.filter((p) => p.spec.backend === 'batch-gpu' && p.slots > 0);
        const pool = gpu[Math.floor(faultRng.next() * gpu.length)];
        if (pool) {
          const wasBusy = faultRng.next() < pool.busy / Math.max(1, pool.slots);
          at(now, { kind: 'capacity', poolId: pool.spec.id, delta: -1, kill: false });
          at(now + faults.spotReplaceSec * 1000, { kind: 'capacity', poolId: pool.spec.id, delta: 1, kill: false });
          if (wasBusy) killRunning(pool, 1, `spot interruption on ${pool.spec.id}`);
        }
        if (!arrivalsDone || live.size > 0) nextSpot();
        break;
      }
      case 'overdue':
        // Only the timer armed last runs the check (an earlier one may have replaced it).
        if (now === nextWaitCheck) checkWaiting();
        break;
      case 'bump': {
        const sj = ev.sj ?? live.get(`u${ev.uploadIndex}`);
        if (!sj || sj.terminal > 0) break;
        sj.job = escalate(sj.job, { by: 'sim-operator', reason: 'emergency: breaking news' }, now);
        sj.emergency = true;
        rerank(sj);
        break;
      }
    }
    if (events.peekKey() !== now) dispatch();
  }
  // A run cut off at the drain limit still has tasks on slots: their slots were busy up to the
  // end (counting them only when they finish would make a fleet busy with long tasks look idle).
  const endMs = events.size > 0 ? hardEndMs : Math.min(now, hardEndMs);
  accountCapacity(endMs);
  for (const p of pools) for (const t of p.running) if (t.start < endMs) metrics.addInterval(metrics.busyByHour, t.start, endMs, 1);

  const lost = created - terminalJobs;
  const arrivalHours = Math.ceil(arrivalEndMs / 3_600_000);
  const m = metrics.summarise({
    lostJobs: lost,
    duplicatedJobs: duplicated,
    capacityRefPerSec: capacityRef,
    peakHour: (h) => inPeakWindow(workload, h * 3600 + 1800),
    arrivalHours,
  });
  return { policy: policy.name, runner: runner.name, metrics: m, wallSeconds: (performance.now() - t0) / 1000, events: nEvents, tasksRun, ...(keep ? { jobs: finished } : {}) };
}
