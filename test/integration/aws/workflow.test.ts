/**
 * The synthesised state machine, executed offline with aws-local-stepfunctions: every Task is mapped
 * to the real flow over the emulators (dynalite, local-aws-sqs, s3rver, real ffprobe over a presigned
 * URL); MediaConvert, Batch, EventBridge and the task-token API are client mocks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { StateMachine } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyzeUpload, completeEncode, dispatchWork, escalateJob, fallBack, outputPrefixFor, publishJob, recordFailure, verifyOutputs, watchDeadlines, type WorkerManifest } from '../../../lib/aws/cloud-flow';
import { BatchGpuEncoder, MediaConvertEncoder } from '../../../lib/aws/encoders';
import { encoderEventSchema, encoderStateChangeOf } from '../../../lib/aws/event-schemas';
import { EventBridgePublisher } from '../../../lib/aws/events';
import { executionNameFor } from '../../../lib/aws/execution-name';
import { DynamoJobStore } from '../../../lib/aws/job-store';
import { S3ObjectStore } from '../../../lib/aws/object-store';
import { StepFunctionsTaskTokens } from '../../../lib/aws/task-tokens';
import { SqsWorkQueue } from '../../../lib/aws/work-queue';
import { TIERS, type Job, type Tier } from '../../../lib/core/types';
import { FfprobeProber } from '../../../lib/media/probe';
import { synthesizeClip } from '../../../lib/media/synth';
import { stateMachineDefinition, synthMarquee, type AslDefinition } from '../../infra/synth';
import { startEmulators, type Emulators } from './emulators';

const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const MC_QUEUES = Object.fromEntries(TIERS.map((t) => [t, `arn:aws:mediaconvert:us-east-1:123456789012:queues/marquee-${t}`])) as Record<Tier, string>;
const BATCH_QUEUES = Object.fromEntries(TIERS.map((t) => [t, `arn:aws:batch:us-east-1:123456789012:job-queue/marquee-${t}`])) as Record<Tier, string>;

const mc = mockClient(MediaConvertClient);
const batch = mockClient(BatchClient);
const sfn = mockClient(SFNClient);
const eb = mockClient(EventBridgeClient);

let emu: Emulators;
let definition: AslDefinition;
let dir: string;
let clipBytes: Buffer;
let now = Date.parse('2031-03-01T12:00:00Z');
const clock = { now: () => now };

/** Task tokens the local Enqueue state is waiting on, answered by the mocked SendTask* calls. */
const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let enqueued = 0;

let deps: ReturnType<typeof makeDeps>;
function makeDeps(capacity = { mediaconvert: 4, 'batch-gpu': 0 }) {
  const store = new DynamoJobStore(emu.dynamo, emu.tableName);
  const objects = new S3ObjectStore(emu.s3);
  const events = new EventBridgePublisher(new EventBridgeClient({ region, credentials }));
  const tokens = new StepFunctionsTaskTokens(new SFNClient({ region, credentials }));
  return {
    store,
    objects,
    events,
    tokens,
    clock,
    tierQueues: emu.tierQueues,
    defaultBackend: 'mediaconvert' as const,
    prober: new FfprobeProber({ timeoutMs: 20_000 }),
    queue: new SqsWorkQueue(emu.sqs, emu.tierQueues),
    encoders: {
      mediaconvert: new MediaConvertEncoder(new MediaConvertClient({ region, credentials }), { role: 'arn:aws:iam::123456789012:role/mc', queues: MC_QUEUES }),
      'batch-gpu': new BatchGpuEncoder(new BatchClient({ region, credentials }), { jobQueues: BATCH_QUEUES, jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/worker:1' }),
    },
    capacity,
    outputBucket: emu.outputBucket,
  };
}

const overrides = () => ({
  taskResourceLocalHandlers: {
    Analyze: (input: { jobId: string; bucket: string; key: string; version?: string; size?: number }) => analyzeUpload(deps, input),
    Enqueue: async (input: { QueueUrl: string; MessageBody: { taskToken: string } }) => {
      await emu.sqs.send(new SendMessageCommand({ QueueUrl: input.QueueUrl, MessageBody: JSON.stringify(input.MessageBody) }));
      enqueued += 1;
      return new Promise((resolve, reject) => waiting.set(input.MessageBody.taskToken, { resolve, reject }));
    },
    Verify: (input: { jobId: string }) => verifyOutputs(deps, input.jobId),
    Publish: (input: { jobId: string }) => publishJob(deps, input.jobId),
    Fallback: (input: { jobId: string; error: { Error?: string; Cause?: string } }) => fallBack(deps, input.jobId, input.error),
    RecordFailure: (input: { jobId: string; error: { Error?: string; Cause?: string } }) => recordFailure(deps, input.jobId, input.error),
  },
  retryIntervalOverrides: { Analyze: 0, Enqueue: 0, Verify: 0, Publish: 0, Fallback: 0, RecordFailure: 0 },
});

async function upload(key: string, body: Buffer, metadata: Record<string, string>) {
  const out = await emu.s3.send(new PutObjectCommand({ Bucket: emu.ingestBucket, Key: key, Body: body, Metadata: metadata }));
  return { bucket: emu.ingestBucket, key, version: out.VersionId ?? 'null', size: body.length };
}

function start(input: { bucket: string; key: string; version: string; size: number }) {
  const name = executionNameFor(input.bucket, input.key, input.version);
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: false } });
  const run = machine.run(input, { overrides: overrides() as never, context: { Execution: { Name: name, Input: input, StartTime: new Date(now).toISOString() }, State: { EnteredTime: new Date(now).toISOString() }, Task: { Token: `token-${name}` } } });
  return { name, run, result: run.result as Promise<Record<string, unknown>> };
}

