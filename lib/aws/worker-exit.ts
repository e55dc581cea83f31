/**
 * Exit codes of the Batch GPU worker, shared by the worker, the job definition's retry strategy and
 * the Complete handler (sysexits.h meanings).
 */
export const WORKER_EXIT = {
  ok: 0,
  /** Unrecoverable input (EX_DATAERR): no backend will do better; the job fails with the cause. */
  badInput: 65,
  /** Interrupted (SIGTERM from a spot reclaim; EX_TEMPFAIL): Batch retries the job. */
  interrupted: 75,
  /** Anything else: an encode failure the workflow may retry or send to the other backend. */
  failed: 1,
} as const;

export type WorkerOutcome = 'ok' | 'badInput' | 'interrupted' | 'failed';

export function outcomeOfExitCode(code: number | undefined | null): WorkerOutcome {
  if (code === WORKER_EXIT.ok) return 'ok';
  if (code === WORKER_EXIT.badInput) return 'badInput';
  if (code === WORKER_EXIT.interrupted) return 'interrupted';
  return 'failed';
}

/**
 * What a chunk child that finds bad input leaves before it exits `badInput`. Batch then fails the join
 * without running it (its dependency failed), so the join's event carries no exit code; Complete reads
 * this marker to reject the job instead of retrying a file that can never succeed.
 */
export interface ChunkRejection {
  /** The array index of the child that rejected the input. */
  index: number;
  reason: string;
}

/** Where the rejection marker of an attempt lives (one key per attempt: any rejecting child's reason will do). */
export const chunkRejectionUri = (outputPrefix: string): string => `${outputPrefix}chunks/rejected.json`;
