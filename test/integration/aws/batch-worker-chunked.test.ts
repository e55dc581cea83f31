import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudChunkPlan } from '../../../lib/aws/chunk-plan';
import { profileFromProbe, outputPrefixFor, type WorkerManifest } from '../../../lib/aws/cloud-flow';
import { DynamoJobStore } from '../../../lib/aws/job-store';
import { S3ObjectStore } from '../../../lib/aws/object-store';
import { chunkRejectionUri, WORKER_EXIT, type ChunkRejection } from '../../../lib/aws/worker-exit';
import { RejectedInputError } from '../../../lib/core/errors';
import { newJob } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import type { Job, Packaging } from '../../../lib/core/types';
import { probeVideo } from '../../../lib/media/chunked';
import { FfprobeProber } from '../../../lib/media/probe';
import { synthesizeClip } from '../../../lib/media/synth';
import { modeFromEnv, runWorker, type ChunkManifest, type WorkerMode } from '../../../functions/batch-worker/main';
import { aMetadata } from '../../helpers/factories';
import { abortAfterDownload, startEmulators, type Emulators } from './emulators';
import { expectMasterOverEveryHlsRendition } from './hls-master';

let emu: Emulators;
let dir: string;
let store: DynamoJobStore;
let objects: S3ObjectStore;
const CAP = 4;

/**
 * A planned 4 s job whose allocation asks for 2 chunks (the tiny clip is far below the pipeline's
 * long-title threshold); `openRung` adds an open-GOP rung, which cannot be chunked and is encoded whole;
 * `packaging` stands in for an ABR recipe's (a 'mobile' title packages MP4 only).
 */
async function chunkedJob(id: string, openRung = false, packaging?: Packaging[]): Promise<Job> {
  const clip = join(dir, 'clip.mp4');
  const source = await new FfprobeProber().probe(clip);
  await objects.upload(clip, `s3://${emu.ingestBucket}/uploads/${id}.mp4`, 'video/mp4');
  const planned = planJob(newJob({ id, source: { uri: `s3://${emu.ingestBucket}/uploads/${id}.mp4` }, metadata: aMetadata({ formats: ['mobile'] }), now: 0 }), profileFromProbe(source, 10), { now: 1, backend: 'batch-gpu' });
  const recipe = planned.recipe!;
  const first = recipe.ladder[0]!;
  const ladder = openRung ? [...recipe.ladder, { ...first, id: `${first.id}-open`, closedGop: false }] : recipe.ladder;
  const job = { ...planned, recipe: { ...recipe, ladder, ...(packaging ? { packaging } : {}) }, allocation: { ...planned.allocation!, chunks: 2 } };
  await store.create(job);
  return job;
}

const run = (job: Job, prefix: string, mode: WorkerMode, signal = new AbortController().signal, store_ = objects) =>
  runWorker({ store, objects: store_, jobId: job.id, attempt: 1, outputPrefix: prefix, workDir: mkdtempSync(join(dir, 'w-')), signal, mode });

async function localCopy(uri: string, name: string): Promise<string> {
  const path = join(dir, name);
  await objects.download(uri, path);
  return path;
}