async function until<T>(f: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mcEvent = (status: string, jobId: string, mcJobId: string, extra: Record<string, unknown> = {}) =>
  encoderStateChangeOf(encoderEventSchema.parse({ source: 'aws.mediaconvert', 'detail-type': 'MediaConvert Job State Change', time: new Date(now).toISOString(), detail: { status, jobId: mcJobId, userMetadata: { jobId }, ...extra } }))!;

/** Write the outputs MediaConvert would have written for the job (renditions, and the CMAF group's master playlist / MPD), and return their paths. */
async function fakeMediaConvertOutputs(jobId: string): Promise<{ outputs: string[]; playlists: string[] }> {
  const job = (await deps.store.get(jobId))!;
  const prefix = outputPrefixFor(emu.outputBucket, job, job.dispatch!.attempt);
  const outputs = job.renditions.map((r) => `${prefix}mp4/clip_${r.renditionId}.mp4`);
  for (const p of outputs) await deps.objects.writeText(p, 'mp4 bytes');
  const base = job.source.uri.slice(job.source.uri.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  const packaging = job.recipe!.packaging;
  const playlists = [...(packaging.includes('hls') ? [`${prefix}cmaf/${base}.m3u8`] : []), ...(packaging.includes('dash') ? [`${prefix}cmaf/${base}.mpd`] : [])];
  for (const p of playlists) await deps.objects.writeText(p, p.endsWith('.mpd') ? '<MPD/>' : '#EXTM3U');
  return { outputs, playlists };
}
const publishedDetail = () => JSON.parse(eb.commandCalls(PutEventsCommand).find((c) => c.args[0].input.Entries?.[0]?.DetailType === 'JobPublished')!.args[0].input.Entries![0]!.Detail!) as { manifests: unknown };

/** The Batch GPU worker's side of a dispatched attempt: it writes the outputs, HLS master and manifest, and Batch reports SUCCEEDED to Complete. */
async function finishOnBatch(job: Job): Promise<{ prefix: string; hlsMaster: string | undefined }> {
  const attempt = job.dispatch!.attempt;
  const prefix = outputPrefixFor(emu.outputBucket, job, attempt);
  const hlsMaster = job.recipe!.packaging.includes('hls') ? `${prefix}hls/master.m3u8` : undefined;
  const manifest: WorkerManifest = { jobId: job.id, attempt, gpu: true, renditions: job.renditions.map((r) => ({ renditionId: r.renditionId, outputs: [`${prefix}${r.renditionId}.mp4`], bytes: 9, wallSec: 3 })), ...(hlsMaster ? { hlsMaster } : {}) };
  for (const r of manifest.renditions) await deps.objects.writeText(r.outputs[0]!, 'mp4 bytes');
  if (hlsMaster) await deps.objects.writeText(hlsMaster, '#EXTM3U');
  await deps.objects.writeText(`${prefix}manifest.json`, JSON.stringify(manifest));
  const change = encoderStateChangeOf(encoderEventSchema.parse({ source: 'aws.batch', 'detail-type': 'Batch Job State Change', time: new Date(now).toISOString(), detail: { jobId: job.dispatch!.externalId, status: 'SUCCEEDED', container: { exitCode: 0, environment: [{ name: 'MARQUEE_JOB_ID', value: job.id }] } } }))!;
  expect(await completeEncode(deps, change)).toBe('succeeded');
  return { prefix, hlsMaster };
}

beforeAll(async () => {
  definition = stateMachineDefinition(synthMarquee().serviceTemplate).definition;
  // aws-local-stepfunctions resolves TimeoutSecondsPath/HeartbeatSecondsPath against the state's
  // Parameters output, not its input as Step Functions does; the paths are asserted in the CDK test.
  const enqueue = definition.States.Enqueue!;
  delete enqueue.TimeoutSecondsPath;
  delete enqueue.HeartbeatSecondsPath;
  enqueue.TimeoutSeconds = 3600;
  emu = await startEmulators({ visibilityTimeoutSec: 1 });
  dir = mkdtempSync(join(tmpdir(), 'mq-wf-'));
  await synthesizeClip('talking', join(dir, 'clip.mp4'), { width: 320, height: 180, durationSec: 1, audio: 'speech' });
  clipBytes = readFileSync(join(dir, 'clip.mp4'));
});
afterAll(async () => {
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let mcIds = 0;
beforeEach(() => {
  deps = makeDeps();
  for (const m of [mc, batch, sfn, eb]) m.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  mc.on(CreateJobCommand).callsFake(() => ({ Job: { Id: `mc-${++mcIds}` } }));
  batch.on(SubmitJobCommand).callsFake((input: { jobName: string }) => ({ jobId: `batch-${input.jobName}`, jobName: input.jobName, jobArn: 'arn' }));
  sfn.on(SendTaskSuccessCommand).callsFake((input: { taskToken: string; output: string }) => {
    waiting.get(input.taskToken)?.resolve(JSON.parse(input.output));
    waiting.delete(input.taskToken);
    return {};
  });
  sfn.on(SendTaskFailureCommand).callsFake((input: { taskToken: string; error: string; cause: string }) => {
    const e = new Error(input.cause);
    e.name = input.error;
    waiting.get(input.taskToken)?.reject(e);
    waiting.delete(input.taskToken);
    return {};
  });
  sfn.on(SendTaskHeartbeatCommand).resolves({});
});

const eventTypes = () => eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]?.DetailType);

describe('the encode workflow, offline', () => {
  it('happy path: analyses, queues by tier, dispatches to MediaConvert, completes, verifies and publishes', async () => {
    const input = await upload('uploads/star-show.mp4', clipBytes, { creatortier: 'star', expectedviews: '5000000', monetized: 'true', premium: 'true', title: 'Star show' });
    const before = enqueued;
    const exec = start(input);
    await until(() => enqueued > before, 'the job to be enqueued');
    const job = (await deps.store.get(exec.name))!;
    expect(job.status).toBe('QUEUED');
    expect(job.value?.tier).toBe('critical');
    expect(job.profile?.source).toMatchObject({ width: 320, height: 180 });

    const summary = await dispatchWork(deps);
    expect(summary.submitted).toEqual([{ jobId: exec.name, backend: 'mediaconvert', externalId: expect.stringMatching(/^mc-/), tier: 'critical' }]);
    const create = mc.commandCalls(CreateJobCommand)[0]!.args[0].input;
    expect(create).toMatchObject({ Queue: MC_QUEUES.critical, ClientRequestToken: `${exec.name}-a1`, UserMetadata: { jobId: exec.name, attempt: '1', tier: 'critical' } });
    expect(create.Priority).toBe(job.value!.levers.mediaConvertPriority);
    expect(create.Settings?.Inputs?.[0]?.FileInput).toBe(`s3://${emu.ingestBucket}/uploads/star-show.mp4`);

    now += 40_000;
    const externalId = (await deps.store.get(exec.name))!.dispatch!.externalId!;
    expect(await completeEncode(deps, mcEvent('STATUS_UPDATE', exec.name, externalId, { jobProgress: { jobPercentComplete: 50 } }))).toBe('progress');
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input.taskToken)).toContain(`token-${exec.name}`);
    const { outputs, playlists } = await fakeMediaConvertOutputs(exec.name);
    expect(playlists).not.toHaveLength(0);
    const groups = [{ type: 'CMAF_GROUP', playlistFilePaths: playlists }, { type: 'FILE_GROUP', outputDetails: outputs.map((p) => ({ outputFilePaths: [p] })) }];
    expect(await completeEncode(deps, mcEvent('COMPLETE', exec.name, externalId, { outputGroupDetails: groups }))).toBe('succeeded');
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.taskToken).toBe(`token-${exec.name}`);

    const result = await exec.result;
    expect(result.published).toMatchObject({ late: false });
    const done = (await deps.store.get(exec.name))!;
    expect(done.status).toBe('PUBLISHED');
    expect(done.renditions.map((r) => [r.status, r.outputs.length])).toEqual(done.renditions.map(() => ['done', 1]));
    expect(done.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'PUBLISHED']);
    expect(eventTypes()).toEqual(['JobQueued', 'JobPublished']);
    const manifests = { hls: playlists.find((p) => p.endsWith('.m3u8')), dash: playlists.find((p) => p.endsWith('.mpd')) };
    expect(done.manifests).toEqual(JSON.parse(JSON.stringify(manifests)));
    expect(publishedDetail().manifests).toEqual(done.manifests);
  });

  it('malformed upload: ends REJECTED with the probe reason recorded and a JobRejected event', async () => {
    const input = await upload('uploads/not-a-video.mp4', Buffer.from('this is not a video file at all'.repeat(20)), { creatortier: 'regular' });
    const exec = start(input);
    await expect(exec.result).rejects.toThrow(/not a readable media file/);
    const job = (await deps.store.get(exec.name))!;
    expect(job.status).toBe('REJECTED');
    expect(job.reason).toContain(`s3://${emu.ingestBucket}/uploads/not-a-video.mp4`);
    expect(job.reason).not.toMatch(/X-Amz|Signature/);
    expect(eventTypes()).toEqual(['JobRejected']);
    expect(mc.commandCalls(CreateJobCommand)).toHaveLength(0);
  });

  it('rejects invalid business metadata with the field named, before probing', async () => {
    const input = await upload('uploads/bad-meta.mp4', clipBytes, { expectedviews: 'lots' });
    const exec = start(input);
    await expect(exec.result).rejects.toThrow(/invalid metadata — expectedViews/);
    expect((await deps.store.get(exec.name))!.status).toBe('REJECTED');
  });

  it('encoder failure: retried once on MediaConvert, then falls back to Batch GPU and publishes', async () => {
    const input = await upload('uploads/flaky.mp4', clipBytes, { creatortier: 'partner', expectedviews: '20000' });
    let seen = enqueued;
    const exec = start(input);
    for (const attempt of [1, 2]) {
      await until(() => enqueued > seen, `enqueue ${attempt}`);
      seen = enqueued;
      await until(async () => (await dispatchWork(deps)).submitted.length > 0 || undefined, `dispatch ${attempt}`);
      const job = (await deps.store.get(exec.name))!;
      expect(job.dispatch).toMatchObject({ backend: 'mediaconvert', attempt });
      expect(await completeEncode(deps, mcEvent('ERROR', exec.name, job.dispatch!.externalId!, { errorCode: 1999, errorMessage: 'transcoder crashed' }))).toBe('retry');
    }
    deps.capacity['batch-gpu'] = 2;
    await until(() => enqueued > seen, 'enqueue after fallback');
    await until(async () => (await dispatchWork(deps)).submitted.length > 0 || undefined, 'dispatch to batch');
    const job = (await deps.store.get(exec.name))!;
    expect(job.dispatch).toMatchObject({ backend: 'batch-gpu', attempt: 3, tried: ['mediaconvert', 'batch-gpu'] });
    const submit = batch.commandCalls(SubmitJobCommand)[0]!.args[0].input;
    expect(submit.jobQueue).toBe(BATCH_QUEUES[job.value!.tier]);
    expect(submit.containerOverrides?.environment).toContainEqual({ name: 'MARQUEE_JOB_ID', value: exec.name });

    // The worker writes its outputs and manifest; Batch reports SUCCEEDED.
    const { hlsMaster } = await finishOnBatch(job);
    await exec.result;
    const done = (await deps.store.get(exec.name))!;
    expect(done.status).toBe('PUBLISHED');
    expect(mc.commandCalls(CreateJobCommand).map((c) => c.args[0].input.ClientRequestToken)).toEqual([`${exec.name}-a1`, `${exec.name}-a2`]);
    expect(done.decisions.some((d) => d.kind === 'backend' && d.action === 'fall back to batch-gpu')).toBe(true);
    expect(done.manifests).toEqual(hlsMaster ? { hls: hlsMaster } : undefined);
  });

  it('outputs that are not in the bucket: Verify fails, the title falls back to Batch GPU and publishes from there', async () => {
    const input = await upload('uploads/ghost-outputs.mp4', clipBytes, { creatortier: 'partner', expectedviews: '20000' });
    let seen = enqueued;
    const exec = start(input);
    await until(() => enqueued > seen, 'enqueue');
    seen = enqueued;
    await until(async () => (await dispatchWork(deps)).submitted.length > 0 || undefined, 'dispatch to MediaConvert');
    const first = (await deps.store.get(exec.name))!;
    // MediaConvert reports COMPLETE with paths, but nothing was written under them
    const prefix1 = outputPrefixFor(emu.outputBucket, first, 1);
    const ghosts = first.renditions.map((r) => `${prefix1}mp4/clip_${r.renditionId}.mp4`);
    expect(await completeEncode(deps, mcEvent('COMPLETE', exec.name, first.dispatch!.externalId!, { outputGroupDetails: [{ type: 'FILE_GROUP', outputDetails: ghosts.map((p) => ({ outputFilePaths: [p] })) }] }))).toBe('succeeded');

    deps.capacity['batch-gpu'] = 2;
    await until(() => enqueued > seen, 'enqueue after the failed Verify');
    await until(async () => (await dispatchWork(deps)).submitted.length > 0 || undefined, 'dispatch to batch');
    const job = (await deps.store.get(exec.name))!;
    expect(job.dispatch).toMatchObject({ backend: 'batch-gpu', tried: ['mediaconvert', 'batch-gpu'] });
    expect(job.history.map((h) => h.to)).toEqual(['RECEIVED', 'ANALYZED', 'QUEUED', 'ENCODING', 'VERIFYING', 'RETRYING', 'QUEUED', 'ENCODING']);
    expect(job.history.find((h) => h.to === 'RETRYING')?.reason).toContain('QcFailedError');

    const { prefix } = await finishOnBatch(job);
    await exec.result;
    const done = (await deps.store.get(exec.name))!;
    expect(done.status).toBe('PUBLISHED');
    expect(done.renditions.flatMap((r) => r.outputs).every((o) => o.startsWith(prefix))).toBe(true);
  });

  it('duplicate S3 event: the ingest handler starts one workflow, and a repeated Analyze keeps one job', async () => {
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:marquee';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'Marquee';
    const { handler } = await import('../../../functions/ingest/handler');
    const started = new Map<string, string>();
    sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
      if (started.has(input.name)) throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      started.set(input.name, input.input);
      return { executionArn: `arn:exec:${input.name}`, startDate: new Date() };
    });
    const input = await upload('uploads/dupe.mp4', clipBytes, { creatortier: 'regular' });
    const s3Event = (id: string) => ({ id, source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: input.bucket }, object: { key: input.key, size: input.size, 'version-id': input.version } } });
    const sqsEvent = { Records: ['e1', 'e2'].map((id, i) => ({ messageId: `m${i}`, receiptHandle: 'r', body: JSON.stringify(s3Event(id)), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ingest', awsRegion: region })) };
    const res = await handler(sqsEvent as never, { functionName: 'ingest', awsRequestId: 'req', getRemainingTimeInMillis: () => 30_000 } as never);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
    expect([...started.keys()]).toEqual([executionNameFor(input.bucket, input.key, input.version)]);

    const [name] = [...started.keys()];
    const order1 = await analyzeUpload(deps, { jobId: name!, ...input });
    const order2 = await analyzeUpload(deps, { jobId: name!, ...input });
    expect(order2).toEqual(order1);
    expect((await deps.store.listByStatus(['QUEUED'])).filter((j) => j.id === name)).toHaveLength(1);
    // Clean up: this job's queue message is left for the DLQ-free emulator; mark it failed so later dispatches drop it.
    await recordFailure(deps, name!, { Error: 'TestCleanup', Cause: 'not run' });
  });

  it('emergency bump: an escalated bulk job is dispatched first, to the critical MediaConvert queue', async () => {
    deps = makeDeps({ mediaconvert: 1, 'batch-gpu': 0 });
    const a = start(await upload('uploads/standard-a.mp4', clipBytes, { creatortier: 'partner', expectedviews: '50000' }));
    const b = start(await upload('uploads/bulk-b.mp4', clipBytes, { creatortier: 'new', expectedviews: '10' }));
    await until(async () => (await deps.store.get(a.name))?.status === 'QUEUED' && (await deps.store.get(b.name))?.status === 'QUEUED', 'both queued');
    const tierB = (await deps.store.get(b.name))!.value!.tier;
    expect(TIERS.indexOf(tierB)).toBeGreaterThan(TIERS.indexOf((await deps.store.get(a.name))!.value!.tier));
    const bumped = await escalateJob(deps, b.name, { tier: 'critical', reason: 'breaking news clip', by: 'arn:aws:iam::123456789012:user/editor' });
    expect(bumped?.value?.tier).toBe('critical');
    await new Promise((r) => setTimeout(r, 300));
    const summary = await until(async () => {
      const s = await dispatchWork(deps);
      return s.submitted.length > 0 ? s : undefined;
    }, 'a dispatch');
    expect(summary.submitted.map((x) => x.jobId)).toEqual([b.name]);
    const create = mc.commandCalls(CreateJobCommand).at(-1)!.args[0].input;
    expect(create.Queue).toBe(MC_QUEUES.critical);
    expect(create.Priority).toBeGreaterThan(0);
    expect(eventTypes()).toContain('JobEscalated');
    a.run.abort();
    b.run.abort();
    await Promise.allSettled([a.result, b.result]);
    for (const n of [a.name, b.name]) await recordFailure(deps, n, { Error: 'TestCleanup', Cause: 'aborted' });
  });

  it('deadline risk: the deadline watch switches a late queued job to a faster variant, and dispatch submits it faster', async () => {
    deps = makeDeps({ mediaconvert: 2, 'batch-gpu': 0 });
    const deadline = new Date(now + 20 * 60_000).toISOString();
    const exec = start(await upload('uploads/late.mp4', clipBytes, { creatortier: 'regular', deadline }));
    await until(async () => (await deps.store.get(exec.name))?.status === 'QUEUED', 'queued');
    const analysed = (await deps.store.get(exec.name))!;
    expect(analysed.recipe!.variants.length).toBeGreaterThan(1);
    // A long title: 20 min of predicted work (P50), 25 min at P90, against a 20-minute deadline.
    const queued = await deps.store.put({ ...analysed, prediction: { ...analysed.prediction!, wallSecP50: 1200, wallSecP90: 1500 } });
    // Five minutes pass in the queue: at the full-quality variant it cannot finish in time.
    now = queued.deadlineAt - 15 * 60_000;
    const watch = await watchDeadlines(deps);
    const action = watch.actions.find((x) => x.jobId === exec.name);
    expect(action?.steps).toContain('switch-variant');
    const switched = (await deps.store.get(exec.name))!;
    expect(switched.recipe!.activeVariant).toBeGreaterThan(0);
    expect(switched.decisions.some((d) => d.kind === 'deadline')).toBe(true);
    expect(eventTypes()).toContain('DeadlineAction');
    await new Promise((r) => setTimeout(r, 1100));
    await until(async () => (await dispatchWork(deps)).submitted.length > 0 || undefined, 'dispatch');
    const create = mc.commandCalls(CreateJobCommand).at(-1)!.args[0].input;
    const variant = switched.recipe!.variants[switched.recipe!.activeVariant]!;
    expect(create.AccelerationSettings?.Mode).toBe(variant.accelerated ? 'PREFERRED' : 'DISABLED');
    if (variant.presetOverride && ['veryfast', 'superfast', 'ultrafast'].includes(variant.presetOverride)) {
      const tuning = create.Settings!.OutputGroups!.flatMap((g) => g.Outputs!.filter((o) => o.VideoDescription).map((o) => o.VideoDescription!.CodecSettings?.H264Settings?.QualityTuningLevel));
      expect(new Set(tuning)).toEqual(new Set(['SINGLE_PASS']));
    }
    exec.run.abort();
    await Promise.allSettled([exec.result]);
    await recordFailure(deps, exec.name, { Error: 'TestCleanup', Cause: 'aborted' });
  });
});

