import { BatchClient, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { CancelJobCommand, CreateJobCommand, MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { SendTaskHeartbeatCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateCreateJob } from '../../../lib/aws/mediaconvert-job';
import { transition } from '../../../lib/core/job';
import { activeLadder } from '../../../lib/core/recipes';
import type { Job, Tier } from '../../../lib/core/types';
import { BATCH_QUEUES, encodingJob, JOB_DEFINITION, jobsTable, lambdaContext, MC_QUEUES, MC_ROLE_ARN, queuedJob, T0, TIER_QUEUES, useLambdaEnv } from './harness';

const table = jobsTable();
const sqs = mockClient(SQSClient);
const mc = mockClient(MediaConvertClient);
const batch = mockClient(BatchClient);
const sfn = mockClient(SFNClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ submitted: { jobId: string; backend: string; tier: Tier }[]; preempted: { jobId: string; backend: string; externalId: string; by: string }[]; waiting: number; dropped: number; received: number }>;
/** The dispatch handler configured with these slots (configuration is read at import). */
async function dispatchWith(capacity: { mediaconvert: number; 'batch-gpu': number }): Promise<Handler> {
  vi.resetModules();
  useLambdaEnv({ CAPACITY: JSON.stringify(capacity) });
  return (await import('../../../functions/dispatch/handler')).handler as unknown as Handler;
}

/** The work message the state machine's Enqueue state sends, as SQS delivers it. */
const message = (job: Job, token: string) => ({
  MessageId: `msg-${job.id}`,
  ReceiptHandle: `rh-${job.id}`,
  Body: JSON.stringify({ jobId: job.id, tier: job.value!.tier, taskToken: token, enqueuedAt: new Date(T0).toISOString() }),
});
function queues(byTier: Partial<Record<Tier, ReturnType<typeof message>[]>>) {
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  for (const [tier, messages] of Object.entries(byTier)) sqs.on(ReceiveMessageCommand, { QueueUrl: TIER_QUEUES[tier as Tier] }).resolves({ Messages: messages });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0 + 30_000);
  table.clear();
  for (const m of [sqs, mc, batch, sfn]) m.reset();
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'requeued' });
  batch.on(TerminateJobCommand).resolves({});
  mc.on(CancelJobCommand).resolves({});
  sfn.on(SendTaskHeartbeatCommand).resolves({});
  mc.on(CreateJobCommand).callsFake((input: { ClientRequestToken: string }) => ({ Job: { Id: `1700000000000-${input.ClientRequestToken.slice(0, 6)}` } }));
  batch.on(SubmitJobCommand).resolves({ jobId: 'b7c1e0e2-batch', jobName: 'x', jobArn: 'arn:batch:job' });
});
afterEach(() => vi.useRealTimers());

