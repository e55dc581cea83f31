import type { Backend, Decision, Rendition } from '../types';
import { planChunks, shouldChunk } from './chunking';
import { routeRendition, workerClassOf, cpuBackend } from './routing';
import { DEFAULT_PIPELINE_POLICY, type PipelinePolicy, type PipelineTask, type Stage, type TaskGraph } from './types';

/** What planning a title's pipeline needs: pure data plus the prediction model's cost function. */
export interface GraphInput {
  jobId: string;
  durationSec: number;
  /** The ladder as it runs (`activeLadder(recipe)`). */
  ladder: readonly Rendition[];
  /** Backends the fleet has. */
  available: readonly Backend[];
  /** Predicted wall seconds to encode a whole rendition on a backend (from `predictJob`). */
  encodeCost: (rendition: Rendition, backend: Backend) => number;
  now: number;
  /** Add an analyse task in front (the simulator does; the local runtime has analysed already). */
  includeAnalyse?: boolean;
  policy?: PipelinePolicy;
  /** Record the planning decisions (default). The simulator turns it off: a million titles a day. */
  recordDecisions?: boolean;
}

const taskId = (jobId: string, stage: Stage, name: string): string => `${jobId}/${stage}/${name}`;

/** Cost of the non-encode stages of a title, shared by both pipeline shapes. */
export function stageCostSec(stage: Exclude<Stage, 'encode' | 'join'>, durationSec: number, renditions: number, policy: PipelinePolicy): number {
  const c = policy.stageCosts;
  switch (stage) {
    case 'analyse':
      return c.analyseFixedSec + c.analyseSecPerSourceSec * durationSec;
    case 'package':
      return c.packageFixedSec + c.packageSecPerRenditionSourceSec * durationSec * renditions;
    case 'qc':
      return c.qcFixedSec + c.qcSecPerRenditionSourceSec * durationSec * renditions;
    case 'publish':
      return c.publishSec;
  }
}

/**
 * Plan a title as a task graph: (analyse →) encodes per rendition, per chunk or per group of
 * cheap rungs, each routed to the backend that suits its format → joins of chunked renditions →
 * package → QC → publish. Every choice is recorded as a `pipeline` Decision.
 */
