/**
 * `npm run bench -- pipeline [--cpu 40] [--gpu 8] [--hours 8] [--warmup 1] [--load 1.3] [--seed 42] [--qc 0.141] [--no-group-when-busy]`
 * `npm run bench -- pipeline --measure` re-measures the model's constants with real ffmpeg
 * (test/bench/_pipeline-measure.ts → `MEASURED_PIPELINE_COSTS` in lib/core/pipeline/measured.ts).
 *
 * Monolithic vs multi-stage pipeline in the one simulator (lib/sim/simulator.ts): the same
 * scheduler (Marquee), deadline manager, admission control, faults and ledger; only the
 * `JobRunner` differs. Workload: the scheduling bench's upload mix at a flat rate offering
 * `load` × the fleet's capacity (an unbounded backlog: the fleet is saturated throughout), plus a
 * long-form 4K premium title every 30 min. Fleet: CPU workers (x264, speed 1) and GPU workers
 * (NVENC ×4 on H.264/HEVC, host CPU ×0.25 for everything else); no MediaConvert.
 *
 * Throughput = reference work delivered per hour in the steady-state window [warmup, hours]:
 * every successful task credits its share of the prediction model's encode (and packaging/QC)
 * cost at speed 1 — device-independent, the same total per title in both shapes, joins and
 * per-task overheads credit nothing, failed attempts credit nothing. Titles and content-hours
 * published per hour are shown too, but they reward finishing short titles and are not the
 * headline.
 *
 * Baseline: the monolithic title prefers the worker class it runs fastest on as a whole (a GPU
 * worker's blended NVENC + host-CPU speed), idle workers of the other class taking the titles they
 * run best. Also shown: the earlier any-worker placement, and a monolithic worker that encodes its
 * ladder in one process from one decode (sensitivity rows), and the gain with QC sampled at the
 * earlier assumed 0.02 s per rendition-second instead of the measured full-frame QC.
 */
import { ASSUMED_PIPELINE_COSTS, DEFAULT_PIPELINE_POLICY, MEASURED_PIPELINE_COSTS, type PipelinePolicy } from '../../lib/core/pipeline';
import { marqueePolicy, WORK_CONSERVING_MARQUEE } from '../../lib/core/scheduling';
import { buildArchetypes, type Archetype } from '../../lib/sim/archetypes';
import type { Fleet } from '../../lib/sim/fleet';
import { meanWorkPerUpload } from '../../lib/sim/plan';
import { DEFAULT_DEVICE_SPEEDS, titleRunner, type JobRunner } from '../../lib/sim/runner';
import { defaultFaults, simulate, type PublishedJob, type SimResult } from '../../lib/sim/simulator';
import { DEFAULT_WORKLOAD, type Upload } from '../../lib/sim/workload';
import { measurePipelineCosts } from './_pipeline-measure';
import { printTable, writeResult } from './report';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : NaN);
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

/** The long-form 4K title: the first 4K archetype whose ladder has a 2160p rung, in a neutral content order. */
function uhdArchetype(archetypes: readonly Archetype[]): Archetype {
  const order = ['general', 'high-motion', 'animation', 'film-grain', 'talking-head', 'screen', 'static'];
  const ok = archetypes.filter((a) => a.height === 2160 && (a.rungs[0] ?? []).some((r) => r.rendition.height >= 2160));
  return ok.sort((a, b) => order.indexOf(a.contentClass) - order.indexOf(b.contentClass))[0] ?? archetypes.at(-1)!;
}

