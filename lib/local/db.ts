import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The local runtime's database handle (better-sqlite3: synchronous, one connection per process). */
export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  input TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);

CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  tier TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  task_token TEXT,
  leased_until INTEGER
);
CREATE INDEX IF NOT EXISTS queue_tier ON queue(tier, seq);

CREATE TABLE IF NOT EXISTS encode_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  rendition_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT NOT NULL,
  wall_sec REAL,
  cpu_sec REAL,
  predicted_sec REAL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS encode_attempts_job ON encode_attempts(job_id, rendition_id);
`;

/**
 * Open (or create) the runtime database: WAL journal so a kill -9 never corrupts it, synchronous=FULL
 * so a committed state transition survives a power cut, and a busy timeout for a second reader.
 */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
