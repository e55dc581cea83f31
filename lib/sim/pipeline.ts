/**
 * The multi-stage pipeline in the simulator: a fixed mixed fleet (CPU and GPU workers) fed a
 * saturating workload from the scheduling simulator's generator, run two ways on the same titles —
 *
 * - **monolithic**: one worker takes one whole title and does analyse, every rendition one after
 *   another, package, QC and publish. Titles are taken in tier-then-arrival order; a GPU worker
 *   prefers titles with a GPU-suited (4K) rung and encodes every rung NVENC can make on NVENC
 *   (the rest on its host CPU); a CPU worker prefers titles without one (format-aware title routing — a fair,
 *   strong baseline, not a random assignment).
 * - **pipeline**: each title is a task graph (`buildTaskGraph`): chunked 4K / long renditions,
 *   grouped mobile rungs, 4K on GPU workers, other stages on CPU workers whose stage roles are
 *   rebalanced from the backlogs (`rebalanceStages`); per-task dispatch, chunk and join overheads
 *   are charged.
 *
 * Both price every encode with the same prediction model (`predictJob`, per rendition) and the
 * same device speeds (`DeviceSpeeds`). Pure discrete-event code over a virtual clock.
 */
import { GPU_CODECS, DEFAULT_ALLOCATOR_POLICY, DEFAULT_PIPELINE_POLICY, buildTaskGraph, completeTask, gpuSuited, monolithicCostSec, readyTasks, rebalanceStages, startTask, STAGES, type AllocatorPolicy, type PipelinePolicy, type PipelineTask, type Stage, type TaskGraph } from '../core/pipeline';
import { predictJob, type EncodeTimeModel, heuristicModel } from '../core/prediction';
import { activeLadder, chooseRecipe } from '../core/recipes';
import { tierRank, type Backend, type BusinessMetadata, type Rendition, type Tier } from '../core/types';
import { scoreValue } from '../core/value';
import { buildArchetypes, type Archetype } from './archetypes';
import { MinHeap } from './heap';
import { DEFAULT_WORKLOAD, WorkloadGenerator } from './workload';

/** Speeds relative to the prediction model's reference slot (a CPU worker, c6i.4xlarge). */
export interface DeviceSpeeds {
  /** NVENC on a GPU worker (g4dn.xlarge) for a GPU-suited rendition; lib/sim/fleet.ts uses 4. */
  gpuNvenc: number;
  /** The GPU worker's host CPU (4 vCPU vs the CPU worker's 16) for everything else. */
  gpuHost: number;
}

export const DEFAULT_DEVICE_SPEEDS: DeviceSpeeds = { gpuNvenc: 4, gpuHost: 0.25 };

export interface PipelineSimConfig {
  cpuWorkers: number;
  gpuWorkers: number;
  /** Uploads arrive over this window; the run continues until every title is published. */
  horizonSec: number;
  /** Throughput is measured on titles published in [warmupSec, horizonSec]. */
  warmupSec: number;
  /** Offered reference work / fleet slots: above 1 saturates the fleet. */
  load: number;
  seed: number;
  /** A long-form 4K premium title arrives this often (a studio's catalogue delivery). */
  premium4kEverySec: number;
  premium4kMinutes: [number, number];
  speeds: DeviceSpeeds;
  policy: PipelinePolicy;
  allocator: AllocatorPolicy;
  dynamicAllocation: boolean;
  rebalanceEverySec: number;
  /** A CPU worker moved to another stage is idle this long (new container, caches). */
  switchWarmupSec: number;
  model: EncodeTimeModel;
}

export const DEFAULT_PIPELINE_SIM: PipelineSimConfig = {
  cpuWorkers: 40,
  gpuWorkers: 8,
  horizonSec: 12 * 3600,
  warmupSec: 3600,
  load: 1.4,
  seed: 42,
  premium4kEverySec: 1800,
  premium4kMinutes: [30, 60],
  speeds: DEFAULT_DEVICE_SPEEDS,
  policy: DEFAULT_PIPELINE_POLICY,
  allocator: DEFAULT_ALLOCATOR_POLICY,
  dynamicAllocation: true,
  rebalanceEverySec: 30,
  switchWarmupSec: 20,
  model: heuristicModel,
};

