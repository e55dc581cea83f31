import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../lib/local/report';
import { HIGH_VALUE, LOW_VALUE, tempDir, tinyClip } from './helpers';

const root = tempDir('sigint');
const inDir = join(root, 'in');
const outDir = join(root, 'out');
const dbPath = join(outDir, 'marquee.db');
const cli = join(import.meta.dirname, '../../../lib/local/cli.ts');

afterAll(() => rmSync(root, { recursive: true, force: true }));

const runningEncodes = (): number => {
  if (!existsSync(dbPath)) return 0;
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM encode_attempts WHERE outcome = 'running'").get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
};

function cliRun() {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', inDir, '--out', outDir, '--workers', '1', '--threads', '1', '--no-quality'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, output: () => out };
}

describe('Ctrl-C (SIGINT) in the middle of an encode', () => {
  it('cancels ffmpeg, exits 130 with the database consistent, and the next run finishes the work', async () => {
    mkdirSync(inDir, { recursive: true });
    await tinyClip(inDir, 'top', 'motion', HIGH_VALUE, { width: 320, height: 180, durationSec: 2 });
    await tinyClip(inDir, 'low', 'noisy', LOW_VALUE, { width: 320, height: 180, durationSec: 2 });

    const first = cliRun();
    const until = Date.now() + 60_000;
    while (runningEncodes() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(130);
    expect(first.output()).toMatch(/SIGINT: stopping/);

    const db = new Database(dbPath, { readonly: true });
    const outcomes = db.prepare('SELECT outcome FROM encode_attempts').all() as Array<{ outcome: string }>;
    const statuses = (db.prepare('SELECT status FROM jobs').all() as Array<{ status: string }>).map((r) => r.status);
    db.close();
    expect(outcomes.map((o) => o.outcome)).toContain('cancelled');
    expect(outcomes.map((o) => o.outcome)).not.toContain('running');
    expect(statuses).toHaveLength(2);
    // Nothing half-written is left looking finished: cancelled encodes remove their partial files.
    expect((readdirSync(outDir, { recursive: true }) as string[]).filter((n) => n.includes('.partial'))).toEqual([]);

    const second = cliRun();
    expect(await second.exit).toBe(0);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as RunReport;
    expect(report.jobs.map((j) => j.status)).toEqual(['PUBLISHED', 'PUBLISHED']);
  }, 120_000);
});
