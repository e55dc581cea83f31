import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { TIERS, type Tier } from '../../lib/core/types';
import type { MarqueeConfig } from '../config';
import { BatchGpu } from '../constructs/batch-gpu';
import { EncodeWorkflow } from '../constructs/encode-workflow';
import { MarqueeFunction } from '../constructs/marquee-function';
import { MediaConvertQueues } from '../constructs/mediaconvert';
import { Observability } from '../constructs/observability';
import { PriorityApi } from '../constructs/priority-api';
import { DurableQueue } from '../constructs/tier-queues';
import type { StatefulStack } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  config: MarqueeConfig;
  data: StatefulStack;
}

const require = createRequire(import.meta.url);
const byTier = <T>(f: (t: Tier) => T): Record<Tier, T> => Object.fromEntries(TIERS.map((t) => [t, f(t)])) as Record<Tier, T>;

/**
 * The code and the wiring: functions, the encode workflow, event rules, schedules, the priority API,
 * the encoders (MediaConvert queues, Batch GPU) and the dashboard/alarms. Redeploying it never
 * touches data.
 */
export class StatelessStack extends Stack {
  readonly functions: Record<string, MarqueeFunction>;
  readonly workflow: EncodeWorkflow;
  readonly batch: BatchGpu;
  readonly mediaConvert: MediaConvertQueues;
  readonly api: PriorityApi;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const tierQueueUrls = JSON.stringify(byTier((t) => data.tierQueues.byTier[t].queue.queueUrl));
    const common = { JOBS_TABLE: data.jobs.table.tableName, EVENT_BUS_NAME: bus.eventBusName };

    this.mediaConvert = new MediaConvertQueues(this, 'MediaConvert', { ingestObjectsArn: data.ingestObjectsArn, outputObjectsArn: data.outputObjectsArn, key: data.key });
    this.batch = new BatchGpu(this, 'BatchGpu', {
      instanceTypes: config.gpuInstanceTypes,
      maxVcpus: config.batchMaxVcpus,
      natGateways: config.natGateways,
      runnableTimeLimit: Duration.minutes(config.runnableTimeLimitMinutes),
      image: config.workerImage === 'ecr' ? { kind: 'ecr', repository: data.workerRepository, tag: config.workerImageTag } : { kind: 'asset' },
      environment: { JOBS_TABLE: data.jobs.table.tableName, OUTPUT_BUCKET: data.outputBucket.bucketName },
    });

    // The ffprobe layer: the static linux-x64 ffprobe from the npm package, at /opt/ffprobe.
    const ffprobeDir = dirname(require.resolve('@ffprobe-installer/linux-x64/package.json'));
    const ffprobeLayer = new lambda.LayerVersion(this, 'FfprobeLayer', {
      code: lambda.Code.fromAsset(ffprobeDir, { exclude: ['*.md', 'package.json'] }),
      compatibleArchitectures: [lambda.Architecture.X86_64],
      description: 'Static ffprobe (npm @ffprobe-installer/linux-x64) at /opt/ffprobe',
    });

    // Failed event deliveries (and failed scheduled invocations) land here rather than vanish.
    const delivery = new DurableQueue(this, 'EventDelivery', { key: data.key, visibilityTimeout: Duration.minutes(1) });

    const fn = (name: string, description: string, timeout: Duration, environment: Record<string, string>, extra: Partial<ConstructorParameters<typeof MarqueeFunction>[2]> = {}) =>
      new MarqueeFunction(this, `${name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Function`, { name, description, timeout, environment: { ...common, ...environment }, ...extra });

    const analyze = fn('analyze', 'Probe the upload, score value, choose recipe, predict, write the job', Duration.seconds(120), {
      TIER_QUEUES: tierQueueUrls,
      DEFAULT_BACKEND: config.defaultBackend,
      VALUE_POLICY: JSON.stringify(config.valuePolicy),
      MARQUEE_FFPROBE: '/opt/ffprobe',
    }, { layers: [ffprobeLayer], architecture: lambda.Architecture.X86_64, memorySize: 1024 });
    const workflowFn = fn('workflow', 'Workflow steps: verify outputs, publish, fall back to the other backend, record failure', Duration.seconds(30), {
      TIER_QUEUES: tierQueueUrls,
      OUTPUT_BUCKET: data.outputBucket.bucketName,
    });
    const ingest = fn('ingest', 'Start one workflow per uploaded object version (deterministic execution name)', Duration.seconds(30), {});
    const dispatch = fn('dispatch', 'Drain tier queues by the scheduling policy into MediaConvert or Batch within capacity', Duration.seconds(60), {
      TIER_QUEUES: tierQueueUrls,
      MEDIACONVERT_QUEUES: JSON.stringify(byTier((t) => this.mediaConvert.queues[t].attrArn)),
      MEDIACONVERT_ROLE_ARN: this.mediaConvert.role.roleArn,
      ...(config.mediaConvertEndpoint ? { MEDIACONVERT_ENDPOINT: config.mediaConvertEndpoint } : {}),
      BATCH_JOB_QUEUES: JSON.stringify(byTier((t) => this.batch.jobQueues[t].jobQueueArn)),
      BATCH_JOB_DEFINITION: this.batch.jobDefinition.jobDefinitionArn,
      OUTPUT_BUCKET: data.outputBucket.bucketName,
      CAPACITY: JSON.stringify({ mediaconvert: config.mediaConvertSlots, 'batch-gpu': config.batchSlots }),
    }, { reservedConcurrency: 1, deadLetterQueue: delivery.deadLetterQueue });
    const complete = fn('complete', 'Encoder state changes → progress, actual times, QC, answer the task token', Duration.seconds(30), { OUTPUT_BUCKET: data.outputBucket.bucketName });
    const deadlineWatch = fn('deadline-watch', 'Find jobs whose predicted finish passes their deadline and act', Duration.seconds(60), {}, { reservedConcurrency: 1, deadLetterQueue: delivery.deadLetterQueue });
    const priorityApi = fn('priority-api', 'Emergency bumps and job status (API Gateway, IAM auth)', Duration.seconds(10), {});
    this.functions = { analyze, workflow: workflowFn, ingest, dispatch, complete, deadlineWatch, priorityApi };

