/**
 * The discrete-event simulator: a virtual clock, a binary-heap event queue and seeded RNGs drive
 * uploads through the real core — value scoring, the real scheduler (`schedule` with a
 * `SchedulerPolicy`), admission control, deadline management (`planDeadlineActions`) and the job
 * state machine (`transition`) — on simulated encoder pools whose run times come from the
 * prediction model plus noise, with injected faults. A ledger checks that no job is lost or
 * duplicated.
 */
import { batchCostUsd, mediaConvertCostUsd, DEFAULT_PRICES } from '../core/cost';
import { planDeadlineActions, type RunningView } from '../core/deadlines';
import { newJob, recordDecision, transition } from '../core/job';
import { normal, seededRng, type Rng } from '../core/rng';
import { admit, emergencyBump, schedule, type BackendPool, type QueueEntry, type SchedulerPolicy } from '../core/scheduling';
import { DEFAULT_VALUE_POLICY, scoreValue, type ValuePolicy } from '../core/value';
import { tierRank, type Job, type Prediction } from '../core/types';
import { buildArchetypes, type Archetype } from './archetypes';
import type { Fleet, PoolSpec } from './fleet';
import { fleetCapacity } from './fleet';
import { MinHeap } from './heap';
import { MetricsCollector, type RunMetrics } from './metrics';
import { makespan, monolithicRunner, type JobRunner } from './runner';
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
  /** Attempts before a job is FAILED. */
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
}

export interface SimResult {
  policy: string;
  metrics: RunMetrics;
  wallSeconds: number;
  events: number;
  /** Finished Job records, when `keepJobs` is on. */
  jobs?: Job[];
}

type TaskOutcome = 'ok' | 'crash' | 'stuck';

interface PoolState {
  spec: PoolSpec;
  slots: number;
  busy: number;
  running: Set<Task>;
  meanRunSec: number;
}

interface SimJob {
  idx: number;
  upload: Upload;
  arche: Archetype;
  job: Job;
  entry: QueueEntry;
  version: number;
  state: 'queued' | 'running' | 'done';
  task?: Task;
  tierIndex: number;
}

interface Task {
  sj: SimJob;
  pool: PoolState;
  start: number;
  end: number;
  held: number;
  outcome: TaskOutcome;
  estCost: number;
  speed: number;
  active: boolean;
}

type Ev =
  | { kind: 'tick'; minute: number }
  | { kind: 'arrive'; upload: Upload }
  | { kind: 'end'; task: Task }
  | { kind: 'timeout'; task: Task }
  | { kind: 'sweep' }
  | { kind: 'capacity'; poolId: string; delta: number; kill: boolean }
  | { kind: 'spot' }
  | { kind: 'bump'; uploadIndex: number };

