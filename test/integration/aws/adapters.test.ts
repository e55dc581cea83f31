import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../lib/aws/job-store';
import { S3ObjectStore } from '../../../lib/aws/object-store';
import { SqsWorkQueue } from '../../../lib/aws/work-queue';
import { ConflictError } from '../../../lib/core/errors';
import { transition } from '../../../lib/core/job';
import { aJob } from '../../helpers/factories';
import { startEmulators, type Emulators } from './emulators';

let emu: Emulators;

/** Released work becomes visible within the emulator's next tick. */
async function receiveSoon(q: SqsWorkQueue, tier: 'bulk' = 'bulk') {
  for (let i = 0; i < 30; i++) {
    const got = await q.receive(tier, 10);
    if (got.length > 0) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}
/** SQS depth is approximate (the emulator counts a message once its zero delay has elapsed): poll for it. */
async function depthSoon(q: SqsWorkQueue, expected: number) {
  let depth = await q.depth('premium');
  for (let i = 0; i < 30 && depth !== expected; i++) {
    await new Promise((r) => setTimeout(r, 100));
    depth = await q.depth('premium');
  }
  return depth;
}
beforeAll(async () => {
  emu = await startEmulators({ maxReceiveCount: 2, visibilityTimeoutSec: 1 });
});
afterAll(async () => emu?.stop());

describe('DynamoJobStore on dynalite', () => {
  it('creates a job once: a second create of the same id writes nothing', async () => {
    const store = new DynamoJobStore(emu.dynamo, emu.tableName);
    expect(await store.create(aJob({ id: 'dup-1' }, { title: 'first' }))).toBe(true);
    expect(await store.create(aJob({ id: 'dup-1' }, { title: 'second' }))).toBe(false);
    expect((await store.get('dup-1'))?.metadata.title).toBe('first');
  });

  it('rejects a write from a stale version (optimistic concurrency) and bumps the version on success', async () => {
    const store = new DynamoJobStore(emu.dynamo, emu.tableName);
    await store.create(aJob({ id: 'occ-1' }));
    const a = (await store.get('occ-1'))!;
    const b = (await store.get('occ-1'))!;
    const stored = await store.put(transition(a, 'ANALYZED', 1, 'analysed'));
    expect(stored.version).toBe(1);
    await expect(store.put(transition(b, 'REJECTED', 2, 'late writer'))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get('occ-1'))?.status).toBe('ANALYZED');
  });

  it('finds queued jobs past a deadline through the status+deadline index, earliest first', async () => {
    const store = new DynamoJobStore(emu.dynamo, emu.tableName);
    const queued = (id: string, deadlineAt: number) => transition(transition(aJob({ id, deadlineAt }), 'ANALYZED', 1, 'a'), 'QUEUED', 2, 'q');
    for (const [id, d] of [['d-late', 5_000], ['d-soon', 1_000], ['d-far', 90_000]] as const) await store.create(queued(id, d));
    const atRisk = await store.listByStatusDeadlineBefore('QUEUED', 10_000);
    expect(atRisk.map((j) => j.id)).toEqual(['d-soon', 'd-late']);
    expect((await store.listByStatus(['QUEUED'])).map((j) => j.id)).toContain('d-far');
  });
});

describe('SqsWorkQueue on local-aws-sqs', () => {
  it('hides received work for the visibility timeout, then redrives it to the DLQ after maxReceiveCount receives', async () => {
    // local-aws-sqs ignores ChangeMessageVisibility(0), so the lease runs out by itself (1 s queue timeout).
    const q = new SqsWorkQueue(emu.sqs, emu.tierQueues);
    await q.send({ jobId: 'job-v', tier: 'bulk', enqueuedAt: 1, taskToken: 'tok' });
    const [first] = await q.receive('bulk', 10);
    expect(first).toMatchObject({ jobId: 'job-v', tier: 'bulk', taskToken: 'tok' });
    expect(await q.receive('bulk', 10)).toEqual([]); // invisible while leased
    const [second] = await receiveSoon(q);
    expect(second?.jobId).toBe('job-v');
    // The next receive would exceed maxReceiveCount (2): the message moves to the DLQ instead.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await q.receive('bulk', 10)).toEqual([]);
    const dlq = await emu.sqs.send(new ReceiveMessageCommand({ QueueUrl: emu.tierDlqs.bulk, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(JSON.parse(dlq.Messages?.[0]?.Body ?? '{}')).toMatchObject({ jobId: 'job-v' });
  });

  it('acknowledges work (deleted) and reports depth per tier', async () => {
    const q = new SqsWorkQueue(emu.sqs, emu.tierQueues);
    await q.send({ jobId: 'a', tier: 'premium', enqueuedAt: 1 });
    await q.send({ jobId: 'b', tier: 'premium', enqueuedAt: 2 });
    expect(await depthSoon(q, 2)).toBe(2);
    const got = await q.receive('premium', 10);
    expect(got).toHaveLength(2);
    for (const w of got) await q.ack(w);
    expect(await depthSoon(q, 0)).toBe(0);
  });
});

describe('S3ObjectStore on s3rver', () => {
  it('writes, lists, reads and checks objects, and reads user metadata', async () => {
    const store = new S3ObjectStore(emu.s3);
    await store.writeText(`s3://${emu.outputBucket}/job-s3/a1/manifest.json`, '{"ok":true}');
    expect(await store.exists(`s3://${emu.outputBucket}/job-s3/a1/manifest.json`)).toBe(true);
    expect(await store.exists(`s3://${emu.outputBucket}/job-s3/a1/none`)).toBe(false);
    expect(await store.list(`s3://${emu.outputBucket}/job-s3/`)).toEqual([`s3://${emu.outputBucket}/job-s3/a1/manifest.json`]);
    expect(await store.readText(`s3://${emu.outputBucket}/job-s3/a1/manifest.json`)).toBe('{"ok":true}');
    expect(await store.readText(`s3://${emu.outputBucket}/missing.json`)).toBeUndefined();
    const url = await store.presignGet(`s3://${emu.outputBucket}/job-s3/a1/manifest.json`);
    expect(await (await fetch(url)).text()).toBe('{"ok":true}');
  });
});
