import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../../lib/core/errors';
import { isTerminal, newJob, transition, TRANSITIONS } from '../../../lib/core/job';
import { JOB_STATUSES } from '../../../lib/core/types';
import { aJob } from '../../helpers/factories';

describe('job state machine', () => {
  it('walks the happy path and records each transition with time and reason', () => {
    let job = aJob();
    const path = ['ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'PUBLISHED'] as const;
    path.forEach((to, i) => {
      job = transition(job, to, 1_000 + i, `step ${to}`);
    });
    expect(job.status).toBe('PUBLISHED');
    expect(job.history.map((t) => t.to)).toEqual(['RECEIVED', ...path]);
    expect(job.history.at(-1)).toMatchObject({ from: 'VERIFYING', to: 'PUBLISHED', at: 1_004, reason: 'step PUBLISHED' });
  });

  it('rejects a transition the state machine does not allow', () => {
    const job = aJob();
    expect(() => transition(job, 'PUBLISHED', 1, 'skip ahead')).toThrow(IllegalTransitionError);
    expect(() => transition(job, 'ENCODING', 1, 'skip ahead')).toThrow(/RECEIVED → ENCODING/);
  });

  it('allows nothing out of a terminal state', () => {
    for (const s of JOB_STATUSES.filter(isTerminal)) expect(TRANSITIONS[s]).toEqual([]);
    const rejected = transition(aJob(), 'REJECTED', 5, 'zero-byte file');
    expect(rejected.reason).toBe('zero-byte file');
    for (const to of JOB_STATUSES) expect(() => transition(rejected, to, 6, 'again')).toThrow(IllegalTransitionError);
  });

  it('counts attempts when a job is retried and does not mutate the input job', () => {
    const enc = transition(transition(transition(aJob(), 'ANALYZED', 1, 'a'), 'QUEUED', 2, 'q'), 'ENCODING', 3, 'e');
    const retry = transition(enc, 'RETRYING', 4, 'encoder crashed');
    expect(retry.attempts).toBe(1);
    expect(enc.status).toBe('ENCODING');
  });

  it('takes the deadline from the metadata when the upload carries one', () => {
    const job = newJob({ id: 'j', source: { uri: 'x' }, now: 0, metadata: { ...aJob().metadata, deadlineAt: 42 } });
    expect(job.deadlineAt).toBe(42);
  });
});