const Z90 = 1.2816;

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
  const arrivalEndMs = workload.days * 86_400_000;
  const hardEndMs = arrivalEndMs + (config.drainHours ?? 48) * 3_600_000;
  const hours = Math.ceil(hardEndMs / 3_600_000);
  const metrics = new MetricsCollector(hours);
  const capacityRef = fleetCapacity(fleet);

  const pools: PoolState[] = fleet.pools.map((spec) => ({ spec, slots: spec.slots, busy: 0, running: new Set(), meanRunSec: 600 }));
  const poolById = new Map(pools.map((p) => [p.spec.id, p]));
  const events = new MinHeap<Ev>();
  const queue = new MinHeap<{ sj: SimJob; v: number }>();
  const live = new Map<string, SimJob>();
  const queued = new Set<SimJob>();
  const byUpload = new Map<number, SimJob>();
  const pendingBumps = new Set<number>();
  const finished: Job[] = [];
  // Ledger: how many times each job reached a terminal state, and whether it was dispatched twice.
  const terminalCount = new Map<string, number>();
  let created = 0;
  let duplicated = 0;
  let queuedWork = 0;
  const queuedWorkByTier = [0, 0, 0, 0];
  let runningWork = 0;
  let now = 0;
  let nEvents = 0;
  let totalSlots = pools.reduce((a, p) => a + p.slots, 0);
  let lastCapT = 0;
  let arrivalsDone = false;

  const at = (t: number, ev: Ev) => events.push(t, ev);
  const accountCapacity = (t: number) => {
    if (t > lastCapT) metrics.addInterval(metrics.availByHour, lastCapT, t, totalSlots);
    lastCapT = Math.max(lastCapT, t);
  };

  const predictionFor = (arche: Archetype, level: number, durationSec: number): Prediction => {
    const p50 = (arche.secPerSecP50[level] ?? arche.secPerSecP50[0]!) * durationSec;
    return { modelVersion: 'sim-archetype', renditions: [], wallSecP50: p50, wallSecP90: p50 * arche.p90Ratio, cpuSecP50: p50 * 1.8 };
  };

  const setVariant = (sj: SimJob, level: number) => {
    const pred = predictionFor(sj.arche, level, sj.upload.durationSec);
    const variant = sj.arche.recipe.variants.find((v) => v.level === level);
    const recipe = sj.job.recipe ? { ...sj.job.recipe, activeVariant: level } : sj.job.recipe;
    sj.job = { ...sj.job, recipe, prediction: pred };
    if (sj.state === 'queued') {
      queuedWork += pred.wallSecP50 - sj.entry.workP50;
      queuedWorkByTier[sj.tierIndex]! += pred.wallSecP50 - sj.entry.workP50;
    }
    sj.entry = {
      ...sj.entry,
      job: sj.job,
      workP50: pred.wallSecP50,
      workP90: pred.wallSecP90,
      accelerated: variant?.accelerated ?? false,
      normalisedPerMinute: sj.arche.normalisedPerMinute[level] ?? sj.arche.normalisedPerMinute[0]!,
    };
  };

  const enqueue = (sj: SimJob) => {
    sj.state = 'queued';
    sj.version++;
    queued.add(sj);
    queuedWork += sj.entry.workP50;
    queuedWorkByTier[sj.tierIndex]! += sj.entry.workP50;
    queue.push(policy.rankKey(sj.entry), { sj, v: sj.version });
  };

  const finish = (sj: SimJob, reason: string) => {
    sj.state = 'done';
    live.delete(sj.job.id);
    terminalCount.set(sj.job.id, (terminalCount.get(sj.job.id) ?? 0) + 1);
    if (config.keepJobs) finished.push(sj.job);
    if (sj.job.status === 'FAILED') metrics.failed++;
    void reason;
  };

  const arrive = (u: Upload) => {
    const arche = archetypes[u.archetype]!;
    let job = newJob({ id: `u${u.index}`, source: { uri: `sim://upload/${u.index}`, version: '1' }, metadata: u.metadata, now });
    const value = scoreValue(u.metadata, valuePolicy);
    const deadlineAt = u.metadata.deadlineAt ?? now + valuePolicy.defaultDeadlineMinutes[value.tier] * 60_000;
    const profile = { ...arche.profile, source: { ...arche.profile.source, durationSec: u.durationSec } };
    const prediction = predictionFor(arche, 0, u.durationSec);
    job = transition(job, 'ANALYZED', now, `tier ${value.tier} (score ${value.score.toFixed(1)})`, { profile, value, recipe: arche.recipe, prediction, deadlineAt });
    const sj: SimJob = {
      idx: u.index,
      upload: u,
      arche,
      job,
      entry: {
        job,
        queuedAt: now,
        workP50: prediction.wallSecP50,
        workP90: prediction.wallSecP90,
        contentSec: u.durationSec,
        normalisedPerMinute: arche.normalisedPerMinute[0]!,
        accelerated: false,
        emergency: false,
        boostMs: 0,
      },
      version: 0,
      state: 'queued',
      tierIndex: tierRank(value.tier),
    };
    created++;
    if (live.has(job.id)) duplicated++;
    live.set(job.id, sj);
    byUpload.set(u.index, sj);
    metrics.arrived(sj.tierIndex, now, prediction.wallSecP50);
    if (policy.admissionControl) {
      const ahead = (t: number) => queuedWorkByTier.slice(0, t + 1).reduce((a, b) => a + b, 0) + runningWork / 2;
      const d = admit(sj.entry, { backlogWorkSec: queuedWork + runningWork / 2, capacityPerSec: capacityRef, backlogAtOrAboveSec: { standard: ahead(2), bulk: ahead(3) } }, now);
      if (d.admit === 'degraded') {
        setVariant(sj, d.level);
        const v = arche.recipe.variants.find((x) => x.level === d.level);
        sj.job = recordDecision(sj.job, { at: now, kind: 'schedule', action: `admit at variant ${v?.name ?? d.level}`, reason: d.reason, qualityCostVmaf: v?.qualityCostVmaf ?? 0 });
        sj.entry = { ...sj.entry, job: sj.job };
        metrics.admissionsDegraded++;
      }
    }
    sj.job = transition(sj.job, 'QUEUED', now, 'queued for encoding');
    sj.entry = { ...sj.entry, job: sj.job };
    enqueue(sj);
    if (pendingBumps.has(u.index)) at(now + 300_000, { kind: 'bump', uploadIndex: u.index });
    else if (config.emergencyBumpRate && faultRng.next() < config.emergencyBumpRate) at(now + 300_000, { kind: 'bump', uploadIndex: u.index });
  };

  const poolViews = (): BackendPool[] =>
    pools.map((p) => {
      const free = Math.max(0, p.slots - p.busy);
      return {
        id: p.spec.id,
        backend: p.spec.backend,
        slots: p.slots,
        free,
        speed: p.spec.speed,
        acceleratedSpeed: p.spec.acceleratedSpeed,
        pricing: p.spec.pricing,
        expectedFreeInSec: free > 0 ? 0 : p.meanRunSec / Math.max(1, p.slots),
      };
    });

  const start = (sj: SimJob, pool: PoolState, speed: number, estCost: number) => {
    queued.delete(sj);
    queuedWork -= sj.entry.workP50;
    queuedWorkByTier[sj.tierIndex]! -= sj.entry.workP50;
    const attempt = sj.job.attempts + 1;
    const plan = runner.plan(sj.job, sj.entry.workP50);
    const free = pool.slots - pool.busy;
    const held = Math.max(1, Math.min(plan.maxParallel, free));
    const sigma = Math.log(Math.max(1.0001, sj.arche.p90Ratio)) / Z90;
    const z = attempt === 1 ? sj.upload.noiseZ : normal(faultRng);
    const noise = Math.exp(sigma * z);
    const runSec = makespan(plan.tasks.map((w) => (w * noise) / speed), held) + plan.overheadSec;
    const crashU = attempt === 1 ? sj.upload.crashU : faultRng.next();
    const stuckU = attempt === 1 ? sj.upload.stuckU : faultRng.next();
    let outcome: TaskOutcome = 'ok';
    let end = now + runSec * 1000;
    if (crashU < faults.crashRate) {
      outcome = 'crash';
      end = now + runSec * 1000 * faultRng.next();
    } else if (stuckU < faults.stuckRate) {
      outcome = 'stuck';
      end = now + Math.max(faults.minTimeoutSec, (faults.timeoutP90Multiple * sj.entry.workP90) / speed) * 1000;
    }
    const task: Task = { sj, pool, start: now, end, held, outcome, estCost, speed, active: true };
    pool.busy += held;
    pool.running.add(task);
    runningWork += sj.entry.workP50;
    sj.state = 'running';
    sj.task = task;
    sj.job = transition(sj.job, 'ENCODING', now, `dispatched to ${pool.spec.id} (attempt ${attempt})`, { allocation: { backend: pool.spec.backend, vcpus: 0, memoryMiB: 0, gpus: pool.spec.backend === 'batch-gpu' ? 1 : 0, accelerated: sj.entry.accelerated, chunks: plan.tasks.length, slots: held, reasons: [policy.name] } });
    sj.entry = { ...sj.entry, job: sj.job };
    at(end, { kind: outcome === 'stuck' ? 'timeout' : 'end', task });
  };

  const release = (task: Task) => {
    task.active = false;
    const pool = task.pool;
    pool.busy -= task.held;
    pool.running.delete(task);
    runningWork -= task.sj.entry.workP50;
    const elapsedSec = (now - task.start) / 1000;
    metrics.addInterval(metrics.busyByHour, task.start, now, task.held);
    pool.meanRunSec = 0.98 * pool.meanRunSec + 0.02 * elapsedSec;
    const pricing = pool.spec.pricing;
    if (pricing.kind === 'batch') metrics.costUsd += batchCostUsd({ instance: pricing.instance, slotSec: elapsedSec * task.held, slotsPerInstance: pricing.slotsPerInstance, spot: pricing.spot }) * 1.1;
    else if (pricing.kind === 'mediaconvert' && task.outcome === 'ok') metrics.costUsd += task.estCost;
    task.sj.task = undefined;
  };

  const failAttempt = (sj: SimJob, reason: string) => {
    sj.job = transition(sj.job, 'RETRYING', now, reason);
    metrics.retries++;
    if (sj.job.attempts >= faults.maxAttempts) {
      sj.job = transition(sj.job, 'FAILED', now, `gave up after ${sj.job.attempts} attempts: ${reason}`);
      finish(sj, reason);
      return;
    }
    sj.job = transition(sj.job, 'QUEUED', now, 'requeued after a failed attempt');
    sj.entry = { ...sj.entry, job: sj.job };
    enqueue(sj);
  };

  const complete = (task: Task) => {
    const sj = task.sj;
    release(task);
    if (task.outcome !== 'ok') {
      failAttempt(sj, task.outcome === 'stuck' ? `stuck on ${task.pool.spec.id}: watchdog timeout` : `encoder crashed on ${task.pool.spec.id}`);
      return;
    }
    sj.job = transition(sj.job, 'VERIFYING', now, 'outputs written');
    sj.job = transition(sj.job, 'PUBLISHED', now, 'published');
    const level = sj.job.recipe?.activeVariant ?? 0;
    const variant = sj.arche.recipe.variants.find((v) => v.level === level);
    metrics.published({
      tierIndex: sj.tierIndex,
      createdAt: sj.job.createdAt,
      finishedAt: now,
      deadlineAt: sj.job.deadlineAt,
      contentSec: sj.upload.durationSec,
      qualityCost: variant?.qualityCostVmaf ?? 0,
      downgraded: level > 0,
      fifoProCost: mediaConvertCostUsd({ contentSec: sj.upload.durationSec, normalisedPerMinute: sj.arche.fullLadderNormalised, tier: 'professional', accelerated: false }, DEFAULT_PRICES),
    });
    finish(sj, 'published');
  };

  const dispatch = () => {
    let free = 0;
    for (const p of pools) free += Math.max(0, p.slots - p.busy);
    if (free <= 0 || queue.size === 0) return;
    const views = poolViews();
    const taken = new Map<QueueEntry, SimJob>();
    function* ordered(): Generator<QueueEntry> {
      while (queue.size > 0) {
        const node = queue.pop()!;
        if (node.v !== node.sj.version) continue;
        if (node.sj.state !== 'queued') {
          duplicated++;
          continue;
        }
        taken.set(node.sj.entry, node.sj);
        yield node.sj.entry;
      }
    }
    const result = schedule(ordered(), views, now, policy, { maxSkips: 16 });
    for (const e of result.skipped) {
      const sj = taken.get(e)!;
      queue.push(policy.rankKey(e), { sj, v: sj.version });
    }
    for (const d of result.dispatched) start(taken.get(d.entry)!, poolById.get(d.pool.id)!, d.speed, d.estCostUsd);
  };

  const killRunning = (pool: PoolState, n: number, reason: string) => {
    const victims = [...pool.running];
    for (let i = 0; i < n && victims.length > 0; i++) {
      const k = Math.floor(faultRng.next() * victims.length);
      const task = victims.splice(k, 1)[0]!;
      release(task);
      failAttempt(task.sj, reason);
    }
  };

  const sweep = () => {
    const running: RunningView[] = [];
    for (const p of pools)
      for (const t of p.running)
        running.push({ job: t.sj.job, poolId: p.spec.id, startedAt: t.start, expectedEndP90: t.start + (t.sj.entry.workP90 / t.speed) * 1000, progress: Math.min(1, (now - t.start) / Math.max(1, (t.sj.entry.workP50 / t.speed) * 1000)), workP90: t.sj.entry.workP90 });
    const entries: QueueEntry[] = [];
    for (const sj of queued) entries.push(sj.entry);
    const plans = planDeadlineActions({ queued: entries, running, pools: poolViews(), now, policy });
    for (const plan of plans) {
      const sj = live.get(plan.jobId);
      if (!sj) continue;
      metrics.deadlineActions++;
      const variantChanged = plan.variantLevel !== undefined && plan.variantLevel !== (sj.job.recipe?.activeVariant ?? 0);
      sj.job = { ...plan.job, recipe: sj.job.recipe, prediction: sj.job.prediction, status: sj.job.status, history: sj.job.history, attempts: sj.job.attempts };
      sj.entry = { ...sj.entry, job: sj.job, boostMs: plan.boostMs ?? sj.entry.boostMs, pinnedPool: plan.pinnedPool ?? sj.entry.pinnedPool };
      if (sj.state === 'queued') {
        if (variantChanged) setVariant(sj, plan.variantLevel!);
        sj.version++;
        queue.push(policy.rankKey(sj.entry), { sj, v: sj.version });
      } else if (sj.state === 'running' && plan.steps.includes('restart-faster') && sj.task) {
        const task = sj.task;
        release(task);
        sj.job = transition(sj.job, 'RETRYING', now, 'deadline: restart on a faster variant');
        sj.job = transition(sj.job, 'QUEUED', now, 'requeued on a faster variant');
        sj.entry = { ...sj.entry, job: sj.job };
        if (variantChanged) setVariant(sj, plan.variantLevel!);
        queued.delete(sj);
        sj.state = 'queued';
        sj.version++;
        queued.add(sj);
        queuedWork += sj.entry.workP50;
        queuedWorkByTier[sj.tierIndex]! += sj.entry.workP50;
        queue.push(policy.rankKey(sj.entry), { sj, v: sj.version });
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
    const ev = events.pop()!;
    nEvents++;
    now = t;
    accountCapacity(now);
    switch (ev.kind) {
      case 'tick': {
        for (const u of gen.minute(ev.minute)) at(u.atMs, { kind: 'arrive', upload: u });
        if (ev.minute + 1 < gen.totalMinutes) at((ev.minute + 1) * 60_000, { kind: 'tick', minute: ev.minute + 1 });
        else arrivalsDone = true;
        break;
      }
      case 'arrive':
        arrive(ev.upload);
        break;
      case 'end':
      case 'timeout':
        if (ev.task.active) complete(ev.task);
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
      case 'bump': {
        const sj = byUpload.get(ev.uploadIndex);
        if (!sj || sj.state === 'done') break;
        sj.job = emergencyBump(sj.job, now, 'sim-operator', 'emergency: breaking news');
        sj.entry = { ...sj.entry, job: sj.job, emergency: true };
        if (sj.state === 'queued') {
          sj.version++;
          queue.push(policy.rankKey(sj.entry), { sj, v: sj.version });
        }
        break;
      }
    }
    dispatch();
  }
  accountCapacity(Math.min(now, hardEndMs));

  const lost = created - [...terminalCount.values()].filter((n) => n >= 1).length;
  for (const n of terminalCount.values()) if (n > 1) duplicated += n - 1;
  const arrivalHours = Math.ceil(arrivalEndMs / 3_600_000);
  const m = metrics.summarise({
    lostJobs: lost,
    duplicatedJobs: duplicated,
    capacityRefPerSec: capacityRef,
    peakHour: (h) => inPeakWindow(workload, h * 3600 + 1800),
    arrivalHours,
  });
  return { policy: policy.name, metrics: m, wallSeconds: (performance.now() - t0) / 1000, events: nEvents, ...(config.keepJobs ? { jobs: finished } : {}) };
}
