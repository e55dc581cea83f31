import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { MarqueeError } from '../core/errors';
import { isTerminal } from '../core/job';
import { LocalFfmpegEncoder } from '../media/encode';
import { FfmpegContentAnalyzer } from '../media/analyze';
import { FfmpegQualityMeter } from '../media/quality';
import { probeHull } from '../media/hull-probe';
import { TIER_PRESET } from '../core/recipes/codecs';
import type { ContentProfile, Tier } from '../core/types';
import { parseValuePolicy, type ValuePolicy } from '../core/value';
import { ConfigError } from './config';
import type { ContentAnalyzer } from '../ports';
import { systemClock } from '../ports';
import type { LocalConfig } from './config';
import { openDb } from './db';
import { discoverUploads } from './ingest';
import { EncodeLedger } from './ledger';
import { barProgress, plainProgress, type ProgressView } from './progress';
import { SqliteWorkQueue } from './queue';
import { buildRunReport, formatRunReport, writeRunReport, type RunReport } from './report';
import { LocalRuntime } from './runtime';
import { ensureSampleWorkload } from './samples';
import { calibrationFactors } from '../core/prediction';
import { CalibrationFile } from './calibration';
import { loadEncodeTimeModel } from './training/model-file';
import { SqliteJobStore } from './store';

/** Another `marquee run` is using the same output folder. */
export class OutputFolderBusyError extends MarqueeError {}

export interface SessionIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** How to show a path to the user (relative to where they ran the command). */
  cwdRelative: (p: string) => string;
  /** Signals that stop the run cleanly (default SIGINT, SIGTERM). */
  stopSignals?: NodeJS.Signals[];
  analyzer?: ContentAnalyzer;
}

export interface SessionResult {
  exitCode: number;
  report: RunReport;
}

/** Hold `<out>/.lock` so two runs never drive the same job table; a lock left by a dead process is taken over. */
function acquireLock(outDir: string): () => void {
  const path = join(outDir, '.lock');
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    let alive = false;
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (alive) throw new OutputFolderBusyError(`another marquee run (pid ${pid}) is using ${outDir}; wait for it or use --out <other dir>`);
  }
  writeFileSync(path, String(process.pid));
  return () => rmSync(path, { force: true });
}

/** `--fresh`: remove what earlier runs left in the output folder (only Marquee's own files). */
function forget(outDir: string): void {
  const dbPath = join(outDir, 'marquee.db');
  if (existsSync(dbPath)) {
    const db = openDb(dbPath);
    const ids = db.prepare<[], { id: string }>('SELECT id FROM jobs').all().map((r) => r.id);
    db.close();
    for (const id of ids) rmSync(join(outDir, id), { recursive: true, force: true });
  }
  for (const f of ['marquee.db', 'marquee.db-wal', 'marquee.db-shm', 'report.json', 'samples']) rmSync(join(outDir, f), { recursive: true, force: true });
}

/**
 * One `marquee run`: make the sample workload when there are no inputs, ingest, resume whatever an
 * earlier run left unfinished, run everything to a terminal state, print and write the report.
 * Exit code 0 when every job is terminal (rejections included), 130 when stopped by a signal.
 */
