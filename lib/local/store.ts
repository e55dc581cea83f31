import { ConflictError } from '../core/errors';
import type { Job, JobStatus } from '../core/types';
import type { JobStore } from '../ports';
import type { Db } from './db';

interface JobRow {
  id: string;
  version: number;
  body: string;
  input: string | null;
}

/**
 * The job table in SQLite. Each job is a JSON document plus the columns the runtime queries on;
 * writes are conditional on the stored version (optimistic concurrency, like DynamoDB's
 * `ConditionExpression version = :v`).
 */
export class SqliteJobStore implements JobStore {
  private readonly insert;
  private readonly select;
  private readonly update;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO jobs (id, version, status, input, created_at, updated_at, body) VALUES (@id, @version, @status, @input, @createdAt, @updatedAt, @body) ON CONFLICT(id) DO NOTHING',
    );
    this.select = db.prepare<[string], JobRow>('SELECT id, version, body, input FROM jobs WHERE id = ?');
    this.update = db.prepare(
      'UPDATE jobs SET version = @next, status = @status, updated_at = @updatedAt, body = @body WHERE id = @id AND version = @version',
    );
  }

  /** Create a job; false (nothing written) when the id exists. `input` is the path as the user gave it. */
  async create(job: Job, opts: { input?: string } = {}): Promise<boolean> {
    const res = this.insert.run({
      id: job.id,
      version: job.version,
      status: job.status,
      input: opts.input ?? null,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      body: JSON.stringify(job),
    });
    return res.changes === 1;
  }

  async get(id: string): Promise<Job | undefined> {
    const row = this.select.get(id);
    return row ? parse(row) : undefined;
  }

  /** The input path as given when the job was created. */
  inputOf(id: string): string | undefined {
    return this.select.get(id)?.input ?? undefined;
  }

  async put(job: Job): Promise<Job> {
    const stored: Job = { ...job, version: job.version + 1 };
    const res = this.update.run({
      id: job.id,
      version: job.version,
      next: stored.version,
      status: job.status,
      updatedAt: job.updatedAt,
      body: JSON.stringify(stored),
    });
    if (res.changes !== 1) {
      const current = this.select.get(job.id);
      throw new ConflictError(
        current ? `job ${job.id}: version ${job.version} is stale (stored ${current.version})` : `job ${job.id} does not exist`,
      );
    }
    return stored;
  }

  async listByStatus(statuses: readonly JobStatus[]): Promise<Job[]> {
    if (statuses.length === 0) return [];
    const rows = this.db
      .prepare<string[], JobRow>(`SELECT id, version, body, input FROM jobs WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY created_at, id`)
      .all(...statuses);
    return rows.map(parse);
  }

  /** Every job, oldest first. */
  async list(): Promise<Job[]> {
    return this.db.prepare<[], JobRow>('SELECT id, version, body, input FROM jobs ORDER BY created_at, id').all().map(parse);
  }
}

function parse(row: JobRow): Job {
  const job = JSON.parse(row.body) as Job;
  job.version = row.version;
  return job;
}

/**
 * Read-modify-write a job with retries on ConflictError (another writer in this process got there first).
 * `change` returns the new job, or undefined to leave it as it is.
 */
export async function updateJob(store: JobStore, id: string, change: (job: Job) => Job | undefined, attempts = 5): Promise<Job> {
  for (let i = 0; ; i++) {
    const current = await store.get(id);
    if (!current) throw new ConflictError(`job ${id} does not exist`);
    const next = change(current);
    if (!next) return current;
    try {
      return await store.put({ ...next, version: current.version });
    } catch (err) {
      if (!(err instanceof ConflictError) || i + 1 >= attempts) throw err;
    }
  }
}
