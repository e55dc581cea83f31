import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeFailedError } from '../../../lib/core/errors';
import type { ChunkRange } from '../../../lib/core/pipeline';
import type { Job } from '../../../lib/core/types';
import { openDb } from '../../../lib/local/db';
import { discoverUploads } from '../../../lib/local/ingest';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import type { RunReport } from '../../../lib/local/report';
import { LocalRuntime, type RuntimeEvent } from '../../../lib/local/runtime';
import { runLocal } from '../../../lib/local/session';
import { SqliteJobStore } from '../../../lib/local/store';
import { FfmpegContentAnalyzer } from '../../../lib/media/analyze';
import { perFramePsnr, probeVideo } from '../../../lib/media/chunked';
import { LocalFfmpegEncoder } from '../../../lib/media/encode';
import type { EncodeTask } from '../../../lib/ports';
import { capturedIo, MID_VALUE, tempDir, testConfig, tinyClip } from './helpers';

const root = tempDir('chunked');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A 4 s clip split into 2 s chunks (`--chunk-seconds 2`). */
describe('marquee run --chunk-seconds 2 on a 4 s clip (real ffmpeg)', () => {
  const inDir = join(root, 'run-in');
  const outDir = join(root, 'run-out');
  let source: string;
  let report: RunReport;
  let job: Job;

  beforeAll(async () => {
    mkdirSync(inDir, { recursive: true });
    source = await tinyClip(inDir, 'chunky', 'motion', MID_VALUE, { durationSec: 4, audio: 'music', width: 320, height: 180 });
    ({ report } = await runLocal([inDir], testConfig(outDir, { workers: 2, threadsPerWorker: 1, chunkSeconds: 2 }), capturedIo()));
    job = JSON.parse(readFileSync(join(outDir, report.jobs[0]!.id, 'job.json'), 'utf8')) as Job;
  }, 180_000);

  it('allocates chunks, encodes renditions as chunks, and publishes the job', () => {
    expect(report.jobs[0]).toMatchObject({ status: 'PUBLISHED' });
    expect(job.allocation?.chunks).toBeGreaterThanOrEqual(2);
    expect(Object.keys(report.jobs[0]!.chunked ?? {}).length).toBeGreaterThan(0);
    expect(Object.values(report.jobs[0]!.chunked!).every((n) => n >= 2)).toBe(true);
    expect(job.decisions.filter((d) => d.kind === 'pipeline' && d.action.startsWith('chunk '))).not.toHaveLength(0);
    expect(existsSync(join(outDir, job.id, '.chunks'))).toBe(false);
  });

  it('joins every chunked rendition to the source frame count and duration, with no damaged frame at the joins', async () => {
    const src = await probeVideo(source);
    for (const [renditionId, count] of Object.entries(report.jobs[0]!.chunked!)) {
      const rung = job.recipe!.ladder.find((r) => r.id === renditionId)!;
      const mp4 = join(outDir, job.id, `${renditionId}.mp4`);
      const out = await probeVideo(mp4);
      expect(rung.fps).toBe(25);
      expect(out.frames).toBe(src.frames);
      expect(Math.abs(out.durationSec - src.durationSec)).toBeLessThan(0.1);
      // Frame-by-frame against the source: a dropped or repeated frame at a join would shift every
      // later frame and collapse their PSNR; a broken GOP at a join would damage the frames around it.
      const psnr = await perFramePsnr(source, mp4, { width: rung.width, height: rung.height, workDir: join(root, 'psnr') });
      expect(psnr).toHaveLength(src.frames);
      const sorted = [...psnr].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const joins = Array.from({ length: count - 1 }, (_, i) => Math.round(((i + 1) * src.frames) / count));
      for (const f of joins.flatMap((j) => [j - 1, j])) expect(psnr[f]!).toBeGreaterThan(median - 6);
      expect(Math.min(...psnr)).toBeGreaterThan(25);
    }
  });
});