export async function runLocal(inputs: readonly string[], config: LocalConfig, io: SessionIo): Promise<SessionResult> {
  const started = performance.now();
  const clock = systemClock;
  const outDir = config.outDir;
  const toOut = config.json ? io.stderr : io.stdout;
  const print = (line: string) => toOut.write(line.endsWith('\n') ? line : `${line}\n`);
  mkdirSync(outDir, { recursive: true });
  const release = acquireLock(outDir);
  // Only once the folder is ours: never pull the database from under another run.
  if (config.fresh) forget(outDir);
  const db = openDb(config.dbPath);
  const view: ProgressView = !config.json && toOut.isTTY ? barProgress(toOut) : plainProgress(print);
  const controller = new AbortController();
  const signals = io.stopSignals ?? ['SIGINT', 'SIGTERM'];
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.exit(130);
    }
    view.log(`${sig}: stopping — cancelling running encodes; run the same command again to resume (again to force quit)`);
    controller.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    const store = new SqliteJobStore(db);
    const queue = new SqliteWorkQueue(db, { clock });
    const ledger = new EncodeLedger(db);

    let given = [...inputs];
    if (given.length === 0) {
      view.log(`no inputs: running the sample workload in ${io.cwdRelative(config.samplesDir)}`);
      await ensureSampleWorkload(config.samplesDir, clock.now(), (l) => view.log(l));
      given = [io.cwdRelative(config.samplesDir)];
    }
    // Never ingest our own outputs when a folder that holds the output folder is given.
    const samples = resolve(config.samplesDir) + sep;
    const uploads = (await discoverUploads(given)).filter((u) => !(u.path.startsWith(outDir + sep) && !u.path.startsWith(samples)));

    // The learned encode-time model (models/encode-time-model.json) with this machine's calibration;
    // the heuristic model when the artifact is absent.
    const calibration = new CalibrationFile(join(outDir, 'calibration.json'));
    const model = loadEncodeTimeModel(undefined, calibration.current);
    const unfinishedBefore = (await store.list()).filter((j) => !isTerminal(j.status)).map((j) => j.id);
    const valuePolicy = config.valuePolicyFile ? readValuePolicy(config.valuePolicyFile) : undefined;
    const runtime = new LocalRuntime({
      ...(valuePolicy ? { valuePolicy } : {}),
      outDir,
      store,
      queue,
      ledger,
      analyzer: io.analyzer ?? new FfmpegContentAnalyzer(),
      encoder: new LocalFfmpegEncoder({ threads: config.threadsPerWorker }),
      ...(config.measureQuality ? { quality: new FfmpegQualityMeter({ ...(config.vmafModel ? { vmafModelPath: config.vmafModel } : {}), threads: config.threadsPerWorker }) } : {}),
      clock,
      workers: config.workers,
      maxAttempts: config.maxAttempts,
      localPoolSlots: config.workers,
      ...(config.chunkSeconds
        ? {
            chunking: { chunkSeconds: config.chunkSeconds },
            // The job's allocation says so too: chunks of about chunkSeconds of source each.
            allocationPolicy: { minChunkSourceSec: config.chunkSeconds, chunkTargetSec: 1e-3 },
          }
        : {}),
      ...(model ? { model } : {}),
      ...(config.hullProbeMinSec !== undefined
        ? {
            hullProbe: {
              minDurationSec: config.hullProbeMinSec,
              probe: (uri: string, profile: ContentProfile, tier: Tier, signal?: AbortSignal) =>
                probeHull(uri, profile, { targetPreset: TIER_PRESET[tier], signal, ...(config.vmafModel ? { vmafModelPath: config.vmafModel } : {}) }),
            },
          }
        : {}),
      onEvent: (e) => view.onEvent(e),
      onObservation: (o) => calibration.observe(o),
    });
    const ingested = await runtime.ingest(uploads);
    const resumed = unfinishedBefore.filter((id) => !ingested.some((j) => j.id === id));
    if (resumed.length > 0) view.log(`resuming ${resumed.length} unfinished job(s) from an earlier run`);
    const factor = calibrationFactors(calibration.current, 'local').wall;
    view.log(
      `${ingested.length} upload(s); ${config.workers} worker(s) × ${config.threadsPerWorker} thread(s); ` +
        `encode-time model ${model?.version ?? 'heuristic'}${factor !== 1 ? ` (this machine ×${factor.toFixed(2)})` : ''}; output in ${io.cwdRelative(outDir)}`,
    );

    const { interrupted } = await runtime.run(controller.signal);
    view.stop();

    const ids = [...new Set([...ingested.map((j) => j.id), ...unfinishedBefore])];
    const jobs = (await Promise.all(ids.map((id) => store.get(id)))).filter((j) => j !== undefined);
    const report = buildRunReport({
      jobs,
      inputs: new Map(ids.map((id) => [id, store.inputOf(id) ?? id])),
      attempts: ledger.attempts(),
      outDir,
      wallSec: (performance.now() - started) / 1000,
      workers: config.workers,
      interrupted,
      now: clock.now(),
    });
    await writeRunReport(join(outDir, 'report.json'), report);
    if (config.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else print(`\n${formatRunReport(report)}\nreport: ${io.cwdRelative(join(outDir, 'report.json'))}`);
    const allTerminal = jobs.every((j) => isTerminal(j.status));
    return { exitCode: interrupted ? 130 : allTerminal ? 0 : 1, report };
  } finally {
    view.stop();
    for (const s of signals) process.off(s, onSignal);
    db.close();
    release();
  }
}

/** Read and validate a value-policy file; a bad one is a ConfigError naming the file and field. */
export function readValuePolicy(path: string): ValuePolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--value-policy ${path}: ${(err as Error).message}`);
  }
  try {
    return parseValuePolicy(text);
  } catch (err) {
    throw new ConfigError(`--value-policy ${path}: ${(err as Error).message}`);
  }
}
