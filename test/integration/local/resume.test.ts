import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/core/types';
import type { RunReport } from '../../../lib/local/report';
import { HIGH_VALUE, LOW_VALUE, MID_VALUE, tempDir, tinyClip } from './helpers';

const root = tempDir('resume');
const inDir = join(root, 'in');
const outDir = join(root, 'out');
const dbPath = join(outDir, 'marquee.db');
const cli = join(import.meta.dirname, '../../../lib/local/cli.ts');

/** The CLI as a real child process (node + tsx loader, so its pid is the runtime itself). */
function startCli(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', cli, 'run', inDir, '--out', outDir, '--workers', '1', '--threads', '1', '--no-quality'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

interface Snapshot {
  done: Array<{ jobId: string; renditionId: string; output: string; mtimeMs: number }>;
  running: number;
}

function snapshot(): Snapshot | undefined {
  if (!existsSync(dbPath)) return undefined;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const running = (db.prepare("SELECT count(*) AS n FROM encode_attempts WHERE outcome = 'running'").get() as { n: number }).n;
    const jobs = (db.prepare('SELECT body FROM jobs').all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Job);
    const done = jobs.flatMap((j) =>
      j.renditions.filter((r) => r.status === 'done').map((r) => ({ jobId: j.id, renditionId: r.renditionId, output: r.outputs[0]!, mtimeMs: statSync(r.outputs[0]!).mtimeMs })),
    );
    return { done, running };
  } catch {
    return undefined; // schema not created yet
  } finally {
    db.close();
  }
}

let beforeKill: Snapshot;
let killedBy: NodeJS.Signals | null;
let second: { code: number | null };
let report: RunReport;
let ledger: Array<{ job_id: string; rendition_id: string; outcome: string }>;
let jobRows: number;

beforeAll(async () => {
  mkdirSync(inDir, { recursive: true });
  await tinyClip(inDir, 'one', 'motion', HIGH_VALUE, { width: 320, height: 180, durationSec: 2 });
  await tinyClip(inDir, 'two', 'noisy', MID_VALUE, { width: 320, height: 180, durationSec: 2 });
  await tinyClip(inDir, 'three', 'animation', LOW_VALUE, { width: 320, height: 180, durationSec: 2 });
  await tinyClip(inDir, 'four', 'talking', LOW_VALUE, { width: 320, height: 180, durationSec: 2 });

  const first = startCli();
  const firstExit = exited(first);
  // Kill -9 once some renditions are finished and another is being encoded.
  let snap: Snapshot | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    snap = snapshot();
    if (snap && snap.done.length >= 2 && snap.running > 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  first.kill('SIGKILL');
  killedBy = (await firstExit).signal;
  beforeKill = snapshot()!;
  // ffmpeg children orphaned by the kill die on their closed pipes; make sure of it.
  try {
    process.kill(-first.pid!, 'SIGKILL');
  } catch {
    /* the group is gone already */
  }

  const rerun = startCli();
  second = await exited(rerun);
  report = JSON.parse((await import('node:fs')).readFileSync(join(outDir, 'report.json'), 'utf8')) as RunReport;
  const db = new Database(dbPath, { readonly: true });
  ledger = db.prepare('SELECT job_id, rendition_id, outcome FROM encode_attempts').all() as typeof ledger;
  jobRows = (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
  db.close();
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resume after kill -9 in the middle of a run', () => {
  it('was killed while encoding, with some renditions finished', () => {
    expect(killedBy).toBe('SIGKILL');
    expect(beforeKill.done.length).toBeGreaterThanOrEqual(2);
    expect(ledger.some((a) => a.outcome === 'interrupted')).toBe(true);
  });

  it('finishes every job on the rerun, exit 0', () => {
    expect(second.code).toBe(0);
    expect(report.jobs.map((j) => j.status)).toEqual(['PUBLISHED', 'PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
  });

  it('neither loses nor duplicates a job', () => {
    expect(jobRows).toBe(4);
    expect(new Set(report.jobs.map((j) => j.id)).size).toBe(4);
    expect(report.jobs.map((j) => j.source.split('/').pop()).sort()).toEqual(['four.mp4', 'one.mp4', 'three.mp4', 'two.mp4']);
  });

  it('does not encode a finished rendition again', () => {
    for (const d of beforeKill.done) {
      expect(statSync(d.output).mtimeMs).toBe(d.mtimeMs);
      expect(ledger.filter((a) => a.job_id === d.jobId && a.rendition_id === d.renditionId && a.outcome === 'done')).toHaveLength(1);
    }
  });

  it('encodes every rendition of the published jobs exactly once to completion', () => {
    for (const j of report.jobs) {
      for (const r of j.renditions) {
        expect(ledger.filter((a) => a.job_id === j.id && a.rendition_id === r.id && a.outcome === 'done')).toHaveLength(1);
      }
    }
  });
});