export default async function pipelineBench(args: string[]): Promise<void> {
  if (args.includes('--measure')) {
    await measurePipelineCosts(args);
    return;
  }
  const cpu = option(args, 'cpu', 40);
  const gpu = option(args, 'gpu', 8);
  const hours = option(args, 'hours', 8);
  const warmup = option(args, 'warmup', 1);
  const load = option(args, 'load', 1.3);
  const seed = option(args, 'seed', 42);
  const archetypes = buildArchetypes();
  const devices = DEFAULT_DEVICE_SPEEDS;
  const fleet: Fleet = {
    name: `cpu${cpu}-gpu${gpu}`,
    pools: [
      { id: 'batch-gpu', backend: 'batch-gpu', slots: gpu, speed: devices.gpuNvenc, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
      { id: 'batch-cpu', backend: 'batch-cpu', slots: cpu, speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
    ],
  };
  // Offered load against the fleet's reference capacity (CPU slots + GPU slots at NVENC speed is
  // optimistic for the GPU, so `load` 1.3 is comfortably above what either shape can deliver).
  const capacity = cpu + gpu * devices.gpuNvenc;
  const flat = { ...DEFAULT_WORKLOAD, days: hours / 24, diurnalAmplitude: 0, seed, bursts: [] };
  const perUpload = meanWorkPerUpload({ ...flat, days: 1 }, archetypes);
  const uploadsPerDay = Math.round((load * capacity * 86_400) / perUpload);
  const uhd = uhdArchetype(archetypes);
  const studio = { creatorTier: 'star' as const, expectedViews: 2_000_000, monetized: true, premium: true, formats: ['abr' as const] };
  const long4k: Upload[] = [];
  for (let at = 900, i = 0; at < hours * 3600; at += 1800, i++)
    long4k.push({ index: 5_000_000 + i, atMs: at * 1000, archetype: uhd.index, durationSec: (30 + ((i * 37) % 31)) * 60, metadata: studio, noiseZ: 0, crashU: 1, stuckU: 1 });
  const long4kIds = new Set(long4k.map((u) => `u${u.index}`));

  // QC per rendition-second: measured (the local runtime's full-frame PSNR + SSIM) unless --qc.
  const qcSec = option(args, 'qc', DEFAULT_PIPELINE_POLICY.stageCosts.qcSecPerRenditionSourceSec);
  const withQc = (p: PipelinePolicy, qc: number): PipelinePolicy => ({ ...p, stageCosts: { ...p.stageCosts, qcSecPerRenditionSourceSec: qc } });
  const policy = withQc(DEFAULT_PIPELINE_POLICY, qcSec);
  const shapes = (p: PipelinePolicy) => ({
    // The previous baseline: a title goes to whichever pool the scheduler picks (GPU overflow included).
    monoAny: titleRunner({ shape: 'monolithic', devices, stageCosts: true, policy: p, name: 'monolithic (any worker)' }),
    // The baseline: a title prefers the worker class it runs fastest on as a whole; idle workers of
    // the other class take the titles they run best.
    mono: titleRunner({ shape: 'monolithic', devices, stageCosts: true, policy: p, monolithicPlacement: 'fastest', name: 'monolithic' }),
    // Sensitivity: the monolithic worker encodes its ladder in one process from one decode.
    monoOnePass: titleRunner({ shape: 'monolithic', devices, stageCosts: true, policy: p, monolithicPlacement: 'fastest', monolithicSharedDecode: MEASURED_PIPELINE_COSTS.groupSharedShareLadder, name: 'monolithic, one-pass ladder' }),
    // Chunks cost a start and a dispatch each: standard and bulk titles are chunked only as wide as
    // the idle workers (none at saturation); critical and premium always (their latency).
    multi: titleRunner({ shape: 'multi-stage', devices, stageCosts: true, policy: p, chunkToIdle: true, groupWhenBusy: !args.includes('--no-group-when-busy'), alwaysChunkTiers: ['critical', 'premium'], name: 'multi-stage' }),
  });
  const started = performance.now();
  const simulateWith = (runner: JobRunner) => {
    const published: PublishedJob[] = [];
    const r = simulate({ workload: { ...flat, uploadsPerDay }, fleet, policy: marqueePolicy(WORK_CONSERVING_MARQUEE), runner, archetypes, faults: { ...defaultFaults(fleet), nodeLosses: [] }, extraUploads: long4k, drainHours: 0, sweepSec: 120, onPublished: (j) => published.push(j) });
    return { r, published };
  };
  const main = shapes(policy);
  const runs = [main.monoAny, main.mono, main.monoOnePass, main.multi].map(simulateWith);
  // QC sensitivity: the same two shapes with the earlier assumed sampled QC (0.02 s per rendition-second).
  const sampled = shapes(withQc(DEFAULT_PIPELINE_POLICY, 0.02));
  const sampledRuns = qcSec === 0.02 ? [] : [sampled.mono, sampled.multi].map(simulateWith);
  const wallSec = (performance.now() - started) / 1000;

  const windowH = hours - warmup;
  const inWindow = (j: PublishedJob) => j.finishedAt >= warmup * 3_600_000 && j.finishedAt < hours * 3_600_000;
  const figures = ({ r, published }: { r: SimResult; published: PublishedJob[] }) => {
    const work = r.metrics.workByHour.slice(warmup, hours).reduce((a, b) => a + b, 0);
    const w = published.filter(inWindow);
    const lat = published.filter((j) => long4kIds.has(j.id)).map((j) => (j.finishedAt - j.createdAt) / 60_000);
    return {
      refWorkHoursPerHour: work / 3600 / windowH,
      titlesPerHour: w.length / windowH,
      contentHoursPerHour: w.reduce((a, j) => a + j.contentSec, 0) / 3600 / windowH,
      long4k: lat,
      long4kPublished: lat.length,
      utilisation: r.metrics.utilisation,
      downgradedShare: r.metrics.downgradedShare,
      tasksRun: r.tasksRun,
      lost: r.metrics.lostJobs,
      dup: r.metrics.duplicatedJobs,
      retries: r.metrics.retries,
    };
  };
  type Figures = ReturnType<typeof figures>;
  const [monoAny, mono, monoOnePass, multi] = runs.map(figures) as [Figures, Figures, Figures, Figures];

  console.log(`Fleet: ${cpu} CPU workers (x264, speed 1) + ${gpu} GPU workers (NVENC ×${devices.gpuNvenc} on H.264/HEVC rungs, host CPU ×${devices.gpuHost} for the rest); no MediaConvert.`);
  console.log(`Workload: the schedule bench's upload mix at a flat ${uploadsPerDay.toLocaleString()} uploads/day = ${load}× the fleet's reference capacity (unbounded backlog), plus a ${uhd.contentClass} 4K premium title of 30–60 min every 30 min; ${hours} h, seed ${seed}; 1% crashes, stuck encodes, Spot interruptions.`);
  console.log('Both shapes run in the same simulator with the same Marquee scheduler (work-conserving options, as in the schedule bench), deadline manager, admission control, faults and ledger, the same per-rung cost model and device speeds, and the same package/QC/publish costs.');
  console.log('  monolithic: one worker takes a whole title — every rung one after another, then package, QC, publish (a GPU worker: NVENC for H.264/HEVC, its host CPU for the rest); a title prefers the worker class it runs fastest on as a whole, idle workers of the other class take the titles they run best.');
  console.log('  multi-stage: the lib/core/pipeline task graph — closed-GOP chunks of long/4K rungs (critical/premium always; other tiers only as wide as the idle workers, and with no idle worker the CPU rungs in one process from one decode), grouped cheap rungs, joins; each rendition packaged and QC\'d (per chunk) as soon as it is encoded; publish;');
  console.log('    4K rungs prefer GPU workers, the rest CPU workers, and an idle worker steals the runnable task it runs best (at its own speed).');
  console.log(`Constants: measured with real ffmpeg (npm run bench -- pipeline --measure): QC ${policy.stageCosts.qcSecPerRenditionSourceSec} s per rendition-second, package ${MEASURED_PIPELINE_COSTS.packageSecPerRenditionSourceSec}, chunk start ${MEASURED_PIPELINE_COSTS.chunkStartSec} s, process start ${MEASURED_PIPELINE_COSTS.processStartSec} s, shared decode ${MEASURED_PIPELINE_COSTS.groupSharedShareCheap} (cheap rungs) / ${MEASURED_PIPELINE_COSTS.groupSharedShareLadder} (ladder); assumed: queue hop ${ASSUMED_PIPELINE_COSTS.queueHopSec} s, NVENC ×${devices.gpuNvenc}, GPU host CPU ×${devices.gpuHost}.`);
  console.log(`Throughput = reference work delivered per hour over [${warmup} h, ${hours} h] (encode + packaging/QC cost at speed 1 credited as each task succeeds; joins, overheads and failed attempts credit nothing).`);
  const row = (name: string, f: Figures) => ({
    pipeline: name,
    'ref work h/h': Number(f.refWorkHoursPerHour.toFixed(2)),
    'titles/h': Math.round(f.titlesPerHour),
    'content h/h': Number(f.contentHoursPerHour.toFixed(2)),
    util: `${(f.utilisation * 100).toFixed(1)}%`,
    'long-4K published': `${f.long4kPublished}/${long4k.length}`,
    'long-4K latency mean min': Number(mean(f.long4k).toFixed(1)),
    'p50 min': Number(quantile(f.long4k, 0.5).toFixed(1)),
    downgraded: `${(f.downgradedShare * 100).toFixed(2)}%`,
    tasks: f.tasksRun,
    retries: f.retries,
    // With an unbounded backlog the run stops with titles still queued: the ledger's "not terminal" count.
    'backlog at end': f.lost,
    dup: f.dup,
  });
  const rows = [row('monolithic (baseline)', mono), row('multi-stage', multi), row('monolithic, any worker (earlier baseline)', monoAny), row('monolithic, one-pass ladder (sensitivity)', monoOnePass)];
  printTable(rows, 'Monolithic vs multi-stage, same simulator, same saturated fleet and workload');
  const throughputGain = multi.refWorkHoursPerHour / mono.refWorkHoursPerHour - 1;
  // Long 4K titles both shapes published in the run.
  const turnaround = (k: number) => new Map(runs[k]!.published.filter((j) => long4kIds.has(j.id)).map((j) => [j.id, j.finishedAt - j.createdAt]));
  const pubMono = turnaround(1);
  const pubMulti = turnaround(3);
  const both = [...pubMono.keys()].filter((id) => pubMulti.has(id));
  const premium4kLatencyRatio = mean(both.map((id) => pubMono.get(id)!)) / mean(both.map((id) => pubMulti.get(id)!));
  const gainOver = (f: Figures) => multi.refWorkHoursPerHour / f.refWorkHoursPerHour - 1;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const sampledGain = sampledRuns.length === 2 ? figures(sampledRuns[1]!).refWorkHoursPerHour / figures(sampledRuns[0]!).refWorkHoursPerHour - 1 : throughputGain;
  console.log(`\nthroughputGain ${pct(throughputGain)}; titlesPerHourGain ${pct(multi.titlesPerHour / mono.titlesPerHour - 1)}; premium4kLatencyRatio ${premium4kLatencyRatio.toFixed(2)} (mean turnaround of the ${both.length} long 4K premium titles both published); simulated in ${wallSec.toFixed(1)} s.`);
  console.log(`Sensitivity: gain over the any-worker monolithic ${pct(gainOver(monoAny))}; over a one-pass-ladder monolithic ${pct(gainOver(monoOnePass))}; with QC sampled at 0.02 s per rendition-second (the earlier assumption) instead of the measured ${qcSec} ${pct(sampledGain)}.`);
  writeResult(
    'pipeline',
    {
      throughputGain,
      premium4kLatencyRatio,
      titlesPerHourGain: multi.titlesPerHour / mono.titlesPerHour - 1,
      monolithicRefWorkHoursPerHour: mono.refWorkHoursPerHour,
      multiStageRefWorkHoursPerHour: multi.refWorkHoursPerHour,
      gainOverAnyWorkerMonolithic: gainOver(monoAny),
      gainOverOnePassMonolithic: gainOver(monoOnePass),
      gainWithSampledQc: sampledGain,
    },
    { fleet, load, uploadsPerDay, hours, warmup, seed, qcSecPerRenditionSourceSec: qcSec, constants: { measured: MEASURED_PIPELINE_COSTS, assumed: ASSUMED_PIPELINE_COSTS, devices }, long4kArchetype: `${uhd.contentClass}-${uhd.height}`, rows },
  );
}
