import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tierRank, type Tier } from '../../../lib/core/types';
import { openDb } from '../../../lib/local/db';
import { EncodeLedger } from '../../../lib/local/ledger';
import type { RunReport } from '../../../lib/local/report';
import { runLocal } from '../../../lib/local/session';
import { ffmpegPath } from '../../../lib/media/binaries';
import { inspectHlsOutput } from '../../../lib/media/encode';
import { FfprobeProber } from '../../../lib/media/probe';
import { run } from '../../../lib/media/process';
import { capturedIo, HIGH_VALUE, LOW_VALUE, MID_VALUE, tempDir, testConfig, tinyClip } from './helpers';

const root = tempDir('flow');
const inDir = join(root, 'in');
const outDir = join(root, 'out');
let report: RunReport;
let exitCode: number;
let log: string;

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(inDir, { recursive: true });
  // Made in an order that is not the value order, so "highest tier first" is the scheduler's doing.
  await tinyClip(inDir, 'a-bulk', 'static', LOW_VALUE);
  await tinyClip(inDir, 'b-mid', 'animation', MID_VALUE, { audio: 'music' });
  await tinyClip(inDir, 'c-top', 'motion', HIGH_VALUE);
  const io = capturedIo();
  ({ report, exitCode } = await runLocal([inDir], testConfig(outDir), io));
  log = io.text();
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('marquee run on real clips (1 worker)', () => {
  it('publishes every job and exits 0', () => {
    expect(exitCode).toBe(0);
    expect(report.jobs.map((j) => j.status)).toEqual(['PUBLISHED', 'PUBLISHED', 'PUBLISHED']);
    expect(log).toMatch(/PUBLISHED/);
  });

  it('writes report.json shaped { jobs: [{ id, source, status, … }] } with the input paths as given', () => {
    const onDisk = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as RunReport;
    expect(onDisk.jobs).toHaveLength(3);
    for (const j of onDisk.jobs) {
      expect(j).toEqual(expect.objectContaining({ id: expect.any(String), source: expect.any(String), status: 'PUBLISHED' }));
      expect(j.reason).toBeUndefined();
      expect(j.predictedSec).toBeGreaterThan(0);
      expect(j.actualSec).toBeGreaterThan(0);
      expect(typeof j.deadlineMet).toBe('boolean');
      expect(j.quality?.minPsnr).toBeGreaterThan(20);
      expect(j.quality?.minSsim).toBeGreaterThan(0.5);
    }
    expect(new Set(onDisk.jobs.map((j) => j.id)).size).toBe(3);
    expect(onDisk.jobs.map((j) => j.source).sort()).toEqual(['a-bulk', 'b-mid', 'c-top'].map((n) => join(inDir, `${n}.mp4`)));
  });

  it('leaves playable renditions, an HLS master and job.json under <out>/<jobId>/', async () => {
    const prober = new FfprobeProber();
    for (const j of report.jobs) {
      expect(existsSync(join(outDir, j.id, 'job.json'))).toBe(true);
      const record = JSON.parse(readFileSync(join(outDir, j.id, 'job.json'), 'utf8')) as { manifests?: unknown };
      expect(record).toMatchObject({ id: j.id, status: 'PUBLISHED' });
      // The job records the entry points it published, and the report names the same ones.
      expect(record.manifests).toEqual(j.manifests);
      expect(j.renditions.length).toBeGreaterThan(0);
      for (const r of j.renditions) {
        expect(r.status).toBe('done');
        for (const out of r.outputs) {
          if (out.endsWith('.m3u8')) {
            // ffprobe 5.2 (npm) crashes on MPEG-TS: check the playlist, then decode it with ffmpeg.
            const hls = await inspectHlsOutput(out);
            expect(hls.problems).toEqual([]);
            expect(hls.durationSec).toBeGreaterThan(1);
            await run(ffmpegPath(), ['-v', 'error', '-nostdin', '-i', out, '-f', 'null', '-'], { timeoutMs: 30_000 });
          } else {
            const info = await prober.probe(out);
            expect(info.durationSec).toBeGreaterThan(1);
            expect(info.width).toBeGreaterThan(0);
          }
        }
      }
      if (j.recipe?.packaging.includes('dash')) {
        expect(j.manifests?.dash).toBe(join(outDir, j.id, 'dash', 'manifest.mpd'));
        const mpd = readFileSync(j.manifests!.dash!, 'utf8');
        expect(mpd.match(/<Representation /g)?.length).toBeGreaterThanOrEqual(j.renditions.length);
        await run(ffmpegPath(), ['-v', 'error', '-nostdin', '-i', j.manifests!.dash!, '-f', 'null', '-'], { timeoutMs: 30_000 });
      }
      if (j.recipe?.packaging.includes('hls')) {
        expect(j.manifests?.hls).toBe(join(outDir, j.id, 'hls', 'master.m3u8'));
        const master = readFileSync(join(outDir, j.id, 'hls', 'master.m3u8'), 'utf8');
        expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(j.renditions.length);
        for (const r of j.renditions) expect(existsSync(join(outDir, j.id, 'hls', r.id, 'index.m3u8'))).toBe(true);
      }
    }
    // No partial file survives a successful run.
    for (const j of report.jobs) {
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(join(outDir, j.id)).filter((n) => n.includes('partial'))).toEqual([]);
    }
  });

  it('finishes higher tiers first when the pool has one worker', () => {
    const tiers = new Set(report.jobs.map((j) => j.tier));
    expect(tiers.size).toBeGreaterThan(1);
    const byFinish = [...report.jobs].sort((a, b) => Date.parse(a.finishedAt!) - Date.parse(b.finishedAt!));
    const ranks = byFinish.map((j) => tierRank(j.tier as Tier));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(byFinish[0]!.source).toContain('c-top');
  });

  it('records every state transition in order', () => {
    const job = JSON.parse(readFileSync(join(outDir, report.jobs[0]!.id, 'job.json'), 'utf8')) as { history: Array<{ to: string }> };
    expect(job.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'PUBLISHED']);
  });

  it('does nothing again on a second run with the same inputs: same jobs, no new encodes', async () => {
    const db = openDb(join(outDir, 'marquee.db'));
    const before = new EncodeLedger(db).attempts().length;
    db.close();
    const mtimes = report.jobs.flatMap((j) => j.renditions.map((r) => statSync(r.outputs[0]!).mtimeMs));
    const again = await runLocal([inDir], testConfig(outDir), capturedIo());
    expect(again.exitCode).toBe(0);
    expect(again.report.jobs.map((j) => j.id)).toEqual(report.jobs.map((j) => j.id));
    const db2 = openDb(join(outDir, 'marquee.db'));
    expect(new EncodeLedger(db2).attempts().length).toBe(before);
    db2.close();
    expect(report.jobs.flatMap((j) => j.renditions.map((r) => statSync(r.outputs[0]!).mtimeMs))).toEqual(mtimes);
  });
});
