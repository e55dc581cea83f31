import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transition } from '../../../lib/core/job';
import type { Job } from '../../../lib/core/types';
import { encodingJob, jobsTable, lambdaContext, T0, TIER_QUEUES, useLambdaEnv } from './harness';

useLambdaEnv();
const table = jobsTable();
const eb = mockClient(EventBridgeClient);
const s3 = mockClient(S3Client);
const { handler } = await import('../../../functions/workflow/handler');
const step = (payload: unknown) => handler(payload, lambdaContext()) as Promise<Record<string, unknown>>;

/** A job whose encode finished: VERIFYING with one output per rendition and the CMAF group's HLS master and MPD recorded. */
function encodedJob(id: string): Job {
  const job = encodingJob(id, 'mediaconvert', `mc-${id}`, `token-${id}`);
  const renditions = job.renditions.map((r) => ({ ...r, status: 'done' as const, outputs: [`s3://marquee-output/${id}/a1/cmaf/${id}_${r.renditionId}.m3u8`] }));
  const manifests = { hls: `s3://marquee-output/${id}/a1/cmaf/${id}.m3u8`, dash: `s3://marquee-output/${id}/a1/cmaf/${id}.mpd` };
  return transition(job, 'VERIFYING', T0 + 600_000, 'mediaconvert finished in 600 s', { renditions, manifests });
}
const keyOf = (uri: string) => uri.replace('s3://marquee-output/', '');
const notFound = () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
const detailTypes = () => eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0]!.DetailType);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0 + 601_000);
  table.clear();
  eb.reset();
  s3.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  s3.on(HeadObjectCommand).resolves({ ContentLength: 1234 });
});
afterEach(() => vi.useRealTimers());

