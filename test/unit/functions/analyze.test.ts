import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jobsTable, lambdaContext, T0, TIER_QUEUES, useLambdaEnv } from './harness';

// ffprobe from the layer is replaced by a stub that answers like ffprobe (no network, no media).
useLambdaEnv({ MARQUEE_FFPROBE: join(import.meta.dirname, 'fixtures', 'ffprobe-stub.mjs') });
const table = jobsTable();
const s3 = mockClient(S3Client);
const eb = mockClient(EventBridgeClient);
const { handler } = await import('../../../functions/analyze/handler');
const analyze = (payload: unknown) => handler(payload, lambdaContext()) as unknown as Promise<Record<string, unknown>>;
const detailOf = (i = 0) => JSON.parse(eb.commandCalls(PutEventsCommand)[i]!.args[0].input.Entries![0]!.Detail!) as Record<string, unknown>;

function upload(key: string, metadata: Record<string, string>) {
  s3.on(HeadObjectCommand, { Bucket: 'marquee-ingest', Key: key }).resolves({ ContentLength: 5_160_000, Metadata: metadata, VersionId: 'v1' });
  return { jobId: `${key.split('/').pop()!.replace(/\W/g, '-')}-0123456789abcdef`, bucket: 'marquee-ingest', key, version: 'v1', size: 5_160_000 };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  table.clear();
  s3.reset();
  eb.reset();
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
});
afterEach(() => vi.useRealTimers());

describe('analyze handler', () => {
  it('probes the upload, scores it from its S3 metadata, creates the job (attribute_not_exists) and answers the Enqueue order', async () => {
    const ref = upload('uploads/finale.mp4', { creatortier: 'star', expectedviews: '2000000', monetized: 'true', premium: 'true', title: 'Season finale' });
    const order = await analyze(ref);
    expect(order).toMatchObject({ status: 'QUEUED', jobId: ref.jobId, tier: 'critical', queueUrl: TIER_QUEUES.critical, backend: 'mediaconvert', reason: '' });
    expect(order.timeoutSec).toBeGreaterThanOrEqual(900);
    expect(table.ddb).toHaveReceivedCommandWith(PutCommand, { TableName: 'marquee-jobs', ConditionExpression: 'attribute_not_exists(id)', Item: expect.objectContaining({ id: ref.jobId, status: 'QUEUED', tier: 'critical' }) });
    const job = table.job(ref.jobId)!;
    expect(job.profile!.source).toMatchObject({ width: 1920, height: 1080, fps: 30, videoCodec: 'h264', durationSec: 10 });
    expect(job.recipe!.ladder.length).toBeGreaterThan(0);
    expect(job.metadata).toMatchObject({ creatorTier: 'star', expectedViews: 2_000_000, monetized: true, premium: true });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'marquee-ingest', Key: 'uploads/finale.mp4', VersionId: 'v1' });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'marquee-ingest', Key: 'uploads/finale.mp4.marquee.json' });
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]).toMatchObject({ Source: 'marquee', DetailType: 'JobQueued' });
    expect(detailOf()).toMatchObject({ jobId: ref.jobId, tier: 'critical', backend: 'mediaconvert' });
  });

  it('rejects invalid business metadata with the field named, and emits JobRejected', async () => {
    const ref = upload('uploads/typo.mp4', { expectedviews: 'lots' });
    const order = await analyze(ref);
    expect(order).toMatchObject({ status: 'REJECTED', jobId: ref.jobId });
    expect(order.reason).toMatch(/^invalid metadata — expectedViews: /);
    expect(table.job(ref.jobId)!.status).toBe('REJECTED');
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.DetailType).toBe('JobRejected');
  });

  it('rejects a corrupt upload with ffprobe’s reason, naming the s3:// object and never the presigned URL', async () => {
    const ref = upload('uploads/corrupt.mp4', { creatortier: 'regular' });
    const order = await analyze(ref);
    expect(order.status).toBe('REJECTED');
    expect(order.reason).toMatch(/^not a readable media file/);
    expect(order.reason).toContain('s3://marquee-ingest/uploads/corrupt.mp4');
    expect(order.reason).not.toMatch(/X-Amz-|Signature|https:/);
    expect(detailOf()).toMatchObject({ reason: order.reason });
  });

  it('is idempotent: a retried Analyze finds the job and answers the same order without writing again', async () => {
    const ref = upload('uploads/retry.mp4', { creatortier: 'partner' });
    const first = await analyze(ref);
    const writes = table.ddb.commandCalls(PutCommand).length;
    const again = await analyze(ref);
    expect(again).toEqual(first);
    expect(table.ddb.commandCalls(PutCommand)).toHaveLength(writes);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('refuses a payload without the upload reference', async () => {
    await expect(analyze({ bucket: 'marquee-ingest' })).rejects.toThrow(/jobId/);
  });
});