export function buildTaskGraph(input: GraphInput): TaskGraph {
  const policy = input.policy ?? DEFAULT_PIPELINE_POLICY;
  const o = policy.overheads;
  const d = input.durationSec;
  const tasks: PipelineTask[] = [];
  const decisions: Decision[] = [];
  const decide = (action: string, reason: string, expectedGainSec?: number) =>
    decisions.push({ at: input.now, kind: 'pipeline', action, reason, ...(expectedGainSec !== undefined ? { expectedGainSec } : {}) });
  const cpu = cpuBackend(input.available.length > 0 ? input.available : ['local']);
  const add = (t: Omit<PipelineTask, 'jobId' | 'status' | 'attempts' | 'workerClass'>): PipelineTask => {
    // Built field by field (one object shape): spreading varied literals is the planner's hot spot
    // when the simulator plans a million titles a day.
    const task: PipelineTask = { id: t.id, jobId: input.jobId, stage: t.stage, renditionIds: t.renditionIds, backend: t.backend, workerClass: workerClassOf(t.backend), costSec: t.costSec, dependsOn: t.dependsOn, status: 'pending', attempts: 0 };
    if (t.chunk) task.chunk = t.chunk;
    tasks.push(task);
    return task;
  };

  const analyse = input.includeAnalyse
    ? add({ id: taskId(input.jobId, 'analyse', 'source'), stage: 'analyse', renditionIds: [], backend: cpu, costSec: stageCostSec('analyse', d, 0, policy) + o.dispatchSec, dependsOn: [] })
    : undefined;
  const head = analyse ? [analyse.id] : [];

  const routed = input.ladder.map((r) => ({ r, route: routeRendition(r, input.available, policy) }));
  const record = input.recordDecisions !== false;
  if (record) for (const { route } of routed) decide(`route ${route.backend}`, route.reason);

  // Chunk plans first: a chunk must carry enough work to pay for its own start and dispatch.
  const perChunkOverhead = o.chunkStartSec + o.dispatchSec;
  // Cheap rungs on CPU are grouped (one decode, several outputs) rather than chunked: the shared
  // decode saves more of their cost than chunk parallelism buys them.
  const cheap = (r: Rendition, backend: Backend) => r.height <= policy.groupMaxHeight && workerClassOf(backend) === 'cpu';
  const groupCheap = routed.filter(({ r, route }) => cheap(r, route.backend)).length >= 2;
  const plans = routed.map(({ r, route }) => {
    const full = input.encodeCost(r, route.backend);
    const verdict = groupCheap && cheap(r, route.backend) ? { chunk: false, reason: `${r.id}: grouped` } : shouldChunk(r, d, policy);
    const byWork = Math.floor(full / (policy.minChunkWorkFactor * perChunkOverhead));
    const chunks = verdict.chunk && byWork >= 2 ? planChunks(d, r.gopSeconds, r.fps, { ...policy, maxChunks: Math.min(policy.maxChunks, byWork) }) : [];
    return { r, route, full, verdict, chunks: chunks.length >= 2 ? chunks : [] };
  });

  // Cheap rungs on CPU that are not chunked: one task, one decode, several outputs.
  const groupable = plans.filter(({ r, route, chunks }) => cheap(r, route.backend) && chunks.length === 0);
  const grouped = groupable.length >= 2 ? groupable : [];
  const ends: string[] = [];
  if (grouped.length > 0) {
    const costs = grouped.map((p) => p.full).sort((a, b) => b - a);
    const separate = costs.reduce((a, c) => a + c, 0);
    const together = costs[0]! + costs.slice(1).reduce((a, c) => a + c * (1 - policy.groupSharedShare), 0);
    const ids = grouped.map(({ r }) => r.id);
    const name = `group:${ids.join('+')}`;
    if (record) decide(`group ${ids.join(', ')}`, `${ids.length} cheap rungs (≤ ${policy.groupMaxHeight}p) share one decode in one task`, separate + (ids.length - 1) * o.dispatchSec - together);
    // A long title's group is itself cut into closed-GOP chunks (each chunk one decode, every rung
    // of the group), when its rungs share a GOP grid, and each rung joined on its own.
    const lead = grouped[0]!.r;
    const sameGrid = grouped.every(({ r }) => r.gopSeconds === lead.gopSeconds && r.fps === lead.fps && r.closedGop);
    const byWork = Math.floor(together / (policy.minChunkWorkFactor * perChunkOverhead));
    const chunks = sameGrid && d >= policy.chunkLongTitleSec && d >= 2 * policy.minChunkSec && byWork >= 2 ? planChunks(d, lead.gopSeconds, lead.fps, { ...policy, maxChunks: Math.min(policy.maxChunks, byWork) }) : [];
    if (chunks.length < 2) {
      ends.push(add({ id: taskId(input.jobId, 'encode', name), stage: 'encode', renditionIds: ids, backend: grouped[0]!.route.backend, costSec: together + o.dispatchSec, dependsOn: head }).id);
    } else {
      const chunkIds = chunks.map((c) => add({ id: taskId(input.jobId, 'encode', `${name}#${c.index}`), stage: 'encode', renditionIds: ids, chunk: c, backend: grouped[0]!.route.backend, costSec: (together * c.durationSec) / d + perChunkOverhead, dependsOn: head }).id);
      const joinCost = o.joinFixedSec + o.joinSecPerSourceSec * d + o.dispatchSec;
      for (const id of ids) ends.push(add({ id: taskId(input.jobId, 'join', id), stage: 'join', renditionIds: [id], backend: cpu, costSec: joinCost, dependsOn: chunkIds }).id);
      if (record) decide(`chunk ${name} ×${chunks.length}`, `long title (${d.toFixed(0)}s): ${chunks.length} closed-GOP chunks, each encoding all ${ids.length} grouped rungs from one decode`);
    }
  }

  for (const { r, route, full, verdict, chunks } of plans) {
    if (grouped.some((g) => g.r.id === r.id)) continue;
    if (chunks.length === 0) {
      const t = add({ id: taskId(input.jobId, 'encode', r.id), stage: 'encode', renditionIds: [r.id], backend: route.backend, costSec: full + o.dispatchSec, dependsOn: head });
      ends.push(t.id);
      continue;
    }
    const chunkIds = chunks.map((c) => {
      const share = c.durationSec / Math.max(d, 1e-9);
      return add({ id: taskId(input.jobId, 'encode', `${r.id}#${c.index}`), stage: 'encode', renditionIds: [r.id], chunk: c, backend: route.backend, costSec: full * share + perChunkOverhead, dependsOn: head }).id;
    });
    const joinCost = o.joinFixedSec + o.joinSecPerSourceSec * d + o.dispatchSec;
    const join = add({ id: taskId(input.jobId, 'join', r.id), stage: 'join', renditionIds: [r.id], backend: cpu, costSec: joinCost, dependsOn: chunkIds });
    ends.push(join.id);
    if (!record) continue;
    const longest = Math.max(...chunks.map((c) => full * (c.durationSec / d))) + perChunkOverhead + joinCost;
    decide(`chunk ${r.id} ×${chunks.length}`, `${verdict.reason}: ${chunks.length} closed-GOP chunks of ≤ ${chunks[0]!.durationSec.toFixed(1)}s (GOP ${r.gopSeconds}s)`, full - longest);
  }

  const n = input.ladder.length;
  const all = input.ladder.map((r) => r.id);
  if (!policy.overlapVerify) {
    const pkg = add({ id: taskId(input.jobId, 'package', 'all'), stage: 'package', renditionIds: all, backend: cpu, costSec: stageCostSec('package', d, n, policy) + o.dispatchSec, dependsOn: ends });
    const qc = add({ id: taskId(input.jobId, 'qc', 'all'), stage: 'qc', renditionIds: all, backend: cpu, costSec: stageCostSec('qc', d, n, policy) + o.dispatchSec, dependsOn: [pkg.id] });
    add({ id: taskId(input.jobId, 'publish', 'all'), stage: 'publish', renditionIds: all, backend: cpu, costSec: stageCostSec('publish', d, n, policy) + o.dispatchSec, dependsOn: [qc.id] });
    return { jobId: input.jobId, tasks, decisions };
  }
  // Overlapped verification: each rendition is packaged as soon as it is encoded (or joined) and
  // QC'd as soon as its frames exist — per chunk for a chunked rendition (PSNR/SSIM are per-frame
  // means, so chunk scores aggregate exactly) — on CPU workers, while the other rungs still encode.
  const c = policy.stageCosts;
  const verify: string[] = [];
  const encodes = tasks.filter((t) => t.stage === 'encode');
  const byTaskId = new Map(tasks.map((t) => [t.id, t]));
  for (const end of ends) {
    const t = byTaskId.get(end)!;
    const k = t.renditionIds.length;
    const name = t.renditionIds.join('+');
    verify.push(add({ id: taskId(input.jobId, 'package', name), stage: 'package', renditionIds: t.renditionIds, backend: cpu, costSec: c.packageFixedSec + c.packageSecPerRenditionSourceSec * d * k + o.dispatchSec, dependsOn: [end] }).id);
    const parts = t.stage === 'join' ? encodes.filter((e) => e.chunk && e.renditionIds.includes(t.renditionIds[0]!)) : [t];
    for (const e of parts) {
      const sec = e.chunk ? e.chunk.durationSec : d;
      const qc = add({ id: taskId(input.jobId, 'qc', e.chunk ? `${name}#${e.chunk.index}` : name), stage: 'qc', renditionIds: t.renditionIds, backend: cpu, costSec: c.qcFixedSec + c.qcSecPerRenditionSourceSec * sec * k + o.dispatchSec, dependsOn: [e.id] });
      if (e.chunk) qc.chunk = e.chunk;
      verify.push(qc.id);
    }
  }
  if (input.recordDecisions !== false) decide('verify per rendition', `package and QC each rendition (QC per chunk when chunked) as soon as it is encoded, beside the encodes still running`);
  add({ id: taskId(input.jobId, 'publish', 'all'), stage: 'publish', renditionIds: all, backend: cpu, costSec: stageCostSec('publish', d, n, policy) + o.dispatchSec, dependsOn: verify });
  return { jobId: input.jobId, tasks, decisions };
}

