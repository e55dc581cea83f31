import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, apiEvent, jobsTable, lambdaContext, queuedJob, T0, useLambdaEnv } from './harness';

useLambdaEnv();
const table = jobsTable();
const eb = mockClient(EventBridgeClient);
const { handler } = await import('../../../functions/priority-api/handler');
const call = async (event: ReturnType<typeof apiEvent>) => {
  const res = await handler(event, lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0 + 5 * 60_000);
  table.clear();
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
});
afterEach(() => vi.useRealTimers());

describe('priority API: GET /jobs/{id}', () => {
  it('returns the job view: status, tier, deadline, renditions', async () => {
    const job = queuedJob('clip-1a2b');
    table.seed(job);
    const res = await call(apiEvent('GET', job.id));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: job.id, status: 'QUEUED', tier: job.value!.tier, deadlineAt: new Date(job.deadlineAt).toISOString() });
    expect(res.body.renditions).toHaveLength(job.renditions.length);
  });

  it('answers 404 with the id for an unknown job, 400 for an id outside the execution-name alphabet', async () => {
    expect(await call(apiEvent('GET', 'nope-404'))).toEqual({ status: 404, body: { message: 'job nope-404 not found' } });
    const bad = await call(apiEvent('GET', '../../etc/passwd'));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/invalid job id/);
  });
});

describe('priority API: POST /jobs/{id}/escalate', () => {
  it('bumps the tier and brings the deadline forward, records the caller and reason (conditional write), emits JobEscalated', async () => {
    const job = queuedJob('news-3c4d', { creatorTier: 'regular', expectedViews: 20_000 });
    expect(job.value!.tier).toBe('standard');
    table.seed(job);
    const deadline = new Date(T0 + 45 * 60_000).toISOString();
    const res = await call(apiEvent('POST', job.id, { tier: 'critical', deadline, reason: 'breaking news' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: job.id, tier: 'critical', deadlineAt: deadline });
    const stored = table.job(job.id)!;
    expect(stored.value!.tier).toBe('critical');
    expect(stored.deadlineAt).toBe(Date.parse(deadline));
    expect(JSON.stringify(stored.adjustments)).toContain(`arn:aws:iam::${ACCOUNT}:user/editor`);
    expect(table.ddb).toHaveReceivedCommandWith(PutCommand, { ConditionExpression: 'attribute_exists(id) AND #v = :expected', ExpressionAttributeValues: { ':expected': job.version } });
    const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ Source: 'marquee', DetailType: 'JobEscalated', EventBusName: 'default' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ jobId: job.id, by: `arn:aws:iam::${ACCOUNT}:user/editor`, reason: 'breaking news', tier: 'critical' });
  });

  it('rejects bad input with 400 and a message naming the field, without touching the job', async () => {
    const job = queuedJob('news-5e6f');
    table.seed(job);
    const cases: [unknown, RegExp][] = [
      ['{not json', /^body must be JSON$/],
      [{ tier: 'critical' }, /^reason: /],
      [{ tier: 'urgent', reason: 'breaking news' }, /^tier: Invalid option: expected one of "critical"\|"premium"\|"standard"\|"bulk"/],
      [{ deadline: 'tomorrow', reason: 'breaking news' }, /^deadline: /],
      [{ reason: 'breaking news', priority: 99 }, /Unrecognized key: "priority"/],
      [{ reason: 'no' }, /^reason: Too small/],
    ];
    for (const [body, message] of cases) {
      const res = await call(apiEvent('POST', job.id, body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('answers 404 for an unknown job', async () => {
    expect(await call(apiEvent('POST', 'ghost-0000', { tier: 'critical', reason: 'breaking news' }))).toEqual({ status: 404, body: { message: 'job ghost-0000 not found' } });
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