/** One title of the simulated workload. */
export interface SimTitle {
  id: string;
  arrivalSec: number;
  durationSec: number;
  tier: Tier;
  ladder: Rendition[];
  /** Reference seconds per content second, per rendition id (from `predictJob`). */
  secPerSec: Map<string, number>;
  /** Long-form 4K premium (or critical) title. */
  premium4k: boolean;
}

export interface SimOutcome {
  name: string;
  published: number;
  /** When the last title was published (every title is run to the end). */
  makespanSec: number;
  /**
   * Throughput while saturated: reference encode-hours (the prediction model's cost, the same for
   * both pipelines) of the titles published in [warmup, horizon], per hour. Weighting by cost stops
   * a pipeline from looking fast by leaving the expensive titles behind.
   */
  refWorkHoursPerHour: number;
  /** Content hours published per hour in the same window. */
  contentHoursPerHour: number;
  titlesPerHour: number;
  /** Turnaround (publish − arrival) of each published title, by id. */
  turnaround: Map<string, number>;
  cpuBusyShare: number;
  gpuBusyShare: number;
  /** Worker-seconds spent, by stage (pipeline) or on whole titles (monolithic). */
  workSec: number;
  stageMoves: number;
  tasksRun: number;
}

/** The title's encode work at the reference slot, from the prediction model. */
export const referenceWorkSec = (t: SimTitle): number => [...t.secPerSec.values()].reduce((a, s) => a + s, 0) * t.durationSec;

const rankKey = (t: SimTitle): number => tierRank(t.tier) * 1e9 + t.arrivalSec;

/** Encode cost of a rendition of a title on a backend, with the device speeds. */
export function encodeCostFor(title: SimTitle, speeds: DeviceSpeeds, policy: PipelinePolicy, hostOnGpu = false) {
  return (r: Rendition, backend: Backend): number => {
    const ref = (title.secPerSec.get(r.id) ?? 0) * title.durationSec;
    if (backend === 'batch-gpu') return ref / (gpuSuited(r, policy) ? speeds.gpuNvenc : speeds.gpuHost);
    return hostOnGpu ? ref / speeds.gpuHost : ref;
  };
}

/** The saturating workload: the scheduling simulator's uploads plus long-form 4K premium titles. */
export function generateTitles(cfg: PipelineSimConfig, archetypes: readonly Archetype[] = buildArchetypes(cfg.model)): SimTitle[] {
  const cache = new Map<string, { ladder: Rendition[]; secPerSec: Map<string, number>; tier: Tier }>();
  const costsFor = (a: Archetype, metadata: BusinessMetadata) => {
    const value = scoreValue(metadata);
    const key = `${a.index}|${value.tier}`;
    let hit = cache.get(key);
    if (!hit) {
      const recipe = chooseRecipe({ jobId: key, profile: a.profile, value, formats: metadata.formats });
      const pred = predictJob(recipe, a.profile, 'batch-cpu', cfg.model);
      const ladder = activeLadder(recipe);
      hit = { ladder, tier: value.tier, secPerSec: new Map(pred.renditions.map((p) => [p.renditionId, p.wallSecP50 / a.profile.source.durationSec])) };
      cache.set(key, hit);
    }
    return hit;
  };
  const refWork = (t: Omit<SimTitle, 'id' | 'arrivalSec'>) => [...t.secPerSec.values()].reduce((a, s) => a + s, 0) * t.durationSec;
  // Size the upload rate so that offered work = load × fleet slots: estimate the mean work of an upload first.
  const probe = new WorkloadGenerator({ ...DEFAULT_WORKLOAD, seed: cfg.seed + 1, diurnalAmplitude: 0, uploadsPerDay: 14_400, days: 1 }, archetypes);
  let probeWork = 0;
  let probeCount = 0;
  for (let m = 0; m < 120; m++) for (const u of probe.minute(m)) {
    const c = costsFor(archetypes[u.archetype]!, u.metadata);
    probeWork += refWork({ ...c, durationSec: u.durationSec, premium4k: false });
    probeCount++;
  }
  const premiumRate = (cfg.premium4kMinutes[0] + cfg.premium4kMinutes[1]) / 2 * 60 * 8 / cfg.premium4kEverySec; // rough: reserve for the 4K titles
  const slots = cfg.cpuWorkers + cfg.gpuWorkers;
  const perSec = Math.max(0.001, (cfg.load * slots - premiumRate) / (probeWork / probeCount));
  const gen = new WorkloadGenerator({ ...DEFAULT_WORKLOAD, seed: cfg.seed, diurnalAmplitude: 0, uploadsPerDay: perSec * 86400, days: Math.ceil(cfg.horizonSec / 86400) }, archetypes);
  const titles: SimTitle[] = [];
  for (let m = 0; m * 60 < cfg.horizonSec; m++) {
    for (const u of gen.minute(m)) {
      const c = costsFor(archetypes[u.archetype]!, u.metadata);
      titles.push({ id: `u${u.index}`, arrivalSec: u.atMs / 1000, durationSec: u.durationSec, tier: c.tier, ladder: c.ladder, secPerSec: c.secPerSec, premium4k: false });
    }
  }
  const uhd = archetypes.find((a) => a.height === 2160 && a.contentClass === 'general') ?? archetypes.at(-1)!;
  const studio: BusinessMetadata = { creatorTier: 'star', expectedViews: 2_000_000, monetized: true, premium: true, formats: ['abr'] };
  let i = 0;
  for (let at = cfg.premium4kEverySec / 2; at < cfg.horizonSec; at += cfg.premium4kEverySec) {
    const c = costsFor(uhd, studio);
    const [lo, hi] = cfg.premium4kMinutes;
    const minutes = lo + ((i * 7919) % 101) / 100 * (hi - lo);
    titles.push({ id: `p4k${i++}`, arrivalSec: at, durationSec: minutes * 60, tier: c.tier, ladder: c.ladder, secPerSec: c.secPerSec, premium4k: true });
  }
  return titles.sort((a, b) => a.arrivalSec - b.arrivalSec);
}

