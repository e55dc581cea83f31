import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerManifest } from '../../../lib/aws/flow/common';
import type { ChunkRejection } from '../../../lib/aws/worker-exit';
import { transition } from '../../../lib/core/job';
import { activeLadder } from '../../../lib/core/recipes';
import type { Job } from '../../../lib/core/types';
import { ACCOUNT, encodingJob, jobsTable, lambdaContext, MC_QUEUES, REGION, sqsBatch, T0, useLambdaEnv } from './harness';

useLambdaEnv();
const table = jobsTable();
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const { handler } = await import('../../../functions/complete/handler');

/** EventBridge `MediaConvert Job State Change`, as the rule delivers it to the events queue. */
function mediaConvertEvent(job: Job, status: string, detail: Record<string, unknown> = {}, at = T0 + 600_000) {
  return {
    version: '0',
    id: `mc-${status}`,
    'detail-type': 'MediaConvert Job State Change',
    source: 'aws.mediaconvert',
    account: ACCOUNT,
    time: new Date(at).toISOString(),
    region: REGION,
    resources: [`arn:aws:mediaconvert:${REGION}:${ACCOUNT}:jobs/${job.dispatch!.externalId}`],
    detail: { timestamp: at, accountId: ACCOUNT, queue: MC_QUEUES.premium, jobId: job.dispatch!.externalId, status, userMetadata: { jobId: job.id, attempt: '1', tier: 'premium' }, ...detail },
  };
}
/** EventBridge `Batch Job State Change` for the GPU worker. */
function batchEvent(job: Job, status: string, container: Record<string, unknown> = {}, at = T0 + 600_000) {
  return {
    version: '0',
    id: `b-${status}`,
    'detail-type': 'Batch Job State Change',
    source: 'aws.batch',
    account: ACCOUNT,
    time: new Date(at).toISOString(),
    region: REGION,
    resources: [`arn:aws:batch:${REGION}:${ACCOUNT}:job/${job.dispatch!.externalId}`],
    detail: {
      jobName: `${job.id}-a1`,
      jobId: job.dispatch!.externalId,
      jobQueue: `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/marquee-premium`,
      status,
      ...(status === 'FAILED' ? { statusReason: 'Essential container in task exited' } : {}),
      container: { environment: [{ name: 'MARQUEE_JOB_ID', value: job.id }], ...container },
      tags: { jobId: job.id, tier: 'premium' },
    },
  };
}
const outputsOf = (job: Job) => activeLadder(job.recipe!).map((r) => `s3://marquee-output/${job.id}/a1/cmaf/${job.id}_${r.id}.m3u8`);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0 + 601_000);
  table.clear();
  sfn.reset();
  s3.reset();
  for (const c of [SendTaskSuccessCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand] as const) sfn.on(c as never).resolves({});
});
afterEach(() => vi.useRealTimers());