/**
 * What a monolithic pipeline costs on one worker: the title's whole work one step after another
 * (analyse, every rendition in turn on the best device that worker has, package, QC, publish),
 * with a single dispatch. `workerBackends` are the devices of that worker (a GPU instance has
 * its host CPU too); `hostCpuSpeed` scales the non-encode stages on that worker's CPU.
 */
export function monolithicCostSec(input: Omit<GraphInput, 'available' | 'now'>, workerBackends: readonly Backend[], hostCpuSpeed = 1): number {
  const policy = input.policy ?? DEFAULT_PIPELINE_POLICY;
  const d = input.durationSec;
  const n = input.ladder.length;
  const encodes = input.ladder.reduce((a, r) => a + input.encodeCost(r, routeRendition(r, workerBackends, policy).backend), 0);
  const stages = (input.includeAnalyse ? stageCostSec('analyse', d, 0, policy) : 0) + stageCostSec('package', d, n, policy) + stageCostSec('qc', d, n, policy) + stageCostSec('publish', d, n, policy);
  return policy.overheads.dispatchSec + encodes + stages / hostCpuSpeed;
}

const byId = (graph: TaskGraph, id: string): PipelineTask => {
  const t = graph.tasks.find((x) => x.id === id);
  if (!t) throw new RangeError(`task ${id} is not in the graph of ${graph.jobId}`);
  return t;
};

