import { describe, expect, it } from 'vitest';
import {
  ASSUMED_PIPELINE_COSTS,
  DEFAULT_PIPELINE_POLICY,
  DEFAULT_PIPELINE_POLICY as P,
  MEASURED_PIPELINE_COSTS,
  buildTaskGraph,
  completeTask,
  criticalPathSec,
  failTask,
  isComplete,
  monolithicCostSec,
  readyTasks,
  startTask,
  totalWorkSec,
  type TaskGraph,
} from '../../../lib/core/pipeline';
import type { Backend } from '../../../lib/core/types';
import { aPremiumLadder, aRendition, pixelCost } from './pipeline-fixtures';

const FLEET: Backend[] = ['batch-cpu', 'batch-gpu'];

function aGraph(over: { durationSec?: number; available?: Backend[]; includeAnalyse?: boolean } = {}): TaskGraph {
  const durationSec = over.durationSec ?? 1200;
  return buildTaskGraph({ jobId: 'job-1', durationSec, ladder: aPremiumLadder(), available: over.available ?? FLEET, encodeCost: pixelCost(durationSec), now: 1000, includeAnalyse: over.includeAnalyse ?? true });
}

/** Run every task to completion, in dependency order, failing the tasks `fails` names once. */
function drive(graph: TaskGraph, fails: (id: string, attempts: number) => boolean = () => false): { graph: TaskGraph; runs: string[] } {
  const runs: string[] = [];
  let g = graph;
  for (let guard = 0; guard < 1000 && !isComplete(g) && !g.failedTaskId; guard++) {
    const next = readyTasks(g)[0];
    if (!next) break;
    g = startTask(g, next.id);
    runs.push(next.id);
    g = fails(next.id, next.attempts) ? failTask(g, next.id, 2000, 'encoder crashed').graph : completeTask(g, next.id);
  }
  return { graph: g, runs };
}

