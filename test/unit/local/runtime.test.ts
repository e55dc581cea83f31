import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EncodeFailedError, RejectedInputError } from '../../../lib/core/errors';
import type { ContentProfile, RenditionResult } from '../../../lib/core/types';
import { openDb } from '../../../lib/local/db';
import type { Upload } from '../../../lib/local/ingest';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import { LocalRuntime, type RuntimeEvent } from '../../../lib/local/runtime';
import { SqliteJobStore } from '../../../lib/local/store';
import type { ContentAnalyzer, EncodeTask, EncoderBackend } from '../../../lib/ports';
import { aMetadata, aProfile } from '../../helpers/factories';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const upload = (name: string, meta = aMetadata()): Upload => ({ input: `in/${name}.mp4`, path: `/in/${name}.mp4`, sizeBytes: 10, version: 'v1', jobId: name, metadata: meta });

/** An analyzer that answers from a table (throwing what the table says for a file). */
const analyzer = (by: Record<string, ContentProfile | Error>): ContentAnalyzer => ({
  async analyze(uri) {
    const name = uri.split('/').pop()!.replace('.mp4', '');
    const p = by[name] ?? aProfile({}, { width: 640, height: 360, durationSec: 2 });
    if (p instanceof Error) throw p;
    return p;
  },
});

function setup(encoder: EncoderBackend, an: ContentAnalyzer = analyzer({}), workers = 1) {
  const db = openDb(':memory:');
  const outDir = mkdtempSync(join(tmpdir(), 'marquee-rt-'));
  dirs.push(outDir);
  const events: RuntimeEvent[] = [];
  let t = 1_000_000;
  const store = new SqliteJobStore(db);
  const ledger = new EncodeLedger(db);
  const runtime = new LocalRuntime({
    outDir, store, ledger, queue: new SqliteWorkQueue(db), analyzer: an, encoder, workers,
    clock: { now: () => (t += 10) }, onEvent: (e) => events.push(e),
  });
  return { runtime, store, ledger, events };
}

describe('LocalRuntime', () => {
  it('retries failed renditions once, then fails the job with the encoder reason', async () => {
    const calls: string[] = [];
    const encoder: EncoderBackend = {
      backend: 'local',
      async encode(task: EncodeTask): Promise<RenditionResult> {
        calls.push(task.rendition.id);
        throw new EncodeFailedError(`${task.rendition.id}: ffmpeg failed (exit 1): Unknown encoder 'libx264'`);
      },
    };
    const { runtime, store, ledger } = setup(encoder);
    await runtime.ingest([upload('a')]);
    expect(await runtime.run()).toEqual({ interrupted: false });
    const job = (await store.get('a'))!;
    expect(job.status).toBe('FAILED');
    expect(job.reason).toMatch(/encode failed after 2 attempt\(s\): .*Unknown encoder 'libx264'/);
    expect(job.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'RETRYING', 'ENCODING', 'FAILED']);
    const ladder = job.recipe!.ladder.length;
    expect(calls).toHaveLength(2 * ladder);
    expect(ledger.attempts('a').every((a) => a.outcome === 'failed')).toBe(true);
  });

  it('rejects an upload the analyzer rejects, fails one whose analysis crashes, and carries on with the rest', async () => {
    const encoded: string[] = [];
    const encoder: EncoderBackend = {
      backend: 'local',
      async encode(task) {
        encoded.push(task.job.id);
        throw new EncodeFailedError('stop here');
      },
    };
    const { runtime, store } = setup(encoder, analyzer({ bad: new RejectedInputError('no video stream (audio-only file)'), boom: new TypeError('cannot read properties of undefined') }));
    await runtime.ingest([upload('bad'), upload('boom'), upload('ok')]);
    await runtime.run();
    expect(await store.get('bad')).toMatchObject({ status: 'REJECTED', reason: 'no video stream (audio-only file)' });
    expect(await store.get('boom')).toMatchObject({ status: 'FAILED', reason: 'analysis failed: cannot read properties of undefined' });
    expect(new Set(encoded)).toEqual(new Set(['ok']));
  });

  it('starts the highest tier first with one worker, whatever the upload order', async () => {
    const order: string[] = [];
    const encoder: EncoderBackend = {
      backend: 'local',
      async encode(task) {
        order.push(task.job.id);
        throw new EncodeFailedError('stop');
      },
    };
    const { runtime } = setup(encoder);
    await runtime.ingest([
      upload('bulk', aMetadata({ creatorTier: 'new', expectedViews: 0 })),
      upload('top', aMetadata({ creatorTier: 'star', expectedViews: 10_000_000, premium: true, monetized: true, trending: 1 })),
    ]);
    await runtime.run();
    expect(order[0]).toBe('top');
    expect(order.lastIndexOf('top')).toBeLessThan(order.indexOf('bulk'));
  });

  it('ingests the same upload once, however many times it is given', async () => {
    const encoder: EncoderBackend = { backend: 'local', encode: async () => Promise.reject(new EncodeFailedError('x')) };
    const { runtime, store, events } = setup(encoder);
    await runtime.ingest([upload('a')]);
    await runtime.ingest([upload('a')]);
    expect(await store.list()).toHaveLength(1);
    expect(events.filter((e) => e.type === 'job' && e.job.status === 'RECEIVED')).toHaveLength(1);
  });

  it('stops at once when aborted, leaving queued jobs to resume', async () => {
    const controller = new AbortController();
    const encoder: EncoderBackend = {
      backend: 'local',
      async encode(_task, { signal } = {}) {
        controller.abort();
        if (signal?.aborted) throw new EncodeFailedError('cancelled');
        throw new Error('unreachable');
      },
    };
    const { runtime, store, ledger } = setup(encoder);
    await runtime.ingest([upload('a'), upload('b')]);
    expect(await runtime.run(controller.signal)).toEqual({ interrupted: true });
    const jobs = await store.list();
    expect(jobs.map((j) => j.status).sort()).toEqual(['ENCODING', 'QUEUED']);
    expect(jobs.flatMap((j) => j.renditions).every((r) => r.status === 'pending')).toBe(true);
    expect(ledger.attempts().map((a) => a.outcome)).toEqual(['cancelled']);
  });
});