describe('dispatch handler → MediaConvert', () => {
  it('submits a queued job with CreateJob rendered from its recipe: tier queue, value priority, idempotency token, job id in user metadata', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const job = queuedJob('finale-4f1c', { creatorTier: 'star', expectedViews: 5_000_000, monetized: true, premium: true });
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-finale')] });

    const summary = await handler({}, lambdaContext());

    expect(summary.submitted).toEqual([{ jobId: job.id, backend: 'mediaconvert', externalId: expect.any(String), tier: job.value!.tier }]);
    expect(mc).toHaveReceivedCommandOnce(CreateJobCommand);
    const create = mc.commandCalls(CreateJobCommand)[0]!.args[0].input;
    expect(create).toMatchObject({
      Role: MC_ROLE_ARN,
      Queue: MC_QUEUES[job.value!.tier],
      Priority: job.value!.levers.mediaConvertPriority,
      ClientRequestToken: `${job.id}-a1`,
      AccelerationSettings: { Mode: 'DISABLED' },
      UserMetadata: { jobId: job.id, attempt: '1', tier: job.value!.tier, recipeId: job.recipe!.id },
    });
    expect(create.Settings?.Inputs?.[0]?.FileInput).toBe(job.source.uri);
    expect(validateCreateJob(create)).toEqual([]);
    // Every rung of the active ladder is encoded, into this attempt's output prefix.
    const modifiers = new Set(create.Settings!.OutputGroups!.flatMap((g) => g.Outputs!.filter((o) => o.VideoDescription).map((o) => o.NameModifier)));
    expect([...modifiers].sort()).toEqual(activeLadder(job.recipe!).map((r) => `_${r.id}`).sort());
    const destinations = create.Settings!.OutputGroups!.map((g) => (Object.values(g.OutputGroupSettings!).find((s) => typeof s === 'object' && s && 'Destination' in s) as { Destination: string }).Destination);
    for (const d of destinations) expect(d.startsWith(`s3://marquee-output/${job.id}/a1/`)).toBe(true);
  });

  it('records the submission with a conditional write (ENCODING, task token, attempt) and deletes the queue message', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const job = queuedJob('talk-9a2b');
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-talk')] });
    await handler({}, lambdaContext());

    expect(table.ddb).toHaveReceivedCommandWith(PutCommand, { TableName: 'marquee-jobs', ConditionExpression: 'attribute_exists(id) AND #v = :expected', ExpressionAttributeValues: { ':expected': job.version } });
    const stored = table.job(job.id)!;
    expect(stored.status).toBe('ENCODING');
    expect(stored.dispatch).toMatchObject({ backend: 'mediaconvert', taskToken: 'token-talk', attempt: 1, tried: ['mediaconvert'], submittedAt: T0 + 30_000 });
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: TIER_QUEUES[job.value!.tier], ReceiptHandle: `rh-${job.id}` });
  });

  it('asks for accelerated transcoding when the deadline watch switched the job to an accelerated variant', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const planned = queuedJob('late-77aa', { creatorTier: 'partner', expectedViews: 200_000 });
    const accelerated = planned.recipe!.variants.findIndex((v) => v.accelerated);
    expect(accelerated).toBeGreaterThan(0);
    const job = { ...planned, recipe: { ...planned.recipe!, activeVariant: accelerated } };
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-late')] });
    await handler({}, lambdaContext());
    expect(mc).toHaveReceivedCommandWith(CreateJobCommand, { AccelerationSettings: { Mode: 'PREFERRED' } });
  });

  it('lets a standard job still waiting in MediaConvert after its aging step hop to the premium queue', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const job = queuedJob('vlog-1d2e', { creatorTier: 'regular', expectedViews: 20_000 });
    expect(job.value!.tier).toBe('standard');
    table.seed(job);
    queues({ standard: [message(job, 'token-vlog')] });
    await handler({}, lambdaContext());
    expect(mc).toHaveReceivedCommandWith(CreateJobCommand, { Queue: MC_QUEUES.standard, HopDestinations: [{ Queue: MC_QUEUES.premium, WaitMinutes: 60 }] });
  });

  it('fills only the free slots, highest tier first: the rest waits (heartbeat on its token, message visible again)', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const running = encodingJob('running-0001', 'mediaconvert', 'mc-running', 'token-running');
    const premium = queuedJob('premium-5555', { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true });
    const bulk = queuedJob('bulk-6666', { creatorTier: 'new', expectedViews: 10 });
    expect([premium.value!.tier, bulk.value!.tier]).toEqual(['premium', 'bulk']);
    table.seed(running, premium, bulk);
    queues({ premium: [message(premium, 'token-premium')], bulk: [message(bulk, 'token-bulk')] });

    const summary = await handler({}, lambdaContext());

    expect(summary.submitted.map((s) => s.jobId)).toEqual([premium.id]);
    expect(summary.waiting).toBe(1);
    expect(mc).toHaveReceivedCommandOnce(CreateJobCommand);
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskHeartbeatCommand, { taskToken: 'token-bulk' });
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { QueueUrl: TIER_QUEUES.bulk, ReceiptHandle: `rh-${bulk.id}`, VisibilityTimeout: 0 });
    expect(table.job(bulk.id)!.status).toBe('QUEUED');
  });

  it('drops messages for jobs that are no longer waiting (published, or already submitted with this token)', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    const submitted = encodingJob('dup-1111', 'mediaconvert', 'mc-dup', 'token-dup');
    table.seed(submitted);
    queues({ standard: [{ ...message({ ...submitted, value: { ...submitted.value!, tier: 'standard' } }, 'token-dup') }, { MessageId: 'm-ghost', ReceiptHandle: 'rh-ghost', Body: JSON.stringify({ jobId: 'ghost', tier: 'standard', taskToken: 't', enqueuedAt: T0 }) }] });
    const summary = await handler({}, lambdaContext());
    expect(summary).toMatchObject({ received: 2, dropped: 2, submitted: [] });
    expect(mc).not.toHaveReceivedCommand(CreateJobCommand);
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 2);
  });

  it('leaves the work queued when CreateJob fails: message visible again in 30 s, job untouched', async () => {
    const handler = await dispatchWith({ mediaconvert: 2, 'batch-gpu': 0 });
    mc.on(CreateJobCommand).rejects(Object.assign(new Error('Too many requests'), { name: 'TooManyRequestsException' }));
    const job = queuedJob('busy-2222');
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-busy')] });
    const summary = await handler({}, lambdaContext());
    expect(summary.submitted).toEqual([]);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { ReceiptHandle: `rh-${job.id}`, VisibilityTimeout: 30 });
    expect(table.job(job.id)).toEqual(job);
    expect(table.ddb).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('dispatch handler → Batch GPU', () => {
  it('submits the GPU worker to the tier job queue with the job id, attempt and output prefix', async () => {
    const handler = await dispatchWith({ mediaconvert: 0, 'batch-gpu': 1 });
    const job = queuedJob('gpu-3333', { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true });
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-gpu')] });
    const summary = await handler({}, lambdaContext());
    expect(summary.submitted).toEqual([{ jobId: job.id, backend: 'batch-gpu', externalId: 'b7c1e0e2-batch', tier: job.value!.tier }]);
    expect(batch).toHaveReceivedCommandExactlyOnceWith(SubmitJobCommand, {
      jobName: `${job.id}-a1`,
      jobQueue: BATCH_QUEUES[job.value!.tier],
      jobDefinition: JOB_DEFINITION,
      containerOverrides: {
        environment: [
          { name: 'MARQUEE_JOB_ID', value: job.id },
          { name: 'MARQUEE_ATTEMPT', value: '1' },
          { name: 'MARQUEE_OUTPUT_PREFIX', value: `s3://marquee-output/${job.id}/a1/` },
        ],
      },
      tags: { jobId: job.id, tier: job.value!.tier },
      propagateTags: true,
    });
    expect(table.job(job.id)!.dispatch).toMatchObject({ backend: 'batch-gpu', externalId: 'b7c1e0e2-batch', taskToken: 'token-gpu' });
  });
});

describe('dispatch handler → bounded preemption', () => {
  // Every slot is busy: young bulk work on the only GPU slot, standard work on MediaConvert. A short
  // premium title has waited past its budget (15 s): it takes the GPU slot.
  const bulkMeta = { creatorTier: 'new' as const, expectedViews: 10 };
  const premiumMeta = { creatorTier: 'partner' as const, expectedViews: 1_000_000, monetized: true };
  function busyFleet(victimStartedAt = T0) {
    const victim = encodingJob('bulk-gpu-0001', 'batch-gpu', 'b-victim', 'token-victim', victimStartedAt, bulkMeta);
    const onMc = encodingJob('std-mc-0002', 'mediaconvert', 'mc-busy', 'token-mc', T0, { creatorTier: 'regular', expectedViews: 20_000 });
    const premium = queuedJob('premium-0003', premiumMeta);
    table.seed(victim, onMc, premium);
    queues({ premium: [message(premium, 'token-premium')] });
    return { victim, premium };
  }

  it('cancels young bulk work on the GPU, re-enqueues it with its token and place (ENCODING → QUEUED, no attempt), and starts the waiting premium title there', async () => {
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 1 });
    const { victim, premium } = busyFleet();
    const summary = await handler({}, lambdaContext());

    expect(summary.preempted).toEqual([{ jobId: victim.id, backend: 'batch-gpu', externalId: 'b-victim', by: premium.id }]);
    expect(summary.submitted).toEqual([{ jobId: premium.id, backend: 'batch-gpu', externalId: 'b7c1e0e2-batch', tier: 'premium' }]);
    expect(batch).toHaveReceivedCommandExactlyOnceWith(TerminateJobCommand, { jobId: 'b-victim' });
    const queuedAt = victim.history.findLast((h) => h.to === 'QUEUED')!.at;
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.QueueUrl).toBe(TIER_QUEUES.bulk);
    expect(JSON.parse(sent[0]!.MessageBody!)).toEqual({ jobId: victim.id, tier: 'bulk', enqueuedAt: queuedAt, taskToken: 'token-victim' });
    const requeued = table.job(victim.id)!;
    expect(requeued.status).toBe('QUEUED');
    expect(requeued.attempts).toBe(victim.attempts);
    expect(requeued.dispatch).toMatchObject({ externalId: 'b-victim', taskToken: 'token-victim', preemptions: 1, queuedAt });
    expect(requeued.decisions.at(-1)).toMatchObject({ kind: 'schedule', action: 'preempted on batch-gpu' });
    expect(requeued.decisions.at(-1)!.reason).toMatch(new RegExp(`by ${premium.id}.*no attempt charged`));
    const started = table.job(premium.id)!;
    expect(started).toMatchObject({ status: 'ENCODING', dispatch: { backend: 'batch-gpu', taskToken: 'token-premium' } });
    expect(started.decisions.at(-1)!.reason).toMatch(new RegExp(`took the slot of ${victim.id}`));
  });

  it('is safe to run again: the second tick preempts nothing and the victim is not duplicated', async () => {
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 1 });
    busyFleet();
    await handler({}, lambdaContext());
    queues({});
    const again = await handler({}, lambdaContext());
    expect(again.preempted).toEqual([]);
    expect(batch).toHaveReceivedCommandTimes(TerminateJobCommand, 1);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  it('restarts the victim under a new idempotency token and output prefix when it is dispatched again, and preempts it at most once', async () => {
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 1 });
    const { victim } = busyFleet();
    await handler({}, lambdaContext());
    const requeued = table.job(victim.id)!;
    // The premium title finished; the victim's message comes back and the GPU is free again.
    table.seed(transition(table.job('premium-0003')!, 'VERIFYING', T0 + 40_000, 'done'));
    queues({ bulk: [message(requeued, 'token-victim')] });
    batch.on(SubmitJobCommand).resolves({ jobId: 'b-restart', jobName: 'x', jobArn: 'arn:batch:job' });
    const summary = await handler({}, lambdaContext());
    expect(summary.submitted.map((s) => s.jobId)).toEqual([victim.id]);
    expect(batch).toHaveReceivedCommandWith(SubmitJobCommand, { jobName: `${victim.id}-a1-r1` });
    const env = batch.commandCalls(SubmitJobCommand).at(-1)!.args[0].input.containerOverrides!.environment!;
    expect(env.find((e) => e.name === 'MARQUEE_OUTPUT_PREFIX')!.value).toBe(`s3://marquee-output/${victim.id}/a1r1/`);
    expect(table.job(victim.id)!.dispatch).toMatchObject({ externalId: 'b-restart', taskToken: 'token-victim', preemptions: 1, attempt: 1 });
  });

  it('leaves old work alone (more than 3 min of it would be lost): the premium title waits', async () => {
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 1 });
    busyFleet(T0 - 10 * 60_000);
    const summary = await handler({}, lambdaContext());
    expect(summary.preempted).toEqual([]);
    expect(summary.waiting).toBe(1);
    expect(batch).not.toHaveReceivedCommand(TerminateJobCommand);
  });

  it("still gives the slot when the cancel fails (the orphan job's events are ignored)", async () => {
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 1 });
    batch.on(TerminateJobCommand).rejects(Object.assign(new Error('Client error'), { name: 'ClientException' }));
    const { victim, premium } = busyFleet();
    const summary = await handler({}, lambdaContext());
    expect(summary.preempted.map((p) => p.jobId)).toEqual([victim.id]);
    expect(summary.submitted.map((s) => s.jobId)).toEqual([premium.id]);
    expect(table.job(victim.id)!.status).toBe('QUEUED');
  });
});