/** The runtime over a real encoder whose chunks can be made to fail or be interrupted. */
async function chunkedRuntime(name: string, hooks: { beforeChunk?: (chunk: ChunkRange, renditionId: string) => void; onEvent?: (e: RuntimeEvent) => void } = {}) {
  const dir = join(root, name);
  const inDir = join(dir, 'in');
  mkdirSync(inDir, { recursive: true });
  if (!existsSync(join(inDir, 'clip.mp4'))) await tinyClip(inDir, 'clip', 'animation', MID_VALUE, { durationSec: 4, audio: 'none' });
  const db = openDb(join(dir, 'marquee.db'));
  const real = new LocalFfmpegEncoder({ threads: 1 });
  const encoder = Object.assign(Object.create(real) as LocalFfmpegEncoder, {
    encodeChunk: (task: EncodeTask, chunk: ChunkRange, chunkDir: string, opts?: { signal?: AbortSignal }) => {
      hooks.beforeChunk?.(chunk, task.rendition.id);
      return real.encodeChunk(task, chunk, chunkDir, opts);
    },
  });
  const ledger = new EncodeLedger(db);
  const store = new SqliteJobStore(db);
  const runtime = new LocalRuntime({
    outDir: join(dir, 'out'), store, queue: new SqliteWorkQueue(db), ledger, analyzer: new FfmpegContentAnalyzer(), encoder, workers: 2,
    chunking: { chunkSeconds: 2 }, ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
  });
  await runtime.ingest(await discoverUploads([inDir]));
  return { runtime, ledger, store, close: () => db.close() };
}

describe('chunk failures and interruptions', () => {
  it('retries a failed chunk alone: the other chunks are encoded once and the job publishes', async () => {
    const failed = new Set<string>();
    const rt = await chunkedRuntime('retry', {
      beforeChunk: (chunk, renditionId) => {
        if (chunk.index === 1 && !failed.has(renditionId)) {
          failed.add(renditionId);
          throw new EncodeFailedError(`${renditionId}: injected failure of chunk 2`);
        }
      },
    });
    await rt.runtime.run();
    const [job] = await rt.store.list();
    const attempts = rt.ledger.attempts(job!.id);
    rt.close();
    expect(job!.status).toBe('PUBLISHED');
    expect(job!.attempts).toBe(0);
    expect(failed.size).toBeGreaterThan(0);
    for (const rid of failed) {
      const of = (label: string) => attempts.filter((a) => a.renditionId === label).map((a) => a.outcome);
      expect(of(`${rid}#1/2`)).toEqual(['done']);
      expect(of(`${rid}#2/2`)).toEqual(['failed', 'done']);
      expect(of(`${rid}#join`)).toEqual(['done']);
    }
  }, 120_000);

  it('keeps finished chunks across an interrupted run: the next run encodes only what is left', async () => {
    const controller = new AbortController();
    const first = await chunkedRuntime('resume', {
      onEvent: (e) => {
        if (e.type === 'encode-end' && e.outcome === 'done' && /#1\/2$/.test(e.renditionId)) controller.abort();
      },
    });
    expect(await first.runtime.run(controller.signal)).toEqual({ interrupted: true });
    const doneBefore = first.ledger.attempts().filter((a) => a.outcome === 'done').map((a) => a.renditionId);
    first.close();
    expect(doneBefore.some((l) => /#1\/2$/.test(l))).toBe(true);

    const second = await chunkedRuntime('resume');
    await second.runtime.run();
    const [job] = await second.store.list();
    const all = second.ledger.attempts();
    second.close();
    expect(job!.status).toBe('PUBLISHED');
    // Every chunk finished by the first run is encoded exactly once over both runs.
    for (const label of doneBefore) expect(all.filter((a) => a.renditionId === label && a.outcome === 'done')).toHaveLength(1);
    expect(all.filter((a) => a.renditionId.endsWith('#join') && a.outcome === 'done').length).toBeGreaterThan(0);
  }, 120_000);
});
