import type { Db } from './db';

export type AttemptOutcome = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

/** One encode of one rendition, as the ledger recorded it. */
export interface EncodeAttempt {
  id: number;
  jobId: string;
  renditionId: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: AttemptOutcome;
  wallSec: number | null;
  cpuSec: number | null;
  predictedSec: number | null;
  error: string | null;
}

/**
 * Every ffmpeg encode the runtime starts, with its outcome and its actual vs predicted time.
 * It is what proves that a resumed run did not encode a finished rendition twice, and the data
 * the predictor is calibrated from.
 */
export class EncodeLedger {
  constructor(private readonly db: Db) {}

  start(jobId: string, renditionId: string, at: number, predictedSec?: number): number {
    const res = this.db
      .prepare("INSERT INTO encode_attempts (job_id, rendition_id, started_at, outcome, predicted_sec) VALUES (?, ?, ?, 'running', ?)")
      .run(jobId, renditionId, at, predictedSec ?? null);
    return Number(res.lastInsertRowid);
  }

  finish(id: number, outcome: Exclude<AttemptOutcome, 'running'>, at: number, facts: { wallSec?: number; cpuSec?: number; error?: string } = {}): void {
    this.db
      .prepare('UPDATE encode_attempts SET outcome = ?, finished_at = ?, wall_sec = ?, cpu_sec = ?, error = ? WHERE id = ?')
      .run(outcome, at, facts.wallSec ?? null, facts.cpuSec ?? null, facts.error ?? null, id);
  }

  /** Attempts a previous process left `running` (it was killed): mark them interrupted. */
  markInterrupted(at: number): number {
    return this.db.prepare("UPDATE encode_attempts SET outcome = 'interrupted', finished_at = ? WHERE outcome = 'running'").run(at).changes;
  }

  attempts(jobId?: string): EncodeAttempt[] {
    const rows = (
      jobId
        ? this.db.prepare('SELECT * FROM encode_attempts WHERE job_id = ? ORDER BY id').all(jobId)
        : this.db.prepare('SELECT * FROM encode_attempts ORDER BY id').all()
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      jobId: r.job_id as string,
      renditionId: r.rendition_id as string,
      startedAt: r.started_at as number,
      finishedAt: (r.finished_at as number | null) ?? null,
      outcome: r.outcome as AttemptOutcome,
      wallSec: (r.wall_sec as number | null) ?? null,
      cpuSec: (r.cpu_sec as number | null) ?? null,
      predictedSec: (r.predicted_sec as number | null) ?? null,
      error: (r.error as string | null) ?? null,
    }));
  }
}