/**
 * A monolithic GPU worker encodes every rung NVENC can make on NVENC (faster than its small host
 * CPU, at some quality cost the baseline is not charged for) and the rest on its host CPU.
 */
function nvencWherePossible(title: SimTitle, speeds: DeviceSpeeds) {
  return (r: Rendition): number => ((title.secPerSec.get(r.id) ?? 0) * title.durationSec) / (GPU_CODECS.includes(r.codec) ? speeds.gpuNvenc : speeds.gpuHost);
}

const hasGpuRung = (t: SimTitle, policy: PipelinePolicy): boolean => t.ladder.some((r) => gpuSuited(r, policy));

function outcome(name: string, cfg: PipelineSimConfig, titles: readonly SimTitle[], publishedAt: Map<string, number>, busy: { cpu: number; gpu: number }, extra: Pick<SimOutcome, 'stageMoves' | 'tasksRun'>): SimOutcome {
  const makespan = Math.max(1, ...publishedAt.values());
  const window = cfg.horizonSec - cfg.warmupSec;
  const inWindow = titles.filter((t) => {
    const at = publishedAt.get(t.id);
    return at !== undefined && at >= cfg.warmupSec && at <= cfg.horizonSec;
  });
  const turnaround = new Map<string, number>();
  for (const t of titles) {
    const at = publishedAt.get(t.id);
    if (at !== undefined) turnaround.set(t.id, at - t.arrivalSec);
  }
  return {
    name,
    published: publishedAt.size,
    makespanSec: makespan,
    refWorkHoursPerHour: inWindow.reduce((a, t) => a + referenceWorkSec(t), 0) / window,
    contentHoursPerHour: inWindow.reduce((a, t) => a + t.durationSec, 0) / window,
    titlesPerHour: (inWindow.length / window) * 3600,
    turnaround,
    cpuBusyShare: busy.cpu / (cfg.cpuWorkers * makespan),
    gpuBusyShare: cfg.gpuWorkers > 0 ? busy.gpu / (cfg.gpuWorkers * makespan) : 0,
    workSec: busy.cpu + busy.gpu,
    ...extra,
  };
}

