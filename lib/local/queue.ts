import type { Tier } from '../core/types';
import type { Clock, QueuedWork, WorkQueue } from '../ports';
import { systemClock } from '../ports';
import type { Db } from './db';

interface QueueRow {
  seq: number;
  job_id: string;
  tier: Tier;
  enqueued_at: number;
  task_token: string | null;
}

/**
 * Durable tier queues in the runtime's SQLite database. Messages are deduplicated per job (a job is
 * queued at most once, like an SQS FIFO queue with content-based deduplication), leased on receive
 * and deleted on ack. A lease that runs out makes the message visible again.
 */
export class SqliteWorkQueue implements WorkQueue {
  constructor(
    private readonly db: Db,
    private readonly opts: { clock?: Clock; leaseMs?: number } = {},
  ) {}

  private get now(): number {
    return (this.opts.clock ?? systemClock).now();
  }

  async send(work: Omit<QueuedWork, 'receipt'>): Promise<void> {
    this.db
      .prepare('INSERT INTO queue (job_id, tier, enqueued_at, task_token) VALUES (?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET tier = excluded.tier')
      .run(work.jobId, work.tier, work.enqueuedAt, work.taskToken ?? null);
  }

  async receive(tier: Tier, max: number): Promise<QueuedWork[]> {
    const now = this.now;
    const leaseUntil = now + (this.opts.leaseMs ?? 15 * 60_000);
    const take = this.db.transaction(() => {
      const rows = this.db
        .prepare<[Tier, number, number], QueueRow>('SELECT seq, job_id, tier, enqueued_at, task_token FROM queue WHERE tier = ? AND (leased_until IS NULL OR leased_until <= ?) ORDER BY seq LIMIT ?')
        .all(tier, now, max);
      const lease = this.db.prepare('UPDATE queue SET leased_until = ? WHERE seq = ?');
      for (const r of rows) lease.run(leaseUntil, r.seq);
      return rows;
    });
    return take().map((r) => ({
      jobId: r.job_id,
      tier: r.tier,
      enqueuedAt: r.enqueued_at,
      receipt: String(r.seq),
      ...(r.task_token ? { taskToken: r.task_token } : {}),
    }));
  }

  async ack(work: QueuedWork): Promise<void> {
    this.db.prepare('DELETE FROM queue WHERE seq = ?').run(Number(work.receipt));
  }

  async depth(tier: Tier): Promise<number> {
    return (this.db.prepare<[Tier], { n: number }>('SELECT count(*) AS n FROM queue WHERE tier = ?').get(tier) ?? { n: 0 }).n;
  }

  /** Make every leased message visible again (a runtime restarting after a crash owns them all). */
  releaseAll(): number {
    return this.db.prepare('UPDATE queue SET leased_until = NULL WHERE leased_until IS NOT NULL').run().changes;
  }

  /** Whether a job has a message on any tier. */
  has(jobId: string): boolean {
    return this.db.prepare('SELECT 1 FROM queue WHERE job_id = ?').get(jobId) !== undefined;
  }
}