describe('task graph of a title', () => {
  it('splits a long 4K title into closed-GOP chunks encoded in parallel and joined', () => {
    const g = aGraph({ durationSec: 1200 });
    const chunks = g.tasks.filter((t) => t.stage === 'encode' && t.chunk && t.renditionIds[0] === '2160p-hevc');
    expect(chunks.length).toBeGreaterThanOrEqual(8);
    const perChunk = P.overheads.chunkStartSec + P.overheads.dispatchSec;
    for (const c of chunks.slice(0, -1)) expect(c.costSec - perChunk).toBeGreaterThanOrEqual(P.minChunkWorkFactor * perChunk * 0.9);
    for (const c of chunks) expect((c.chunk!.startFrame % (2 * 30))).toBe(0);
    expect(chunks.reduce((a, c) => a + c.chunk!.frames, 0)).toBe(1200 * 30);
    const join = g.tasks.find((t) => t.stage === 'join' && t.renditionIds[0] === '2160p-hevc')!;
    expect(join.dependsOn.sort()).toEqual(chunks.map((c) => c.id).sort());
    expect(g.decisions.some((d) => d.kind === 'pipeline' && d.action === `chunk 2160p-hevc ×${chunks.length}`)).toBe(true);
  });

  it('groups the cheap rungs of a long title and cuts the group into chunks that each encode every grouped rung, joined per rung', () => {
    const g = aGraph({ durationSec: 1200 });
    const groupChunks = g.tasks.filter((t) => t.stage === 'encode' && t.id.includes('group:'));
    expect(groupChunks.length).toBeGreaterThanOrEqual(2);
    expect(groupChunks.every((t) => t.chunk && t.renditionIds.join() === '240p-h264,360p-h264')).toBe(true);
    expect(g.tasks.some((t) => t.stage === 'encode' && t.renditionIds.length === 1 && t.renditionIds[0] === '240p-h264')).toBe(false);
    for (const id of ['240p-h264', '360p-h264']) expect(g.tasks.find((t) => t.stage === 'join' && t.renditionIds[0] === id)!.dependsOn).toEqual(groupChunks.map((c) => c.id));
    expect(groupChunks.reduce((a, c) => a + c.chunk!.frames, 0)).toBe(1200 * 30);
  });

  it('keeps the group of a short title in one task', () => {
    const g = aGraph({ durationSec: 120 });
    expect(g.tasks.filter((t) => t.stage === 'encode' && t.id.includes('group:'))).toHaveLength(1);
  });

  it('chunks a short 4K rendition but leaves short HD renditions whole', () => {
    const g = aGraph({ durationSec: 300, available: ['batch-cpu'] });
    expect(g.tasks.filter((t) => t.chunk && t.renditionIds[0] === '2160p-hevc').length).toBeGreaterThanOrEqual(2);
    expect(g.tasks.filter((t) => t.stage === 'encode' && t.renditionIds[0] === '1080p-h264')).toHaveLength(1);
  });

  it('does not chunk a rendition with open GOPs, and says why', () => {
    const ladder = [aRendition({ height: 2160, codec: 'hevc', closedGop: false })];
    const g = buildTaskGraph({ jobId: 'j', durationSec: 1200, ladder, available: FLEET, encodeCost: pixelCost(1200), now: 0 });
    expect(g.tasks.filter((t) => t.stage === 'encode')).toHaveLength(1);
    expect(g.tasks.some((t) => t.stage === 'join')).toBe(false);
  });

  it('groups the cheap mobile rungs into one task that costs less than encoding them apart', () => {
    const g = aGraph({ durationSec: 120 });
    const group = g.tasks.find((t) => t.renditionIds.length === 2 && t.stage === 'encode')!;
    expect(group.renditionIds).toEqual(['240p-h264', '360p-h264']);
    const apart = pixelCost(120)(aRendition({ height: 240 }), 'batch-cpu') + pixelCost(120)(aRendition({ height: 360 }), 'batch-cpu');
    expect(group.costSec - DEFAULT_PIPELINE_POLICY.overheads.dispatchSec).toBeLessThan(apart);
    expect(g.decisions.find((d) => d.action.startsWith('group'))?.expectedGainSec).toBeGreaterThan(0);
  });

  it('runs package, QC and publish after every encode, in that order, when verification is not overlapped', () => {
    const g = buildTaskGraph({ jobId: 'job-1', durationSec: 120, ladder: aPremiumLadder(), available: FLEET, encodeCost: pixelCost(120), now: 0, includeAnalyse: true, policy: { ...P, overlapVerify: false } });
    const { graph, runs } = drive(g);
    expect(isComplete(graph)).toBe(true);
    const at = (stage: string) => runs.findIndex((id) => id.includes(`/${stage}/`));
    expect(at('analyse')).toBe(0);
    expect(runs.slice(-3).map((id) => id.split('/')[1])).toEqual(['package', 'qc', 'publish']);
    expect(runs.filter((id) => id.includes('/encode/') || id.includes('/join/')).every((id) => runs.indexOf(id) < at('package'))).toBe(true);
  });

  it('packages and QCs each rendition as soon as it is encoded, QC per chunk of a chunked rendition, then publishes', () => {
    const g = aGraph({ durationSec: 1200 });
    const byId = new Map(g.tasks.map((t) => [t.id, t]));
    const chunks = g.tasks.filter((t) => t.stage === 'encode' && t.chunk && t.renditionIds[0] === '2160p-hevc');
    const qcs = g.tasks.filter((t) => t.stage === 'qc' && t.renditionIds[0] === '2160p-hevc');
    // One QC per chunk, each waiting for its own chunk only (not the join), on a CPU worker.
    expect(qcs.map((q) => q.dependsOn)).toEqual(chunks.map((c) => [c.id]));
    expect(qcs.every((q) => q.workerClass === 'cpu' && q.chunk !== undefined)).toBe(true);
    // Packaging a chunked rendition waits for its join; an unchunked or grouped one for its encode.
    const pkg = g.tasks.find((t) => t.stage === 'package' && t.renditionIds[0] === '2160p-hevc')!;
    expect(byId.get(pkg.dependsOn[0]!)!.stage).toBe('join');
    const groupQc = g.tasks.filter((t) => t.stage === 'qc' && t.renditionIds[0] === '240p-h264');
    expect(groupQc.every((q) => byId.get(q.dependsOn[0]!)!.id.includes('group:'))).toBe(true);
    const short = buildTaskGraph({ jobId: 'j', durationSec: 120, ladder: aPremiumLadder(), available: FLEET, encodeCost: pixelCost(120), now: 0 });
    const groupPkg = short.tasks.find((t) => t.stage === 'package' && t.renditionIds.length === 2)!;
    expect(groupPkg.dependsOn[0]).toContain('group:');
    // QC work is the same as one QC of the whole ladder, minus the fixed part paid per task.
    const qcWork = g.tasks.filter((t) => t.stage === 'qc').reduce((a, t) => a + t.costSec - P.overheads.dispatchSec - P.stageCosts.qcFixedSec, 0);
    expect(qcWork).toBeCloseTo(P.stageCosts.qcSecPerRenditionSourceSec * 1200 * 5, 6);
    const publish = g.tasks.find((t) => t.stage === 'publish')!;
    expect(publish.dependsOn.length).toBe(g.tasks.filter((t) => t.stage === 'qc' || t.stage === 'package').length);
    const { graph } = drive(g);
    expect(isComplete(graph)).toBe(true);
  });

  it('shortens a long 4K title\'s critical path well below the monolithic run, at a modest overhead in machine time', () => {
    const g = aGraph({ durationSec: 1200 });
    const mono = monolithicCostSec({ jobId: 'job-1', durationSec: 1200, ladder: aPremiumLadder(), encodeCost: pixelCost(1200), includeAnalyse: true }, ['batch-gpu', 'batch-cpu']);
    expect(criticalPathSec(g)).toBeLessThan(mono / 3);
    expect(totalWorkSec(g)).toBeLessThan(mono * 1.15);
  });

  it('refuses to start a task whose dependencies are not done, or to finish one that is not running', () => {
    const g = aGraph({ durationSec: 120 });
    const publish = g.tasks.find((t) => t.stage === 'publish')!;
    expect(() => startTask(g, publish.id)).toThrow(/not ready/);
    expect(() => completeTask(g, publish.id)).toThrow(/not running/);
    expect(() => failTask(g, publish.id, 0, 'x')).toThrow(/not running/);
    expect(() => startTask(g, 'nope')).toThrow(/not in the graph/);
  });
});