/** Run the monolithic pipeline: one worker, one whole title. */
export function runMonolithic(titles: readonly SimTitle[], cfg: PipelineSimConfig): SimOutcome {
  const p = cfg.policy;
  const queue = { gpu: new MinHeap<SimTitle>(), cpu: new MinHeap<SimTitle>() };
  const events = new MinHeap<{ kind: 'arrive'; title: SimTitle } | { kind: 'free'; worker: number }>();
  for (const t of titles) events.push(t.arrivalSec, { kind: 'arrive', title: t });
  const workers = [...Array.from({ length: cfg.gpuWorkers }, () => 'gpu' as const), ...Array.from({ length: cfg.cpuWorkers }, () => 'cpu' as const)];
  const idle = new Set(workers.map((_, i) => i));
  const publishedAt = new Map<string, number>();
  const busy = { cpu: 0, gpu: 0 };
  let runs = 0;
  const dispatch = (now: number) => {
    for (const w of [...idle]) {
      const cls = workers[w]!;
      const own = cls === 'gpu' ? queue.gpu : queue.cpu;
      const other = cls === 'gpu' ? queue.cpu : queue.gpu;
      const title = own.pop() ?? other.pop();
      if (!title) continue;
      idle.delete(w);
      const input = { jobId: title.id, durationSec: title.durationSec, ladder: title.ladder, includeAnalyse: true, policy: p };
      const sec = cls === 'gpu'
        ? monolithicCostSec({ ...input, encodeCost: nvencWherePossible(title, cfg.speeds) }, ['batch-gpu'], cfg.speeds.gpuHost)
        : monolithicCostSec({ ...input, encodeCost: encodeCostFor(title, cfg.speeds, p) }, ['batch-cpu']);
      busy[cls] += sec;
      runs++;
      publishedAt.set(title.id, now + sec);
      events.push(now + sec, { kind: 'free', worker: w });
    }
  };
  while (events.size > 0) {
    const now = events.peekKey()!;
    const ev = events.pop()!;
    if (ev.kind === 'arrive') (hasGpuRung(ev.title, p) ? queue.gpu : queue.cpu).push(rankKey(ev.title), ev.title);
    else idle.add(ev.worker);
    if (events.peekKey() !== now) dispatch(now);
  }
  return outcome('monolithic', cfg, titles, publishedAt, busy, { stageMoves: 0, tasksRun: runs });
}

interface Worker {
  cls: 'cpu' | 'gpu';
  stage: Stage;
  /** Stage to switch to when the current task ends. */
  next?: Stage;
  busy: boolean;
  availableAt: number;
}

/** Initial CPU workers per stage: proportional to each stage's share of the expected CPU work. */
export function initialSplit(graphs: readonly TaskGraph[], cpuWorkers: number): Record<Stage, number> {
  const work = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const g of graphs) for (const t of g.tasks) if (t.workerClass === 'cpu') work[t.stage] += t.costSec;
  const total = Object.values(work).reduce((a, w) => a + w, 0) || 1;
  const split = Object.fromEntries(STAGES.map((s) => [s, work[s] > 0 ? Math.max(1, Math.floor((work[s] / total) * cpuWorkers)) : 0])) as Record<Stage, number>;
  let left = cpuWorkers - Object.values(split).reduce((a, w) => a + w, 0);
  while (left > 0) {
    split.encode += 1;
    left--;
  }
  while (left < 0) {
    const s = STAGES.filter((x) => split[x] > 1).sort((a, b) => split[b] - split[a])[0] ?? 'encode';
    split[s] -= 1;
    left++;
  }
  return split;
}

