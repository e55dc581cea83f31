import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../../lib/core/types';
import { jobsTable, lambdaContext, queuedJob, T0, useLambdaEnv } from './harness';

useLambdaEnv({ CAPACITY: JSON.stringify({ mediaconvert: 2, 'batch-gpu': 0 }) });
const table = jobsTable();
const eb = mockClient(EventBridgeClient);
const { handler } = await import('../../../functions/deadline-watch/handler');
const watch = () => handler({}, lambdaContext()) as Promise<{ atRisk: number; actions: { jobId: string; steps: string[] }[] }>;

/** A queued title with 20 min of predicted work (P50; 25 min at P90) and a deadline `minutes` after T0. */
function longTitle(id: string, minutes: number): Job {
  const job = queuedJob(id, { creatorTier: 'regular', deadlineAt: T0 + minutes * 60_000 });
  return { ...job, prediction: { ...job.prediction!, wallSecP50: 1200, wallSecP90: 1500 } };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  table.clear();
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
});
afterEach(() => vi.useRealTimers());

describe('deadline-watch handler', () => {
  it('switches a queued job that would miss its deadline to a faster variant, with a conditional write and a DeadlineAction event', async () => {
    const late = longTitle('late-0001', 20);
    const relaxed = longTitle('relaxed-0002', 600);
    table.seed(late, relaxed);
    vi.setSystemTime(T0 + 5 * 60_000);

    const result = await watch();

    expect(result.actions.map((a) => a.jobId)).toEqual([late.id]);
    expect(result.actions[0]!.steps).toContain('switch-variant');
    expect(table.ddb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byStatusDeadline', ExpressionAttributeValues: { ':s': 'QUEUED' } });
    expect(table.ddb).toHaveReceivedCommandExactlyOnceWith(PutCommand, { Item: expect.objectContaining({ id: late.id }), ConditionExpression: 'attribute_exists(id) AND #v = :expected', ExpressionAttributeValues: { ':expected': late.version } });
    const stored = table.job(late.id)!;
    expect(stored.recipe!.activeVariant).toBeGreaterThan(0);
    expect(stored.decisions.some((d) => d.kind === 'deadline')).toBe(true);
    expect(table.job(relaxed.id)).toEqual(relaxed);
    const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry.DetailType).toBe('DeadlineAction');
    expect(JSON.parse(entry.Detail!)).toMatchObject({ jobId: late.id, steps: result.actions[0]!.steps });
  });

  it('does nothing when every job can make its deadline', async () => {
    table.seed(longTitle('fine-0003', 600));
    vi.setSystemTime(T0 + 60_000);
    expect(await watch()).toEqual({ atRisk: 0, actions: [] });
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