describe('complete handler', () => {
  it('MediaConvert COMPLETE: records outputs and the actual run time (VERIFYING, conditional write) and answers SendTaskSuccess with the job token', async () => {
    const job = encodingJob('show-a1b2', 'mediaconvert', '1700000000000-abcdef', 'token-show');
    table.seed(job);
    const outputs = outputsOf(job);
    const result = await handler(sqsBatch([mediaConvertEvent(job, 'COMPLETE', { outputGroupDetails: [{ type: 'CMAF_GROUP', outputDetails: outputs.map((p) => ({ outputFilePaths: [p], durationInMs: 10_000 })) }] })]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('VERIFYING');
    expect(stored.renditions.map((r) => r.outputs)).toEqual(outputs.map((o) => [o]));
    expect(stored.renditions.every((r) => r.status === 'done' && r.wallSec === 600 && r.backend === 'mediaconvert')).toBe(true);
    expect(table.ddb).toHaveReceivedCommandWith(PutCommand, { ConditionExpression: 'attribute_exists(id) AND #v = :expected', ExpressionAttributeValues: { ':expected': job.version } });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'token-show', output: JSON.stringify({ backend: 'mediaconvert', externalId: job.dispatch!.externalId, wallSec: 600, outputs: outputs.length }) });
  });

  it('MediaConvert STATUS_UPDATE: stores progress and heartbeats the waiting task', async () => {
    const job = encodingJob('show-c3d4', 'mediaconvert', '1700000000000-c3d4', 'token-progress');
    table.seed(job);
    await handler(sqsBatch([mediaConvertEvent(job, 'STATUS_UPDATE', { jobProgress: { phaseProgress: {}, jobPercentComplete: 42, currentPhase: 'TRANSCODING' } })]), lambdaContext());
    expect(table.job(job.id)!.dispatch!.progress).toBeCloseTo(0.42);
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskHeartbeatCommand, { taskToken: 'token-progress' });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('MediaConvert ERROR: job RETRYING and SendTaskFailure(EncodeFailed) with the error, so the workflow retries or falls back', async () => {
    const job = encodingJob('show-e5f6', 'mediaconvert', '1700000000000-e5f6', 'token-error');
    table.seed(job);
    await handler(sqsBatch([mediaConvertEvent(job, 'ERROR', { errorCode: 1999, errorMessage: 'Transcoding failed' })]), lambdaContext());
    expect(table.job(job.id)!.status).toBe('RETRYING');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, { taskToken: 'token-error', error: 'EncodeFailed', cause: `mediaconvert ${job.dispatch!.externalId}: 1999 Transcoding failed` });
  });

  it('Batch SUCCEEDED: reads the worker manifest for per-rendition outputs and times', async () => {
    const job = encodingJob('gpu-a7a7', 'batch-gpu', 'b7c1e0e2-batch', 'token-gpu');
    table.seed(job);
    const manifest: WorkerManifest = { jobId: job.id, attempt: 1, gpu: true, renditions: activeLadder(job.recipe!).map((r, i) => ({ renditionId: r.id, outputs: [`s3://marquee-output/${job.id}/a1/${r.id}.mp4`], bytes: 1000 * (i + 1), wallSec: 30 + i })) };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/manifest.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    await handler(sqsBatch([batchEvent(job, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('VERIFYING');
    expect(stored.renditions.map((r) => [r.outputs, r.bytes, r.wallSec])).toEqual(manifest.renditions.map((m) => [m.outputs, m.bytes, m.wallSec]));
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-gpu' });
  });

  it('Batch SUCCEEDED: records the HLS master the worker manifest lists as the job\'s HLS entry point (no DASH: the worker packages none)', async () => {
    const job = encodingJob('gpu-f0f0', 'batch-gpu', 'f0f0-batch', 'token-master');
    table.seed({ ...job, manifests: { hls: `s3://marquee-output/${job.id}/a0/hls/master.m3u8`, dash: `s3://marquee-output/${job.id}/a0/cmaf/x.mpd` } });
    const prefix = `s3://marquee-output/${job.id}/a1/`;
    const manifest: WorkerManifest = { jobId: job.id, attempt: 1, gpu: true, hlsMaster: `${prefix}hls/master.m3u8`, renditions: activeLadder(job.recipe!).map((r) => ({ renditionId: r.id, outputs: [`${prefix}${r.id}.mp4`, `${prefix}hls/${r.id}/index.m3u8`], bytes: 1000, wallSec: 30 })) };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/manifest.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    await handler(sqsBatch([batchEvent(job, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    // This attempt's master replaces what an earlier attempt recorded; no stale MPD survives.
    expect(table.job(job.id)!.manifests).toEqual({ hls: `${prefix}hls/master.m3u8` });
  });

  it('Batch SUCCEEDED: a manifest whose hlsMaster is not an object of this attempt records no entry point', async () => {
    const job = encodingJob('gpu-f1f1', 'batch-gpu', 'f1f1-batch', 'token-foreign');
    table.seed(job);
    const manifest = { jobId: job.id, attempt: 1, gpu: true, hlsMaster: 's3://elsewhere/other/master.m3u8', renditions: activeLadder(job.recipe!).map((r) => ({ renditionId: r.id, outputs: [`s3://marquee-output/${job.id}/a1/${r.id}.mp4`], bytes: 1, wallSec: 1 })) };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/manifest.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    await handler(sqsBatch([batchEvent(job, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('VERIFYING');
    expect(stored.manifests).toBeUndefined();
  });

  it('MediaConvert COMPLETE: records the CMAF group\'s playlistFilePaths as the HLS master and the DASH MPD', async () => {
    const job = encodingJob('show-9a9a', 'mediaconvert', '1700000000000-9a9a', 'token-playlists');
    table.seed(job);
    const cmaf = `s3://marquee-output/${job.id}/a1/cmaf/`;
    const groups = [
      { type: 'CMAF_GROUP', playlistFilePaths: [`${cmaf}${job.id}.mpd`, `${cmaf}${job.id}.m3u8`], outputDetails: outputsOf(job).map((p) => ({ outputFilePaths: [p], durationInMs: 10_000 })) },
      { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: [`s3://marquee-output/${job.id}/a1/mp4/${job.id}_top.mp4`] }] },
    ];
    await handler(sqsBatch([mediaConvertEvent(job, 'COMPLETE', { outputGroupDetails: groups })]), lambdaContext());
    expect(table.job(job.id)!.manifests).toEqual({ hls: `${cmaf}${job.id}.m3u8`, dash: `${cmaf}${job.id}.mpd` });
  });

  it('MediaConvert COMPLETE of a CMAF group as MediaConvert sends it (no outputFilePaths): each rung is known by its variant playlist', async () => {
    const job = encodingJob('show-c0c0', 'mediaconvert', '1700000000000-c0c0', 'token-cmaf');
    table.seed(job);
    const cmaf = `s3://marquee-output/${job.id}/a1/cmaf/`;
    const groups = [{ type: 'CMAF_GROUP', playlistFilePaths: [`${cmaf}${job.id}.mpd`, `${cmaf}${job.id}.m3u8`], outputDetails: outputsOf(job).map(() => ({ durationInMs: 10_000, videoDetails: { widthInPx: 1280, heightInPx: 720 } })) }];
    await handler(sqsBatch([mediaConvertEvent(job, 'COMPLETE', { outputGroupDetails: groups })]), lambdaContext());
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('VERIFYING');
    expect(stored.renditions.map((r) => r.outputs)).toEqual(outputsOf(job).map((o) => [o]));
    expect(stored.renditions.every((r) => r.status === 'done')).toBe(true);
  });

  it('MediaConvert COMPLETE without playlistFilePaths (or with an ill-formed list): records where the rendered CMAF group writes its manifests', async () => {
    const job = encodingJob('show-8b8b', 'mediaconvert', '1700000000000-8b8b', 'token-implied');
    expect(job.recipe!.packaging).toEqual(expect.arrayContaining(['hls', 'dash']));
    table.seed(job);
    const details = outputsOf(job).map((p) => ({ outputFilePaths: [p] }));
    const result = await handler(sqsBatch([mediaConvertEvent(job, 'COMPLETE', { outputGroupDetails: [{ type: 'CMAF_GROUP', playlistFilePaths: 'not-a-list', outputDetails: details }] })]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    // The input is uploads/<id>.mp4: MediaConvert names a group's top-level manifests after it.
    const cmaf = `s3://marquee-output/${job.id}/a1/cmaf/`;
    expect(table.job(job.id)!.manifests).toEqual({ hls: `${cmaf}${job.id}.m3u8`, dash: `${cmaf}${job.id}.mpd` });
  });

  it('MediaConvert COMPLETE: a playlist path outside this attempt\'s prefix is not trusted (the rendered path is recorded instead)', async () => {
    const job = encodingJob('show-7c7c', 'mediaconvert', '1700000000000-7c7c', 'token-outside');
    table.seed(job);
    const groups = [{ type: 'CMAF_GROUP', playlistFilePaths: ['s3://someone-else/x/main.m3u8', 's3://someone-else/x/main.mpd'], outputDetails: outputsOf(job).map((p) => ({ outputFilePaths: [p] })) }];
    await handler(sqsBatch([mediaConvertEvent(job, 'COMPLETE', { outputGroupDetails: groups })]), lambdaContext());
    expect(table.job(job.id)!.manifests).toEqual({ hls: `s3://marquee-output/${job.id}/a1/cmaf/${job.id}.m3u8`, dash: `s3://marquee-output/${job.id}/a1/cmaf/${job.id}.mpd` });
  });

  it('ignores the cancelled encode of a preempted job, while it is re-queued and after its restart (no write, token not answered)', async () => {
    const running = encodingJob('bulk-c9c9', 'batch-gpu', 'b-cancelled', 'token-victim');
    const preempted = transition(running, 'QUEUED', T0 + 30_000, 'preempted on batch-gpu by premium-0003 (fast lane)', { dispatch: { ...running.dispatch!, preemptions: 1 } });
    table.seed(preempted);
    await handler(sqsBatch([batchEvent(running, 'FAILED', { exitCode: 143, reason: 'Terminated by marquee' })]), lambdaContext());
    expect(table.job(running.id)).toEqual(preempted);
    const restarted = transition(preempted, 'ENCODING', T0 + 90_000, 'submitted to batch-gpu', { dispatch: { ...preempted.dispatch!, externalId: 'b-restart', submittedAt: T0 + 90_000 } });
    table.seed(restarted);
    await handler(sqsBatch([batchEvent(running, 'FAILED', { exitCode: 143 }), batchEvent(running, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    expect(table.job(running.id)).toEqual(restarted);
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('reads a restarted attempt\'s manifest from its own prefix (a<attempt>r<restart>/)', async () => {
    const base = encodingJob('gpu-d1d1', 'batch-gpu', 'b-restart', 'token-restart');
    const job = { ...base, dispatch: { ...base.dispatch!, preemptions: 1 } };
    table.seed(job);
    const manifest: WorkerManifest = { jobId: job.id, attempt: 1, gpu: true, renditions: activeLadder(job.recipe!).map((r) => ({ renditionId: r.id, outputs: [`s3://marquee-output/${job.id}/a1r1/${r.id}.mp4`], bytes: 1000, wallSec: 30 })) };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1r1/manifest.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    await handler(sqsBatch([batchEvent(job, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    expect(table.job(job.id)!.renditions.every((r) => r.outputs[0]?.includes('/a1r1/'))).toBe(true);
  });

  it('Batch FAILED with the bad-input exit code: SendTaskFailure(EncodeRejected), no retry on the other backend', async () => {
    const job = encodingJob('gpu-b8b8', 'batch-gpu', 'b8b8-batch', 'token-bad');
    table.seed(job);
    await handler(sqsBatch([batchEvent(job, 'FAILED', { exitCode: 65, reason: 'bad input' })]), lambdaContext());
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-bad', error: 'EncodeRejected' });
  });

  it('ignores events of an earlier attempt (another encoder job id): no write, no token answer', async () => {
    const job = encodingJob('show-0a0a', 'mediaconvert', 'current-attempt', 'token-current');
    table.seed(job);
    const stale = { ...job, dispatch: { ...job.dispatch!, externalId: 'first-attempt' } };
    await handler(sqsBatch([mediaConvertEvent(stale, 'ERROR', { errorCode: 1040 })]), lambdaContext());
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('reports partial batch failures: an unreadable body and a record whose job write fails are retried, the others are not', async () => {
    const ok = encodingJob('show-ok01', 'mediaconvert', 'mc-ok', 'token-ok');
    const failing = encodingJob('show-bad2', 'mediaconvert', 'mc-bad', 'token-bad2');
    table.seed(ok, failing);
    table.ddb.on(PutCommand, { Item: { id: failing.id } }).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    const result = await handler(
      sqsBatch([mediaConvertEvent(ok, 'STATUS_UPDATE', { jobProgress: { jobPercentComplete: 10 } }), '{"source":"aws.s3"', { source: 'aws.mediaconvert', 'detail-type': 'Nope' }, mediaConvertEvent(failing, 'STATUS_UPDATE', { jobProgress: { jobPercentComplete: 10 } })]),
      lambdaContext(),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }, { itemIdentifier: 'm-4' }] });
    expect(table.job(ok.id)!.dispatch!.progress).toBeCloseTo(0.1);
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskHeartbeatCommand, { taskToken: 'token-ok' });
  });
});

describe('complete handler, chunked Batch encode (array job + join)', () => {
  const JOIN = 'join-5e5e';
  const ARRAY = 'array-6f6f';
  const chunked = (id: string, token: string) => encodingJob(id, 'batch-gpu', `${JOIN}+${ARRAY}*4`, token);
  /** The Batch event of one of the submission's jobs: the join, the array parent, or a child `<array>:<i>`. */
  const eventOf = (job: Job, batchJobId: string, status: string, container: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
    const e = batchEvent(job, status, container);
    return { ...e, detail: { ...e.detail, jobId: batchJobId, ...extra } };
  };

  it('join SUCCEEDED: reads the manifest the join wrote and answers SendTaskSuccess, as for a whole-title job', async () => {
    const job = chunked('premium-chunked-1', 'token-chunked');
    table.seed(job);
    const manifest: WorkerManifest = { jobId: job.id, attempt: 1, gpu: true, renditions: activeLadder(job.recipe!).map((r) => ({ renditionId: r.id, outputs: [`s3://marquee-output/${job.id}/a1/${r.id}.mp4`], bytes: 1000, wallSec: 20 })) };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/manifest.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(manifest) } as never });
    await handler(sqsBatch([eventOf(job, JOIN, 'SUCCEEDED', { exitCode: 0 })]), lambdaContext());
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('VERIFYING');
    expect(stored.renditions.map((r) => r.outputs)).toEqual(manifest.renditions.map((m) => m.outputs));
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'token-chunked', output: JSON.stringify({ backend: 'batch-gpu', externalId: JOIN, wallSec: 600, outputs: manifest.renditions.length }) });
  });

  /** The join's event when Batch fails it without running it because the array (a chunk child) failed. */
  const dependencyFailed = (job: Job) => eventOf(job, JOIN, 'FAILED', {}, { statusReason: 'Dependent Job failed', container: { environment: [{ name: 'MARQUEE_JOB_ID', value: job.id }] } });
  const noSuchKey = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });

  it('join FAILED because a chunk child failed after its retries (no container ran, no rejection marker): RETRYING and SendTaskFailure(EncodeFailed)', async () => {
    const job = chunked('premium-chunked-2', 'token-chunked-2');
    table.seed(job);
    s3.on(GetObjectCommand).rejects(noSuchKey);
    await handler(sqsBatch([dependencyFailed(job)]), lambdaContext());
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/chunks/rejected.json` });
    expect(table.job(job.id)!.status).toBe('RETRYING');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-chunked-2', error: 'EncodeFailed' });
  });

  it('join FAILED because a chunk child found bad input (its rejection marker): SendTaskFailure(EncodeRejected) with the child\'s reason, no retry', async () => {
    const job = chunked('premium-chunked-4', 'token-chunked-4');
    table.seed(job);
    const marker: ChunkRejection = { index: 2, reason: 'not a readable media file (truncated or corrupt?)' };
    s3.on(GetObjectCommand, { Bucket: 'marquee-output', Key: `${job.id}/a1/chunks/rejected.json` }).resolves({ Body: { transformToString: async () => JSON.stringify(marker) } as never });
    await handler(sqsBatch([dependencyFailed(job)]), lambdaContext());
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, { taskToken: 'token-chunked-4', error: 'EncodeRejected', cause: `batch-gpu ${JOIN}: chunk 2 rejected the input: ${marker.reason}` });
    expect(table.job(job.id)!.status).toBe('ENCODING'); // not RETRYING: the workflow records the rejection
  });

  it('a join that ran and failed is judged by its exit code alone (no marker read)', async () => {
    const job = chunked('premium-chunked-5', 'token-chunked-5');
    table.seed(job);
    await handler(sqsBatch([eventOf(job, JOIN, 'FAILED', { exitCode: 1 })]), lambdaContext());
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-chunked-5', error: 'EncodeFailed' });
  });

  it('the array parent and its children never settle the job; a running child counts as progress (heartbeat)', async () => {
    const job = chunked('premium-chunked-3', 'token-chunked-3');
    table.seed(job);
    await handler(sqsBatch([eventOf(job, ARRAY, 'FAILED'), eventOf(job, `${ARRAY}:2`, 'FAILED', { exitCode: 1 }), eventOf(job, `${ARRAY}:1`, 'SUCCEEDED', { exitCode: 0 }), eventOf(job, ARRAY, 'SUCCEEDED')]), lambdaContext());
    expect(table.job(job.id)!.status).toBe('ENCODING');
    expect(sfn).not.toHaveReceivedAnyCommand();
    await handler(sqsBatch([eventOf(job, `${ARRAY}:0`, 'RUNNING')]), lambdaContext());
    expect(table.job(job.id)!.status).toBe('ENCODING');
    expect(sfn).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: 'token-chunked-3' });
  });
});