beforeAll(async () => {
  emu = await startEmulators();
  store = new DynamoJobStore(emu.dynamo, emu.tableName);
  objects = new S3ObjectStore(emu.s3);
  dir = mkdtempSync(join(tmpdir(), 'mq-chunked-worker-'));
  await synthesizeClip('animation', join(dir, 'clip.mp4'), { width: 320, height: 180, durationSec: 4, audio: 'speech' });
});
afterAll(async () => {
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Batch GPU worker, chunked (array children + join)', () => {
  it('chunk children write their chunks; the join publishes every rung with the frames and duration of a single-pass encode', async () => {
    const job = await chunkedJob('worker-chunked', true, ['hls', 'mp4']);
    const plan = cloudChunkPlan(job, CAP);
    expect(plan.width).toBe(2);
    expect(plan.whole).toEqual([{ renditionId: `${job.recipe!.ladder[0]!.id}-open`, child: 1 }]);
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    for (let index = 0; index < plan.width; index++) expect(await run(job, prefix, { kind: 'chunk', index, planCap: CAP })).toBe(WORKER_EXIT.ok);
    const child0 = JSON.parse((await objects.readText(`${prefix}chunks/0/manifest.json`))!) as ChunkManifest;
    expect(child0.chunks.map((c) => c.renditionId).sort()).toEqual(plan.chunked.map((c) => c.renditionId).sort());
    expect(await objects.readText(`${prefix}manifest.json`)).toBeUndefined(); // only the join publishes the manifest

    expect(await run(job, prefix, { kind: 'join', planCap: CAP })).toBe(WORKER_EXIT.ok);
    const manifest = JSON.parse((await objects.readText(`${prefix}manifest.json`))!) as WorkerManifest;
    expect(manifest.renditions.map((r) => r.renditionId).sort()).toEqual(job.recipe!.ladder.map((r) => r.id).sort());
    for (const r of manifest.renditions) {
      expect(r.outputs.length).toBeGreaterThan(0);
      for (const o of r.outputs) expect(await objects.exists(o)).toBe(true);
    }
    // One master over every rung's HLS: the joined rungs and the open-GOP rung child 1 published whole.
    expect(manifest.hlsMaster).toBe(`${prefix}hls/master.m3u8`);
    const variants = await expectMasterOverEveryHlsRendition(objects, prefix);
    expect([...variants].sort()).toEqual(job.recipe!.ladder.map((r) => `${prefix}hls/${r.id}/index.m3u8`).sort());

    // The same job encoded whole, as a reference.
    const wholePrefix = outputPrefixFor(emu.outputBucket, job, 2);
    expect(await run(job, wholePrefix, { kind: 'whole' })).toBe(WORKER_EXIT.ok);
    for (const { renditionId } of plan.chunked) {
      const joined = await probeVideo(await localCopy(`${prefix}${renditionId}.mp4`, `joined-${renditionId}.mp4`));
      const single = await probeVideo(await localCopy(`${wholePrefix}${renditionId}.mp4`, `single-${renditionId}.mp4`));
      expect(joined.frames).toBe(single.frames);
      expect(joined.durationSec).toBeCloseTo(single.durationSec, 1);
      expect(manifest.renditions.find((r) => r.renditionId === renditionId)!.outputs).toContain(`${prefix}${renditionId}.mp4`);
    }
  });

  it('a chunk child stopped by SIGTERM exits "interrupted" (Batch retries that child alone) and uploads nothing', async () => {
    const job = await chunkedJob('worker-chunk-term');
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    const ctl = new AbortController();
    const terminating = abortAfterDownload(objects, ctl);
    expect(await run(job, prefix, { kind: 'chunk', index: 1, planCap: CAP }, ctl.signal, terminating)).toBe(WORKER_EXIT.interrupted);
    expect(await objects.list(prefix)).toEqual([]);
  });

  it('the join fails (exit "failed") when a chunk child left nothing, publishing no manifest', async () => {
    const job = await chunkedJob('worker-join-missing');
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    expect(await run(job, prefix, { kind: 'chunk', index: 0, planCap: CAP })).toBe(WORKER_EXIT.ok);
    expect(await run(job, prefix, { kind: 'join', planCap: CAP })).toBe(WORKER_EXIT.failed);
    expect(await objects.readText(`${prefix}manifest.json`)).toBeUndefined();
  });

  it('a chunk child that finds bad input leaves its reason for Complete (the join will never run) and exits "badInput"', async () => {
    const job = await chunkedJob('worker-chunk-rejected');
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    // The source turns out unreadable as the child fetches it.
    const unreadable = new Proxy(objects, {
      get(target, key, receiver) {
        if (key === 'download') return () => Promise.reject(new RejectedInputError('not a readable media file (truncated or corrupt?)'));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(await run(job, prefix, { kind: 'chunk', index: 1, planCap: CAP }, new AbortController().signal, unreadable)).toBe(WORKER_EXIT.badInput);
    const marker = JSON.parse((await objects.readText(chunkRejectionUri(prefix)))!) as ChunkRejection;
    expect(marker).toEqual({ index: 1, reason: 'not a readable media file (truncated or corrupt?)' });
    expect(await objects.list(prefix)).toEqual([chunkRejectionUri(prefix)]); // nothing else published
  });

  it('a chunk child whose job has no recipe leaves a rejection marker too; a whole-title job leaves none (its exit code speaks)', async () => {
    const job = await chunkedJob('worker-chunk-norecipe');
    const { recipe: _recipe, ...bare } = job;
    await store.put(bare);
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    expect(await run(job, prefix, { kind: 'chunk', index: 0, planCap: CAP })).toBe(WORKER_EXIT.badInput);
    expect(JSON.parse((await objects.readText(chunkRejectionUri(prefix)))!)).toMatchObject({ index: 0, reason: expect.stringMatching(/recipe/) });
    const wholePrefix = outputPrefixFor(emu.outputBucket, job, 2);
    expect(await run(job, wholePrefix, { kind: 'whole' })).toBe(WORKER_EXIT.badInput);
    expect(await objects.list(wholePrefix)).toEqual([]);
  });

  it('a child whose index is past the plan fails rather than encoding nothing', async () => {
    const job = await chunkedJob('worker-chunk-past');
    expect(await run(job, outputPrefixFor(emu.outputBucket, job, 1), { kind: 'chunk', index: 5, planCap: CAP })).toBe(WORKER_EXIT.failed);
  });
});

describe('the worker mode from the container environment', () => {
  it('reads the array index Batch sets for a chunk child, and the plan cap for chunk and join', () => {
    expect(modeFromEnv({ MARQUEE_MODE: 'whole' })).toEqual({ kind: 'whole' });
    expect(modeFromEnv({ MARQUEE_MODE: 'chunk', MARQUEE_CHUNK_CAP: 8, AWS_BATCH_JOB_ARRAY_INDEX: 3 })).toEqual({ kind: 'chunk', index: 3, planCap: 8 });
    expect(modeFromEnv({ MARQUEE_MODE: 'join', MARQUEE_CHUNK_CAP: 8 })).toEqual({ kind: 'join', planCap: 8 });
    expect(() => modeFromEnv({ MARQUEE_MODE: 'chunk', MARQUEE_CHUNK_CAP: 8 })).toThrow(/AWS_BATCH_JOB_ARRAY_INDEX/);
    expect(() => modeFromEnv({ MARQUEE_MODE: 'join' })).toThrow(/MARQUEE_CHUNK_CAP/);
  });
});