/** Run the multi-stage pipeline. */
export function runPipeline(titles: readonly SimTitle[], cfg: PipelineSimConfig, name = cfg.dynamicAllocation ? 'pipeline' : 'pipeline-static-split'): SimOutcome {
  const p = cfg.policy;
  const available: Backend[] = cfg.gpuWorkers > 0 ? ['batch-cpu', 'batch-gpu'] : ['batch-cpu'];
  const graphs = new Map<string, TaskGraph>();
  const titleOf = new Map<string, SimTitle>();
  for (const t of titles) {
    titleOf.set(t.id, t);
    graphs.set(t.id, buildTaskGraph({ jobId: t.id, durationSec: t.durationSec, ladder: t.ladder, available, encodeCost: encodeCostFor(t, cfg.speeds, p), now: t.arrivalSec, includeAnalyse: true, policy: p }));
  }
  const cpuQueues = Object.fromEntries(STAGES.map((s) => [s, new MinHeap<PipelineTask>()])) as Record<Stage, MinHeap<PipelineTask>>;
  const backlog = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const gpuQueue = new MinHeap<PipelineTask>();
  const split = initialSplit([...graphs.values()], cfg.cpuWorkers);
  const workers: Worker[] = [];
  for (const s of STAGES) for (let i = 0; i < split[s]; i++) workers.push({ cls: 'cpu', stage: s, busy: false, availableAt: 0 });
  for (let i = 0; i < cfg.gpuWorkers; i++) workers.push({ cls: 'gpu', stage: 'encode', busy: false, availableAt: 0 });
  type Ev = { kind: 'arrive'; title: SimTitle } | { kind: 'done'; worker: number; task: PipelineTask } | { kind: 'wake' } | { kind: 'rebalance' };
  const events = new MinHeap<Ev>();
  for (const t of titles) events.push(t.arrivalSec, { kind: 'arrive', title: t });
  if (cfg.dynamicAllocation) events.push(cfg.rebalanceEverySec, { kind: 'rebalance' });
  const publishedAt = new Map<string, number>();
  const busy = { cpu: 0, gpu: 0 };
  let lastMoveAt: number | undefined;
  let moves = 0;
  let tasksRun = 0;
  const enqueued = new Set<string>();
  const enqueueReady = (jobId: string) => {
    const g = graphs.get(jobId)!;
    const key = rankKey(titleOf.get(jobId)!);
    for (const t of readyTasks(g)) {
      if (enqueued.has(t.id)) continue;
      enqueued.add(t.id);
      if (t.workerClass === 'gpu') gpuQueue.push(key, t);
      else {
        cpuQueues[t.stage].push(key, t);
        backlog[t.stage] += t.costSec;
      }
    }
  };
  const run = (w: number, task: PipelineTask, now: number, sec: number) => {
    const worker = workers[w]!;
    worker.busy = true;
    graphs.set(task.jobId, startTask(graphs.get(task.jobId)!, task.id));
    busy[worker.cls] += sec;
    tasksRun++;
    events.push(now + sec, { kind: 'done', worker: w, task });
  };
  const dispatch = (now: number) => {
    workers.forEach((worker, w) => {
      if (worker.busy || worker.availableAt > now) return;
      if (worker.cls === 'gpu') {
        const t = gpuQueue.pop();
        if (t) return run(w, t, now, t.costSec);
        const stolen = cpuQueues.encode.pop();
        if (stolen) {
          backlog.encode -= stolen.costSec;
          return run(w, stolen, now, stolen.costSec / cfg.speeds.gpuHost);
        }
        return;
      }
      const t = cpuQueues[worker.stage].pop();
      if (t) {
        backlog[worker.stage] -= t.costSec;
        run(w, t, now, t.costSec);
      }
    });
  };
  const moveWorker = (from: Stage, to: Stage, now: number) => {
    const idleOne = workers.find((w) => w.cls === 'cpu' && w.stage === from && !w.busy && w.next === undefined);
    const busyOne = workers.find((w) => w.cls === 'cpu' && w.stage === from && w.busy && w.next === undefined);
    const w = idleOne ?? busyOne;
    if (!w) return;
    if (idleOne) {
      idleOne.stage = to;
      idleOne.availableAt = now + cfg.switchWarmupSec;
      events.push(idleOne.availableAt, { kind: 'wake' });
    } else w.next = to;
    moves++;
  };
  while (events.size > 0) {
    const now = events.peekKey()!;
    const ev = events.pop()!;
    if (ev.kind === 'arrive') enqueueReady(ev.title.id);
    else if (ev.kind === 'done') {
      const worker = workers[ev.worker]!;
      worker.busy = false;
      if (worker.next !== undefined) {
        worker.stage = worker.next;
        worker.next = undefined;
        worker.availableAt = now + cfg.switchWarmupSec;
        events.push(worker.availableAt, { kind: 'wake' });
      }
      const g = completeTask(graphs.get(ev.task.jobId)!, ev.task.id);
      graphs.set(ev.task.jobId, g);
      if (ev.task.stage === 'publish') publishedAt.set(ev.task.jobId, now);
      else enqueueReady(ev.task.jobId);
    } else if (ev.kind === 'rebalance') {
      const effective = (s: Stage) => workers.filter((w) => w.cls === 'cpu' && (w.next ?? w.stage) === s).length;
      const r = rebalanceStages(STAGES.map((s) => ({ stage: s, backlogSec: Math.max(0, backlog[s]), workers: effective(s) })), now, lastMoveAt, cfg.allocator);
      lastMoveAt = r.lastMoveAt;
      for (const m of r.moves) for (let i = 0; i < m.workers; i++) moveWorker(m.from as Stage, m.to as Stage, now);
      if (publishedAt.size < titles.length) events.push(now + cfg.rebalanceEverySec, { kind: 'rebalance' });
    }
    if (events.peekKey() !== now) dispatch(now);
  }
  return outcome(name, cfg, titles, publishedAt, busy, { stageMoves: moves, tasksRun });
}