describe('dispatch handler → Batch GPU, chunk-parallel', () => {
  // A long premium title (30 min): the pipeline chunks every closed-GOP rung, as the schedule bench's Marquee row does.
  const longPremium = (id: string) => queuedJob(id, { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true }, T0, { durationSec: 1800 });
  beforeEach(() => {
    batch.on(SubmitJobCommand).callsFake((input: { jobName: string }) => ({ jobId: input.jobName.endsWith('-chunks') ? `arr-${input.jobName.slice(0, 8)}` : `join-${input.jobName.slice(0, 8)}`, jobName: input.jobName, jobArn: 'arn:batch:job' }));
  });
  const envOf = (call: number) => Object.fromEntries(batch.commandCalls(SubmitJobCommand)[call]!.args[0].input.containerOverrides!.environment!.map((e) => [e.name, e.value]));

  it('submits an array job of one chunk child per free GPU slot and a join job that depends on it, and counts the array as that many slots', async () => {
    const handler = await dispatchWith({ mediaconvert: 0, 'batch-gpu': 4 });
    const job = longPremium('epic-7a7a');
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-epic')] });
    const summary = (await handler({}, lambdaContext())) as Awaited<ReturnType<Handler>> & { inFlight: Record<string, number> };

    const calls = batch.commandCalls(SubmitJobCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ jobName: `${job.id}-a1-chunks`, jobQueue: BATCH_QUEUES[job.value!.tier], jobDefinition: JOB_DEFINITION, arrayProperties: { size: 4 } });
    expect(envOf(0)).toMatchObject({ MARQUEE_JOB_ID: job.id, MARQUEE_MODE: 'chunk', MARQUEE_CHUNK_CAP: '4', MARQUEE_OUTPUT_PREFIX: `s3://marquee-output/${job.id}/a1/` });
    expect(calls[1]).toMatchObject({ jobName: `${job.id}-a1-join`, dependsOn: [{ jobId: 'arr-epic-7a7' }] });
    expect(calls[1]!.arrayProperties).toBeUndefined();
    expect(envOf(1)).toMatchObject({ MARQUEE_MODE: 'join', MARQUEE_CHUNK_CAP: '4' });
    expect(summary.submitted).toEqual([{ jobId: job.id, backend: 'batch-gpu', externalId: 'join-epic-7a7+arr-epic-7a7*4', tier: job.value!.tier }]);
    expect(summary.inFlight['batch-gpu']).toBe(4);
    const stored = table.job(job.id)!;
    expect(stored.dispatch).toMatchObject({ backend: 'batch-gpu', externalId: 'join-epic-7a7+arr-epic-7a7*4', taskToken: 'token-epic' });
    expect(stored.decisions.at(-1)!.reason).toMatch(/4 chunks: array job \+ join/);
  });

  it('a running chunked job holds its N slots: the next title waits while the GPU pool is full', async () => {
    const handler = await dispatchWith({ mediaconvert: 0, 'batch-gpu': 4 });
    const running = encodingJob('epic-run-1', 'batch-gpu', 'join-1+arr-1*4', 'token-run');
    const next = queuedJob('short-2b2b', { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true });
    table.seed(running, next);
    queues({ [next.value!.tier]: [message(next, 'token-next')] });
    const summary = await handler({}, lambdaContext());
    expect(summary.submitted).toEqual([]);
    expect(summary.waiting).toBe(1);
    expect(batch).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('within one tick, a chunked title takes the slots the scheduler counted as free: the title after it waits', async () => {
    const handler = await dispatchWith({ mediaconvert: 0, 'batch-gpu': 2 });
    const first = longPremium('epic-3c3c');
    const second = longPremium('epic-4d4d');
    table.seed(first, second);
    queues({ [first.value!.tier]: [message(first, 'token-1'), message(second, 'token-2')] });
    const summary = await handler({}, lambdaContext());
    expect(summary.submitted).toHaveLength(1);
    expect(summary.waiting).toBe(1);
    expect(batch.commandCalls(SubmitJobCommand)[0]!.args[0].input.arrayProperties).toEqual({ size: 2 });
  });

  it('a short title stays one whole-title job (no array)', async () => {
    const handler = await dispatchWith({ mediaconvert: 0, 'batch-gpu': 4 });
    const job = queuedJob('short-5e5e', { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true });
    table.seed(job);
    queues({ [job.value!.tier]: [message(job, 'token-short')] });
    await handler({}, lambdaContext());
    expect(batch).toHaveReceivedCommandTimes(SubmitJobCommand, 1);
    expect(batch.commandCalls(SubmitJobCommand)[0]!.args[0].input.arrayProperties).toBeUndefined();
  });

  it('preempting a chunked encode terminates its join, its array and each child, and frees its N slots', async () => {
    // As in the bounded-preemption fleet: MediaConvert busy, the GPU pool held by young bulk work (here chunked, 2 slots).
    const handler = await dispatchWith({ mediaconvert: 1, 'batch-gpu': 2 });
    const victim = encodingJob('bulk-gpu-chunked', 'batch-gpu', 'join-v+arr-v*2', 'token-victim', T0, { creatorTier: 'new', expectedViews: 10 });
    const onMc = encodingJob('std-mc-0008', 'mediaconvert', 'mc-busy', 'token-mc', T0, { creatorTier: 'regular', expectedViews: 20_000 });
    const premium = queuedJob('premium-0009', { creatorTier: 'partner', expectedViews: 1_000_000, monetized: true });
    table.seed(victim, onMc, premium);
    queues({ premium: [message(premium, 'token-premium')] });
    const summary = await handler({}, lambdaContext());
    expect(summary.preempted).toEqual([{ jobId: victim.id, backend: 'batch-gpu', externalId: 'join-v+arr-v*2', by: premium.id }]);
        expect(batch.commandCalls(TerminateJobCommand).map((c) => c.args[0].input.jobId)).toEqual(['join-v', 'arr-v', 'arr-v:0', 'arr-v:1']);
    expect(summary.submitted.map((s) => s.jobId)).toEqual([premium.id]);
  });
});
