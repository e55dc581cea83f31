import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileFromProbe, outputPrefixFor, type WorkerManifest } from '../../../lib/aws/cloud-flow';
import { DynamoJobStore } from '../../../lib/aws/job-store';
import { S3ObjectStore } from '../../../lib/aws/object-store';
import { WORKER_EXIT } from '../../../lib/aws/worker-exit';
import { newJob } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import type { Packaging } from '../../../lib/core/types';
import { FfprobeProber } from '../../../lib/media/probe';
import { synthesizeClip } from '../../../lib/media/synth';
import { runWorker } from '../../../functions/batch-worker/main';
import { aMetadata } from '../../helpers/factories';
import { abortAfterDownload, startEmulators, type Emulators } from './emulators';
import { expectMasterOverEveryHlsRendition } from './hls-master';

let emu: Emulators;
let dir: string;
let store: DynamoJobStore;
let objects: S3ObjectStore;

async function plannedJob(id: string, packaging?: Packaging[]) {
  const clip = join(dir, 'clip.mp4');
  const source = await new FfprobeProber().probe(clip);
  await objects.upload(clip, `s3://${emu.ingestBucket}/uploads/${id}.mp4`, 'video/mp4');
  const planned = planJob(newJob({ id, source: { uri: `s3://${emu.ingestBucket}/uploads/${id}.mp4` }, metadata: aMetadata({ formats: ['mobile'] }), now: 0 }), profileFromProbe(source, 10), { now: 1, backend: 'batch-gpu' });
  // `packaging` stands in for an ABR recipe's on the tiny mobile ladder (a 'mobile' title packages MP4 only).
  const job = packaging ? { ...planned, recipe: { ...planned.recipe!, packaging } } : planned;
  await store.create(job);
  return job;
}

beforeAll(async () => {
  emu = await startEmulators();
  store = new DynamoJobStore(emu.dynamo, emu.tableName);
  objects = new S3ObjectStore(emu.s3);
  dir = mkdtempSync(join(tmpdir(), 'mq-worker-'));
  await synthesizeClip('slides', join(dir, 'clip.mp4'), { width: 320, height: 180, durationSec: 1 });
});
afterAll(async () => {
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Batch GPU worker', () => {
  it('encodes the active ladder (CPU here: no GPU), uploads outputs and a manifest, exits 0', async () => {
    const job = await plannedJob('worker-ok');
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    const code = await runWorker({ store, objects, jobId: job.id, attempt: 1, outputPrefix: prefix, workDir: mkdtempSync(join(dir, 'w-')), signal: new AbortController().signal });
    expect(code).toBe(WORKER_EXIT.ok);
    const manifest = JSON.parse((await objects.readText(`${prefix}manifest.json`))!) as WorkerManifest;
    expect(manifest.renditions.map((r) => r.renditionId).sort()).toEqual(job.renditions.map((r) => r.renditionId).sort());
    for (const r of manifest.renditions) {
      expect(r.outputs.length).toBeGreaterThan(0);
      for (const o of r.outputs) expect(await objects.exists(o)).toBe(true);
    }
  });

  it('writes the HLS master playlist over every HLS rendition and lists it in the manifest', async () => {
    const job = await plannedJob('worker-master', ['hls', 'mp4']);
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    expect(await runWorker({ store, objects, jobId: job.id, attempt: 1, outputPrefix: prefix, workDir: mkdtempSync(join(dir, 'w-')), signal: new AbortController().signal })).toBe(WORKER_EXIT.ok);
    const manifest = JSON.parse((await objects.readText(`${prefix}manifest.json`))!) as WorkerManifest;
    expect(manifest.hlsMaster).toBe(`${prefix}hls/master.m3u8`);
    const variants = await expectMasterOverEveryHlsRendition(objects, prefix);
    // Every rung that publishes HLS is in the master.
    const hlsOutputs = manifest.renditions.flatMap((r) => r.outputs.filter((o) => o.endsWith('.m3u8')));
    expect(hlsOutputs.length).toBeGreaterThan(0);
    expect([...variants].sort()).toEqual([...hlsOutputs].sort());
  });

  it('stops on SIGTERM (abort) with the interrupted exit code and publishes nothing', async () => {
    const job = await plannedJob('worker-term');
    const prefix = outputPrefixFor(emu.outputBucket, job, 1);
    const ctl = new AbortController();
    const terminating = abortAfterDownload(objects, ctl);
    const code = await runWorker({ store, objects: terminating, jobId: job.id, attempt: 1, outputPrefix: prefix, workDir: mkdtempSync(join(dir, 'w-')), signal: ctl.signal });
    expect(code).toBe(WORKER_EXIT.interrupted);
    expect(await objects.list(prefix)).toEqual([]);
  });

  it('exits with the bad-input code when the job has no recipe', async () => {
    expect(await runWorker({ store, objects, jobId: 'no-such-job', attempt: 1, outputPrefix: 's3://output/x/', workDir: dir, signal: new AbortController().signal })).toBe(WORKER_EXIT.badInput);
  });
});