const withTask = (graph: TaskGraph, id: string, patch: Partial<PipelineTask>): TaskGraph => {
  byId(graph, id);
  return { ...graph, tasks: graph.tasks.map((t) => (t.id === id ? { ...t, ...patch } : t)) };
};

/** Pending tasks whose dependencies are all done, in graph order. */
export function readyTasks(graph: TaskGraph): PipelineTask[] {
  if (graph.failedTaskId) return [];
  const done = new Set(graph.tasks.filter((t) => t.status === 'done').map((t) => t.id));
  return graph.tasks.filter((t) => t.status === 'pending' && t.dependsOn.every((d) => done.has(d)));
}

/** Mark a ready task as running. */
export function startTask(graph: TaskGraph, id: string): TaskGraph {
  const t = byId(graph, id);
  if (!readyTasks(graph).some((r) => r.id === id)) throw new RangeError(`task ${id} is ${t.status} and not ready`);
  return withTask(graph, id, { status: 'running' });
}

/** Mark a running task done. */
export function completeTask(graph: TaskGraph, id: string): TaskGraph {
  const t = byId(graph, id);
  if (t.status !== 'running') throw new RangeError(`task ${id} is ${t.status}, not running`);
  return withTask(graph, id, { status: 'done' });
}

/** What a failure did: the retried graph, and whether the task will run again. */
export interface FailureOutcome {
  graph: TaskGraph;
  retried: boolean;
}

/**
 * A running task failed. Only that task goes back to pending (a failed chunk re-encodes that chunk
 * alone; finished chunks and renditions are kept); after `maxAttempts` the title fails.
 */
export function failTask(graph: TaskGraph, id: string, now: number, cause: string, policy: Pick<PipelinePolicy, 'maxAttempts'> = DEFAULT_PIPELINE_POLICY): FailureOutcome {
  const t = byId(graph, id);
  if (t.status !== 'running') throw new RangeError(`task ${id} is ${t.status}, not running`);
  const attempts = t.attempts + 1;
  const what = t.chunk ? `chunk ${t.chunk.index + 1}/${t.chunk.count} of ${t.renditionIds.join('+')}` : `${t.stage} ${t.renditionIds.join('+') || 'source'}`;
  if (attempts >= policy.maxAttempts) {
    const failed = withTask(graph, id, { status: 'failed', attempts });
    return {
      graph: { ...failed, failedTaskId: id, decisions: [...graph.decisions, { at: now, kind: 'pipeline', action: `fail ${what}`, reason: `${cause}; ${attempts} attempts, giving up` }] },
      retried: false,
    };
  }
  const retried = withTask(graph, id, { status: 'pending', attempts });
  return {
    graph: { ...retried, decisions: [...graph.decisions, { at: now, kind: 'pipeline', action: `retry ${what}`, reason: `${cause}; attempt ${attempts + 1} of ${policy.maxAttempts}, other tasks kept` }] },
    retried: true,
  };
}

/** Every task done. */
export const isComplete = (graph: TaskGraph): boolean => graph.tasks.every((t) => t.status === 'done');

/** Sum of task costs: the machine time the title takes. */
export const totalWorkSec = (graph: TaskGraph): number => graph.tasks.reduce((a, t) => a + t.costSec, 0);

/** Longest dependency chain by cost: the title's latency with unlimited workers. */
export function criticalPathSec(graph: TaskGraph): number {
  const memo = new Map<string, number>();
  const finish = (t: PipelineTask): number => {
    const known = memo.get(t.id);
    if (known !== undefined) return known;
    const start = Math.max(0, ...t.dependsOn.map((d) => finish(byId(graph, d))));
    const f = start + t.costSec;
    memo.set(t.id, f);
    return f;
  };
  return Math.max(0, ...graph.tasks.map(finish));
}