describe('measured constants', () => {
  it('prices overheads, packaging, QC and grouping from the measured constants, the queue hop from the assumption', () => {
    expect(P.overheads.dispatchSec).toBeCloseTo(ASSUMED_PIPELINE_COSTS.queueHopSec + MEASURED_PIPELINE_COSTS.processStartSec, 9);
    expect(P.overheads.chunkStartSec).toBe(MEASURED_PIPELINE_COSTS.chunkStartSec);
    expect(P.stageCosts.qcSecPerRenditionSourceSec).toBe(MEASURED_PIPELINE_COSTS.qcSecPerRenditionSourceSec);
    expect(P.stageCosts.packageSecPerRenditionSourceSec).toBe(MEASURED_PIPELINE_COSTS.packageSecPerRenditionSourceSec);
    expect(P.groupSharedShare).toBe(MEASURED_PIPELINE_COSTS.groupSharedShareCheap);
  });
});

describe('retries', () => {
  it('a failure of one chunk retries that chunk only', () => {
    const g = aGraph({ durationSec: 1200 });
    const victim = g.tasks.find((t) => t.chunk?.index === 3 && t.renditionIds[0] === '2160p-hevc')!.id;
    const { graph, runs } = drive(g, (id, attempts) => id === victim && attempts === 0);
    expect(isComplete(graph)).toBe(true);
    const counts = new Map<string, number>();
    for (const id of runs) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.get(victim)).toBe(2);
    expect([...counts.entries()].filter(([id]) => id !== victim).every(([, n]) => n === 1)).toBe(true);
    expect(graph.decisions.some((d) => d.action === `retry chunk 4/${g.tasks.find((t) => t.id === victim)!.chunk!.count} of 2160p-hevc`)).toBe(true);
    expect(graph.tasks.find((t) => t.id === victim)!.attempts).toBe(1);
  });

  it('fails the title when a task runs out of attempts, and runs nothing more', () => {
    const g = aGraph({ durationSec: 120 });
    const victim = g.tasks.find((t) => t.stage === 'qc' && t.renditionIds[0] === '720p-h264')!.id;
    const { graph } = drive(g, (id) => id === victim);
    expect(graph.failedTaskId).toBe(victim);
    expect(readyTasks(graph)).toEqual([]);
    expect(graph.decisions.at(-1)?.action).toBe('fail qc 720p-h264');
  });
});
