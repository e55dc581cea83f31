import cliProgress from 'cli-progress';
import { isTerminal } from '../core/job';
import { activeLadder } from '../core/recipes';
import type { Job } from '../core/types';
import type { RuntimeEvent } from './runtime';

/** Shows a run's progress: bars on a terminal, one line per event otherwise. */
export interface ProgressView {
  onEvent(e: RuntimeEvent): void;
  /** A message above the bars (or a plain line). */
  log(line: string): void;
  stop(): void;
}

const time = () => new Date().toISOString().slice(11, 19);
const short = (id: string) => (id.length > 28 ? `${id.slice(0, 27)}…` : id);

/** Plain log lines (CI, pipes, `--json`): one line per state change and per encode. */
export function plainProgress(write: (line: string) => void): ProgressView {
  return {
    onEvent(e) {
      switch (e.type) {
        case 'job': {
          const last = e.job.history.at(-1);
          const tier = e.job.value ? ` [${e.job.value.tier}]` : '';
          write(`${time()} ${e.job.id}${tier} ${e.job.status}${last?.reason ? ` — ${last.reason}` : ''}`);
          break;
        }
        case 'encode-start':
          write(`${time()} ${e.job.id} encode ${e.renditionId} started`);
          break;
        case 'encode-end':
          write(
            `${time()} ${e.jobId} encode ${e.renditionId} ${e.outcome}` +
              (e.wallSec !== undefined ? ` in ${e.wallSec.toFixed(1)} s` : '') +
              (e.predictedSec !== undefined ? ` (predicted ${e.predictedSec.toFixed(1)} s)` : '') +
              (e.error ? `: ${e.error}` : ''),
          );
          break;
        case 'log':
          write(`${time()} ${e.message}`);
          break;
        case 'encode-progress':
          break;
      }
    },
    log: (line) => write(line),
    stop: () => undefined,
  };
}

interface JobBar {
  bar: cliProgress.SingleBar;
  fractions: Map<string, number>;
  total: number;
}

/**
 * Progress bars on a terminal: one for the whole run (renditions encoded / to encode) and one per job
 * being encoded (its ladder's progress). State changes are printed above the bars.
 */
export function barProgress(stream: NodeJS.WriteStream): ProgressView {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ' {label} |{bar}| {percentage}% {detail}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 28,
      fps: 8,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(1, 0, { label: 'all jobs'.padEnd(36), detail: '' });
  let totalRenditions = 0;
  let doneRenditions = 0;
  const jobs = new Map<string, JobBar>();
  const counted = new Set<string>();

  const countJob = (job: Job) => {
    if (counted.has(job.id) || !job.recipe) return;
    counted.add(job.id);
    const ladder = new Set(activeLadder(job.recipe).map((r) => r.id));
    totalRenditions += ladder.size;
    doneRenditions += job.renditions.filter((r) => ladder.has(r.renditionId) && r.status === 'done').length;
    overall.setTotal(Math.max(1, totalRenditions));
    overall.update(doneRenditions, { detail: `${doneRenditions}/${totalRenditions} renditions` });
  };
  const jobBar = (job: Job): JobBar => {
    let jb = jobs.get(job.id);
    if (!jb) {
      const total = job.recipe ? activeLadder(job.recipe).length : 1;
      const fractions = new Map(job.renditions.filter((r) => r.status === 'done').map((r) => [r.renditionId, 1]));
      const bar = multi.create(100, 0, { label: `${short(job.id)} ${job.value?.tier ?? ''}`.padEnd(36), detail: '' });
      jb = { bar, fractions, total };
      jobs.set(job.id, jb);
    }
    return jb;
  };
  // Chunked renditions report per chunk (`<rendition>#<i>/<n>`) and join (`<rendition>#join`): a
  // rendition's bar share is the mean of its chunks' progress.
  const chunkShares = new Map<string, Map<string, number>>();
  const setFraction = (jb: JobBar, jobId: string, label: string, fraction: number) => {
    const m = /^(.+)#(\d+)\/(\d+)$/.exec(label);
    if (!m) {
      if (!label.endsWith('#join')) jb.fractions.set(label, fraction);
      return;
    }
    const key = `${jobId}/${m[1]}`;
    const shares = chunkShares.get(key) ?? new Map<string, number>();
    chunkShares.set(key, shares);
    shares.set(m[2]!, fraction);
    const n = Number(m[3]);
    jb.fractions.set(m[1]!, Math.min(0.99, [...shares.values()].reduce((a, b) => a + b, 0) / Math.max(1, n)));
  };
  const redraw = (jb: JobBar, detail: string) => {
    const sum = [...jb.fractions.values()].reduce((a, b) => a + b, 0);
    jb.bar.update(Math.round((100 * sum) / Math.max(1, jb.total)), { detail });
  };

  return {
    onEvent(e) {
      switch (e.type) {
        case 'job': {
          countJob(e.job);
          const last = e.job.history.at(-1);
          if (isTerminal(e.job.status) || e.job.status === 'QUEUED' || e.job.status === 'VERIFYING') {
            multi.log(`${time()} ${e.job.id}${e.job.value ? ` [${e.job.value.tier}]` : ''} ${e.job.status}${last?.reason ? ` — ${last.reason}` : ''}\n`);
          }
          if (isTerminal(e.job.status)) {
            const jb = jobs.get(e.job.id);
            if (jb) {
              multi.remove(jb.bar);
              jobs.delete(e.job.id);
            }
          }
          break;
        }
        case 'encode-start': {
          countJob(e.job);
          const jb = jobBar(e.job);
          setFraction(jb, e.job.id, e.renditionId, 0);
          redraw(jb, e.renditionId);
          break;
        }
        case 'encode-progress': {
          const jb = jobs.get(e.jobId);
          if (!jb) break;
          setFraction(jb, e.jobId, e.renditionId, e.fraction);
          redraw(jb, e.renditionId);
          break;
        }
        case 'encode-end': {
          const jb = jobs.get(e.jobId);
          const piece = e.renditionId.includes('#');
          if (e.outcome === 'done' && !piece) {
            doneRenditions++;
            overall.update(doneRenditions, { detail: `${doneRenditions}/${totalRenditions} renditions` });
          }
          if (jb) {
            setFraction(jb, e.jobId, e.renditionId, e.outcome === 'done' ? 1 : 0);
            redraw(jb, `${e.renditionId} ${e.outcome}`);
          }
          if (e.outcome === 'failed') multi.log(`${time()} ${e.jobId} ${e.renditionId} failed: ${e.error ?? ''}\n`);
          break;
        }
        case 'log':
          multi.log(`${time()} ${e.message}\n`);
          break;
      }
    },
    log: (line) => multi.log(line.endsWith('\n') ? line : `${line}\n`),
    stop: () => multi.stop(),
  };
}