describe('workflow handler', () => {
  it('verify: checks every output object and streaming manifest exists (HeadObject) and records the QC decision', async () => {
    const job = encodedJob('ep-0101');
    table.seed(job);
    expect(await step({ step: 'verify', jobId: job.id })).toEqual({ renditions: job.renditions.length, outputs: job.renditions.length });
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, job.renditions.length + 2);
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'marquee-output', Key: keyOf(job.manifests!.hls!) });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'marquee-output', Key: keyOf(job.manifests!.dash!) });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'marquee-output', Key: job.renditions[0]!.outputs[0]!.replace('s3://marquee-output/', '') });
    expect(table.job(job.id)!.decisions.at(-1)).toMatchObject({ kind: 'qc', action: 'outputs verified' });
  });

  it('verify: a missing output fails QC naming the object (the state machine catches QcFailedError)', async () => {
    const job = encodedJob('ep-0202');
    table.seed(job);
    const missing = job.renditions[1]!.outputs[0]!;
    s3.on(HeadObjectCommand, { Key: keyOf(missing) }).rejects(notFound());
    await expect(step({ step: 'verify', jobId: job.id })).rejects.toMatchObject({ name: 'QcFailedError', message: expect.stringContaining(missing) });
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('verify: an HLS-packaged job with no master recorded fails QC saying so (it is not published unplayable)', async () => {
    const { manifests: _none, ...job } = encodedJob('ep-0212');
    expect(job.recipe!.packaging).toContain('hls');
    table.seed(job);
    await expect(step({ step: 'verify', jobId: job.id })).rejects.toMatchObject({ name: 'QcFailedError', message: expect.stringContaining('no HLS master playlist recorded') });
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('verify: a recorded HLS master or MPD that is not in the bucket fails QC naming it', async () => {
    const job = encodedJob('ep-0222');
    table.seed(job);
    s3.on(HeadObjectCommand, { Key: keyOf(job.manifests!.hls!) }).rejects(notFound());
    s3.on(HeadObjectCommand, { Key: keyOf(job.manifests!.dash!) }).rejects(notFound());
    await expect(step({ step: 'verify', jobId: job.id })).rejects.toMatchObject({
      name: 'QcFailedError',
      message: expect.stringMatching(new RegExp(`HLS master playlist ${job.manifests!.hls!.replace(/\./g, '\\.')} is missing; DASH manifest ${job.manifests!.dash!.replace(/\./g, '\\.')} is missing$`)),
    });
  });

  it('verify: a job whose recipe packages no HLS needs no master (MP4-only)', async () => {
    const encoded = encodedJob('ep-0232');
    const { manifests: _none, ...job } = { ...encoded, recipe: { ...encoded.recipe!, packaging: ['mp4' as const] } };
    table.seed(job);
    expect(await step({ step: 'verify', jobId: job.id })).toEqual({ renditions: job.renditions.length, outputs: job.renditions.length });
  });

  it('publish: job PUBLISHED (conditional write) and JobPublished with the renditions, on time', async () => {
    const job = encodedJob('ep-0303');
    table.seed(job);
    expect(await step({ step: 'publish', jobId: job.id })).toEqual({ late: false, turnaroundSec: (T0 + 601_000 - job.createdAt) / 1000 });
    expect(table.job(job.id)!.status).toBe('PUBLISHED');
    expect(table.ddb).toHaveReceivedCommandWith(PutCommand, { ConditionExpression: 'attribute_exists(id) AND #v = :expected', ExpressionAttributeValues: { ':expected': job.version } });
    const detail = JSON.parse(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!) as { renditions: { id: string; outputs: string[] }[]; manifests: unknown; late: boolean };
    expect(detailTypes()).toEqual(['JobPublished']);
    expect(detail.renditions).toEqual(job.renditions.map((r) => ({ id: r.renditionId, outputs: r.outputs })));
    expect(detail.manifests).toEqual(job.manifests);
  });

  it('publish is idempotent: a retried Publish task emits nothing twice', async () => {
    const job = encodedJob('ep-0404');
    table.seed(job);
    await step({ step: 'publish', jobId: job.id });
    await step({ step: 'publish', jobId: job.id });
    expect(detailTypes()).toEqual(['JobPublished']);
  });

  it('fallback: after MediaConvert failed, re-queues the job for Batch GPU and answers the Enqueue order of its tier', async () => {
    const job = encodingJob('ep-0505', 'mediaconvert', 'mc-0505', 'token-0505');
    table.seed(job);
    const order = await step({ step: 'fallback', jobId: job.id, error: { Error: 'EncodeFailed', Cause: 'mediaconvert mc-0505: 1999 Transcoding failed' } });
    expect(order).toMatchObject({ status: 'QUEUED', jobId: job.id, tier: job.value!.tier, queueUrl: TIER_QUEUES[job.value!.tier], backend: 'batch-gpu' });
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('QUEUED');
    expect(stored.allocation!.backend).toBe('batch-gpu');
    expect(stored.decisions.at(-1)).toMatchObject({ kind: 'backend', action: 'fall back to batch-gpu' });
  });

  it('fallback: when both backends have failed, raises NoFallbackError naming both', async () => {
    const job = encodingJob('ep-0606', 'batch-gpu', 'b-0606', 'token-0606');
    table.seed({ ...job, dispatch: { ...job.dispatch!, tried: ['mediaconvert', 'batch-gpu'] } });
    await expect(step({ step: 'fallback', jobId: job.id, error: { Error: 'EncodeFailed' } })).rejects.toMatchObject({ name: 'NoFallbackError', message: expect.stringContaining('mediaconvert and batch-gpu both failed') });
  });

  it('fail: records the cause on the job (FAILED) and emits JobFailed', async () => {
    const job = encodingJob('ep-0707', 'batch-gpu', 'b-0707', 'token-0707');
    table.seed(job);
    expect(await step({ step: 'fail', jobId: job.id, error: { Error: 'States.Timeout', Cause: 'task timed out' } })).toEqual({ status: 'FAILED' });
    expect(table.job(job.id)!.reason).toBe('States.Timeout: task timed out');
    expect(detailTypes()).toEqual(['JobFailed']);
  });

  it('refuses a payload that is not a workflow step', async () => {
    await expect(step({ step: 'transcode', jobId: 'x' })).rejects.toThrow();
    await expect(step({ step: 'verify' })).rejects.toThrow(/jobId/);
  });
});
