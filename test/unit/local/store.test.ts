import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../lib/core/errors';
import { transition } from '../../../lib/core/job';
import { openDb } from '../../../lib/local/db';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import { SqliteJobStore, updateJob } from '../../../lib/local/store';
import { aJob } from '../../helpers/factories';

const fresh = () => {
  const db = openDb(':memory:');
  return { db, store: new SqliteJobStore(db) };
};

describe('SqliteJobStore', () => {
  it('creates a job once: a second create with the same id writes nothing', async () => {
    const { store } = fresh();
    expect(await store.create(aJob({ id: 'j1' }), { input: 'in/a.mp4' })).toBe(true);
    expect(await store.create(aJob({ id: 'j1', status: 'FAILED' }), { input: 'other.mp4' })).toBe(false);
    const got = await store.get('j1');
    expect(got?.status).toBe('RECEIVED');
    expect(store.inputOf('j1')).toBe('in/a.mp4');
  });

  it('increments the version on every put and returns the stored copy', async () => {
    const { store } = fresh();
    await store.create(aJob({ id: 'j1' }));
    const v0 = (await store.get('j1'))!;
    const v1 = await store.put(transition(v0, 'REJECTED', 10, 'bad file'));
    expect(v1.version).toBe(1);
    expect((await store.get('j1'))).toMatchObject({ version: 1, status: 'REJECTED', reason: 'bad file' });
  });

  it('rejects a write made from a stale version with ConflictError and keeps the winner', async () => {
    const { store } = fresh();
    await store.create(aJob({ id: 'j1' }));
    const a = (await store.get('j1'))!;
    const b = (await store.get('j1'))!;
    await store.put(transition(a, 'REJECTED', 10, 'first writer'));
    await expect(store.put(transition(b, 'FAILED', 11, 'second writer'))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get('j1'))?.reason).toBe('first writer');
  });

  it('rejects a put for a job that was never created', async () => {
    const { store } = fresh();
    await expect(store.put(aJob({ id: 'ghost' }))).rejects.toBeInstanceOf(ConflictError);
  });

  it('lists jobs by status', async () => {
    const { store } = fresh();
    await store.create(aJob({ id: 'a', createdAt: 1 }));
    await store.create(aJob({ id: 'b', createdAt: 2 }));
    await store.put(transition((await store.get('b'))!, 'REJECTED', 3, 'x'));
    expect((await store.listByStatus(['RECEIVED'])).map((j) => j.id)).toEqual(['a']);
    expect((await store.listByStatus(['RECEIVED', 'REJECTED'])).map((j) => j.id)).toEqual(['a', 'b']);
    expect(await store.listByStatus([])).toEqual([]);
  });

  it('updateJob re-reads and retries when another writer wins the race', async () => {
    const { store } = fresh();
    await store.create(aJob({ id: 'j1' }));
    let calls = 0;
    const result = await updateJob(store, 'j1', (j) => {
      calls++;
      if (calls === 1) {
        // Another writer commits between our read and our write.
        const other = { ...j, attempts: 7 };
        void store.put(other);
      }
      return { ...j, decisions: [...j.decisions, { at: 1, kind: 'pipeline', action: 'note', reason: `call ${calls}` }] };
    });
    expect(calls).toBe(2);
    expect(result.attempts).toBe(7);
    expect(result.decisions.map((d) => d.reason)).toEqual(['call 2']);
  });
});

describe('SqliteWorkQueue', () => {
  const setup = () => {
    let now = 1_000;
    const db = openDb(':memory:');
    const queue = new SqliteWorkQueue(db, { clock: { now: () => now }, leaseMs: 100 });
    return { queue, tick: (ms: number) => (now += ms) };
  };

  it('keeps one message per job and delivers per tier in arrival order', async () => {
    const { queue } = setup();
    await queue.send({ jobId: 'a', tier: 'bulk', enqueuedAt: 1 });
    await queue.send({ jobId: 'b', tier: 'bulk', enqueuedAt: 2 });
    await queue.send({ jobId: 'a', tier: 'bulk', enqueuedAt: 3 });
    await queue.send({ jobId: 'c', tier: 'critical', enqueuedAt: 4 });
    expect(await queue.depth('bulk')).toBe(2);
    expect((await queue.receive('bulk', 10)).map((w) => w.jobId)).toEqual(['a', 'b']);
    expect((await queue.receive('critical', 10)).map((w) => w.jobId)).toEqual(['c']);
  });

  it('hides a received message until its lease ends, and deletes it on ack', async () => {
    const { queue, tick } = setup();
    await queue.send({ jobId: 'a', tier: 'premium', enqueuedAt: 1 });
    const [first] = await queue.receive('premium', 1);
    expect(await queue.receive('premium', 1)).toEqual([]);
    tick(150);
    const [again] = await queue.receive('premium', 1);
    expect(again?.jobId).toBe('a');
    await queue.ack(again!);
    expect(await queue.depth('premium')).toBe(0);
    expect(first?.receipt).toBe(again?.receipt);
  });

  it('releases every lease when a runtime restarts', async () => {
    const { queue } = setup();
    await queue.send({ jobId: 'a', tier: 'standard', enqueuedAt: 1 });
    await queue.receive('standard', 1);
    expect(queue.releaseAll()).toBe(1);
    expect((await queue.receive('standard', 1)).map((w) => w.jobId)).toEqual(['a']);
  });
});

describe('EncodeLedger', () => {
  it('marks the encodes a killed process left running as interrupted', () => {
    const ledger = new EncodeLedger(openDb(':memory:'));
    const done = ledger.start('j', '720p', 1, 2.5);
    ledger.finish(done, 'done', 5, { wallSec: 4, cpuSec: 7 });
    ledger.start('j', '1080p', 6);
    expect(ledger.markInterrupted(9)).toBe(1);
    expect(ledger.attempts('j').map((a) => [a.renditionId, a.outcome, a.wallSec, a.predictedSec])).toEqual([
      ['720p', 'done', 4, 2.5],
      ['1080p', 'interrupted', null, null],
    ]);
  });
});
