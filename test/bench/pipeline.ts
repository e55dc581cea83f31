/**
 * `npm run bench -- pipeline [--cpu 40] [--gpu 8] [--hours 12] [--load 1.4] [--seed 42]`
 *
 * The multi-stage pipeline against a monolithic one on the same saturated mixed fleet and the same
 * titles (lib/sim/pipeline.ts explains both). Writes bench/results/pipeline.json.
 */
import { DEFAULT_PIPELINE_SIM, generateTitles, runMonolithic, runPipeline, type PipelineSimConfig, type SimOutcome } from '../../lib/sim/pipeline';
import { printTable, writeResult } from './report';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : NaN);
const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

export default async function pipelineBench(args: string[]): Promise<void> {
  const cfg: PipelineSimConfig = {
    ...DEFAULT_PIPELINE_SIM,
    cpuWorkers: option(args, 'cpu', DEFAULT_PIPELINE_SIM.cpuWorkers),
    gpuWorkers: option(args, 'gpu', DEFAULT_PIPELINE_SIM.gpuWorkers),
    horizonSec: option(args, 'hours', DEFAULT_PIPELINE_SIM.horizonSec / 3600) * 3600,
    load: option(args, 'load', DEFAULT_PIPELINE_SIM.load),
    seed: option(args, 'seed', DEFAULT_PIPELINE_SIM.seed),
  };
  const started = performance.now();
  const titles = generateTitles(cfg);
  const mono = runMonolithic(titles, cfg);
  const pipe = runPipeline(titles, cfg);
  const staticSplit = runPipeline(titles, { ...cfg, dynamicAllocation: false });
  const wallSec = (performance.now() - started) / 1000;

  console.log(`Fleet: ${cfg.cpuWorkers} CPU workers (speed 1) + ${cfg.gpuWorkers} GPU workers (NVENC ×${cfg.speeds.gpuNvenc} on 4K H.264/HEVC, host CPU ×${cfg.speeds.gpuHost}); ${titles.length} titles arriving over ${cfg.horizonSec / 3600} h at ${cfg.load}× the fleet's slots (saturated), every title run to publication, seed ${cfg.seed}.`);
  console.log('Baseline "monolithic": one worker takes one whole title (analyse, each rendition in turn, package, QC, publish), titles in tier-then-arrival order,');
  console.log('  GPU workers prefer titles with a 4K rung (every H.264/HEVC rung on NVENC, others on the host CPU), CPU workers prefer the others. One dispatch per title.');
  console.log('"pipeline": each title a task graph — closed-GOP chunks for 4K/long renditions, grouped mobile rungs, 4K → GPU workers, the rest on CPU workers whose');
  console.log(`  stage roles follow the backlogs (rebalanced every ${cfg.rebalanceEverySec}s, ${cfg.switchWarmupSec}s warm-up per move); ${cfg.policy.overheads.dispatchSec}s dispatch per task, ${cfg.policy.overheads.chunkStartSec}s per chunk, join ${cfg.policy.overheads.joinFixedSec}s + ${cfg.policy.overheads.joinSecPerSourceSec}s/s.`);
  console.log('Same encode cost model for both: predictJob per rendition (reference CPU slot), scaled by the device speeds.');

  const p4k = titles.filter((t) => t.premium4k).map((t) => t.id);
  const both = p4k.filter((id) => mono.turnaround.has(id) && pipe.turnaround.has(id));
  const lat = (o: SimOutcome) => both.map((id) => o.turnaround.get(id)! / 60);
  const row = (o: SimOutcome) => ({
    pipeline: o.name,
    'ref encode-h/h': Number(o.refWorkHoursPerHour.toFixed(2)),
    'content h/h': Number(o.contentHoursPerHour.toFixed(2)),
    'titles/h': Math.round(o.titlesPerHour),
    published: o.published,
    'makespan h': Number((o.makespanSec / 3600).toFixed(2)),
    'cpu busy': `${(o.cpuBusyShare * 100).toFixed(1)}%`,
    'gpu busy': `${(o.gpuBusyShare * 100).toFixed(1)}%`,
    'p4k latency p50 min': Number(pct(lat(o), 0.5).toFixed(1)),
    'p4k latency mean min': Number(mean(lat(o)).toFixed(1)),
    'p4k published': p4k.filter((id) => o.turnaround.has(id)).length,
    tasks: o.tasksRun,
    'stage moves': o.stageMoves,
  });
  printTable([row(mono), row(pipe), row(staticSplit)], 'Throughput and long-form 4K premium latency (same titles, same fleet)');

  const throughputGain = pipe.refWorkHoursPerHour / mono.refWorkHoursPerHour - 1;
  const premium4kLatencyRatio = mean(lat(mono)) / mean(lat(pipe));
  console.log(`\nthroughputGain ${(throughputGain * 100).toFixed(1)}% (reference encode-hours of the titles published per hour between ${cfg.warmupSec / 3600} h and ${cfg.horizonSec / 3600} h, both saturated); premium4kLatencyRatio ${premium4kLatencyRatio.toFixed(2)} (mean turnaround of the ${both.length} long 4K premium titles both published); simulated in ${wallSec.toFixed(1)} s.`);
  writeResult(
    'pipeline',
    {
      throughputGain,
      premium4kLatencyRatio,
      titlesPerHourGain: pipe.titlesPerHour / mono.titlesPerHour - 1,
      staticSplitThroughputGain: staticSplit.refWorkHoursPerHour / mono.refWorkHoursPerHour - 1,
      drainTimeRatio: mono.makespanSec / pipe.makespanSec,
    },
    {
      config: { ...cfg, model: cfg.model.version },
      outcomes: [mono, pipe, staticSplit].map((o) => ({ ...row(o), turnaround: undefined })),
    },
  );
}