    // Data access, written out per function.
    for (const f of [analyze, workflowFn, dispatch, complete, deadlineWatch, priorityApi]) data.jobs.bindReadWrite(f.fn);
    for (const f of [analyze, workflowFn, dispatch, complete, deadlineWatch, priorityApi]) {
      f.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: [data.key.keyArn] }));
    }
    for (const f of [analyze, workflowFn, complete, deadlineWatch, priorityApi]) bus.grantPutEventsTo(f.fn);
    analyze.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [data.ingestObjectsArn] }));
    for (const f of [workflowFn, complete]) {
      f.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [data.outputBucket.bucketArn] }));
      f.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [data.outputObjectsArn] }));
    }
    dispatch.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // SendMessage: a preempted job's work goes back on its tier queue.
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
        resources: TIERS.map((t) => data.tierQueues.byTier[t].queue.queueArn),
      }),
    );
    dispatch.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['mediaconvert:CreateJob'], resources: TIERS.map((t) => this.mediaConvert.queues[t].attrArn) }));
    dispatch.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.mediaConvert.role.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'mediaconvert.amazonaws.com' } } }));
    dispatch.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:SubmitJob'], resources: [...TIERS.map((t) => this.batch.jobQueues[t].jobQueueArn), this.batch.jobDefinition.jobDefinitionArn] }));
    // Bounded preemption cancels the young encode whose slot a fast-lane job takes (job ids are not known in advance).
    dispatch.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['mediaconvert:CancelJob'], resources: [Stack.of(this).formatArn({ service: 'mediaconvert', resource: 'jobs', resourceName: '*' })] }));
    dispatch.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })] }));

    // The Batch worker reads the job and its source, writes outputs.
    data.jobs.bindRead(this.batch.jobRole);
    this.batch.jobRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [data.ingestObjectsArn] }));
    // GetObject too: a chunked encode's join job reads the chunks and chunk manifests its array children wrote.
    this.batch.jobRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [data.outputObjectsArn] }));
    this.batch.jobRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [data.key.keyArn] }));

    this.workflow = new EncodeWorkflow(this, 'EncodeWorkflow', {
      analyze: analyze.fn,
      workflow: workflowFn.fn,
      tierQueues: TIERS.map((t) => data.tierQueues.byTier[t].queue),
      key: data.key,
    });
    ingest.fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.stateMachine.stateMachineArn);
    ingest.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.workflow.stateMachine.stateMachineArn] }));
    for (const f of [dispatch, complete, deadlineWatch]) {
      f.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], resources: [this.workflow.stateMachine.stateMachineArn] }));
    }

    const targetOpts = { deadLetterQueue: delivery.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) };

    // Uploads: S3 Object Created → ingest buffer → ingest (StartExecution, name from bucket/key/version).
    new events.Rule(this, 'UploadCreated', {
      description: 'Object Created in the ingest bucket (sidecar manifests excluded)',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [data.ingestBucket.bucketName] }, object: { key: events.Match.anythingButSuffix('.marquee.json') } },
      },
      targets: [new targets.SqsQueue(data.ingestQueue.queue, targetOpts)],
    });
    ingest.fn.addEventSource(new SqsEventSource(data.ingestQueue.queue, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }));

    // Encoder state changes → completion buffer → complete.
    new events.Rule(this, 'MediaConvertStateChange', {
      eventPattern: { source: ['aws.mediaconvert'], detailType: ['MediaConvert Job State Change'], detail: { queue: TIERS.map((t) => this.mediaConvert.queues[t].attrArn) } },
      targets: [new targets.SqsQueue(data.completionQueue.queue, targetOpts)],
    });
    new events.Rule(this, 'BatchStateChange', {
      eventPattern: { source: ['aws.batch'], detailType: ['Batch Job State Change'], detail: { jobQueue: TIERS.map((t) => this.batch.jobQueues[t].jobQueueArn) } },
      targets: [new targets.SqsQueue(data.completionQueue.queue, targetOpts)],
    });
    complete.fn.addEventSource(new SqsEventSource(data.completionQueue.queue, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }));

    // Every minute: dispatch and deadline watch.
    new events.Rule(this, 'EveryMinute', {
      description: 'Dispatch and deadline watch tick',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(dispatch.fn, targetOpts), new targets.LambdaFunction(deadlineWatch.fn, targetOpts)],
    });

    this.api = new PriorityApi(this, 'PriorityApi', { handler: priorityApi.fn });

    this.observability = new Observability(this, 'Observability', {
      tierQueues: byTier((t) => data.tierQueues.byTier[t].queue),
      deadLetterQueues: {
        ...Object.fromEntries(TIERS.map((t) => [t, data.tierQueues.byTier[t].deadLetterQueue])),
        ingest: data.ingestQueue.deadLetterQueue,
        completion: data.completionQueue.deadLetterQueue,
        delivery: delivery.deadLetterQueue,
      },
      stateMachine: this.workflow.stateMachine,
      functions: Object.fromEntries(Object.entries(this.functions).map(([k, v]) => [k, v.fn])),
      key: data.key,
      alarmEmail: config.alarmEmail,
    });
  }
}
