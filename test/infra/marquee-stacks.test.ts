import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import validator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, readConfig } from '../../infra/config';
import { TIERS } from '../../lib/core/types';
import { stateMachineDefinition, synthMarquee, type AslDefinition, type Synthesised } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const resourcesOf = (t: Synthesised['dataTemplate']): Resources => (t.toJSON() as { Resources: Resources }).Resources;
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, v]) => v.Type === type);

let s: Synthesised;
let all: Resources;
let definition: AslDefinition;

beforeAll(() => {
  s = synthMarquee();
  all = { ...resourcesOf(s.dataTemplate), ...resourcesOf(s.serviceTemplate) };
  definition = stateMachineDefinition(s.serviceTemplate).definition;
});

describe('the encode workflow', () => {
  it('is a valid Amazon States Language definition', () => {
    const { isValid, errorsText } = validator(definition);
    expect(isValid, errorsText()).toBe(true);
  });

  it('gives every Task state a Retry and a Catch', () => {
    const tasks = Object.entries(definition.States).filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual(['Analyze', 'Enqueue', 'Fallback', 'Publish', 'RecordFailure', 'Verify']);
    for (const [name, st] of tasks) {
      expect(st.Retry?.length, `${name} Retry`).toBeGreaterThan(0);
      expect(st.Catch?.length, `${name} Catch`).toBeGreaterThan(0);
    }
  });

  it('retries only named transient errors, with backoff and full jitter (everything else fails fast)', () => {
    for (const [name, st] of Object.entries(definition.States).filter(([, x]) => x.Type === 'Task')) {
      for (const r of st.Retry ?? []) {
        expect(r.ErrorEquals, name).not.toContain('States.ALL');
        expect(r.JitterStrategy, name).toBe('FULL');
        expect(r.BackoffRate ?? 2, name).toBeGreaterThan(1);
      }
    }
  });

  it('waits on the tier queue with a task token, heartbeat and timeout from the analysis', () => {
    const enqueue = definition.States.Enqueue!;
    expect(enqueue.Resource).toBe('arn:aws:states:::sqs:sendMessage.waitForTaskToken');
    expect(enqueue).toMatchObject({ HeartbeatSecondsPath: '$.analysis.heartbeatSec', TimeoutSecondsPath: '$.analysis.timeoutSec' });
    expect(JSON.stringify(enqueue.Parameters)).toContain('$$.Task.Token');
    expect(enqueue.Catch!.find((c) => c.ErrorEquals.includes('EncodeFailed'))?.Next).toBe('Fallback');
  });

  it('sends a title whose reported outputs fail Verify to the other backend, and any other Verify error to RecordFailure', () => {
    const verify = definition.States.Verify!;
    expect(verify.Catch!.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['QcFailedError'], 'Fallback'],
      [['States.ALL'], 'RecordFailure'],
    ]);
  });

  it('ends a rejected upload and a failed job in Fail states that carry the cause', () => {
    expect(definition.States.Rejected).toMatchObject({ Type: 'Fail', Error: 'UploadRejected', CausePath: '$.analysis.reason' });
    expect(definition.States.Failed).toMatchObject({ Type: 'Fail', Error: 'JobFailed' });
  });

  it('is a Standard state machine with ALL logging and X-Ray', () => {
    s.serviceTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });
});

describe('data', () => {
  it('blocks public access, encrypts, and denies non-TLS requests on every bucket', () => {
    const buckets = ofType(all, 'AWS::S3::Bucket');
    expect(buckets.length).toBe(3);
    for (const [, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.BucketEncryption).toBeDefined();
    }
    const policies = ofType(all, 'AWS::S3::BucketPolicy');
    expect(policies.length).toBe(buckets.length);
    for (const [, p] of policies) {
      const statements = (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  it('sends ingest bucket events to EventBridge and ages uploads out', () => {
    s.dataTemplate.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'uploads-age-out', ExpirationInDays: 365 })]) },
    });
  });

  it('gives every work queue a DLQ with a redrive policy, all encrypted', () => {
    const queues = ofType(all, 'AWS::SQS::Queue');
    const dlqArns = new Set(queues.map(([, q]) => JSON.stringify((q.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn)).filter((x) => x !== undefined));
    const withRedrive = queues.filter(([, q]) => q.Properties.RedrivePolicy);
    expect(withRedrive.length).toBe(TIERS.length + 3); // tiers + ingest + completions + event delivery
    for (const [id, q] of queues) {
      expect(q.Properties.KmsMasterKeyId, id).toBeDefined();
      const isDlq = [...dlqArns].some((a) => a.includes(id));
      expect(isDlq || Boolean(q.Properties.RedrivePolicy), `${id} has a DLQ or is one`).toBe(true);
    }
  });

  it('keeps Lambda timeouts below the visibility timeout of the queues they consume', () => {
    const sources = ofType(all, 'AWS::Lambda::EventSourceMapping');
    expect(sources.length).toBe(2);
    for (const [, m] of sources) {
      expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const fnId = (m.Properties.FunctionName as { Ref: string }).Ref;
      const timeout = all[fnId]!.Properties.Timeout as number;
      const visibility = [s.data.ingestQueue, s.data.completionQueue].map((q) => q.queue.node.defaultChild as { visibilityTimeout?: number });
      for (const v of visibility) expect(timeout).toBeLessThan(v.visibilityTimeout!);
    }
  });

  it('stores jobs with PITR, a customer key and the status+deadline and tier indexes', () => {
    s.dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byStatusDeadline', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'deadlineAt', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'byTierCreated', KeySchema: [{ AttributeName: 'tier', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }] }),
      ],
    });
  });
});

describe('encoders', () => {
  it('has one on-demand MediaConvert queue per tier', () => {
    s.serviceTemplate.resourceCountIs('AWS::MediaConvert::Queue', TIERS.length);
    s.serviceTemplate.hasResourceProperties('AWS::MediaConvert::Queue', { PricingPlan: 'ON_DEMAND' });
  });

  it('runs Batch on GPU spot with an on-demand fallback, tiered job queues and RUNNABLE time limits', () => {
    s.serviceTemplate.hasResourceProperties('AWS::Batch::ComputeEnvironment', { ComputeResources: Match.objectLike({ Type: 'SPOT', AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED', InstanceTypes: Match.arrayWith(['g4dn.xlarge', 'g5.xlarge']) }) });
    s.serviceTemplate.hasResourceProperties('AWS::Batch::ComputeEnvironment', { ComputeResources: Match.objectLike({ Type: 'EC2' }) });
    const queues = ofType(all, 'AWS::Batch::JobQueue').map(([, q]) => q.Properties);
    expect(queues.map((q) => q.Priority)).toEqual([1000, 500, 100, 10]);
    for (const q of queues) {
      expect(q.ComputeEnvironmentOrder).toHaveLength(2);
      expect(q.JobStateTimeLimitActions).toContainEqual(expect.objectContaining({ State: 'RUNNABLE', Action: 'CANCEL', Reason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY' }));
    }
  });

  it('defines the GPU worker from the ECR repository (no Docker at synth), retrying spot reclaims and interrupted exits', () => {
    s.serviceTemplate.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ ResourceRequirements: Match.arrayWith([{ Type: 'GPU', Value: '1' }]), Image: Match.anyValue() }),
      RetryStrategy: Match.objectLike({ EvaluateOnExit: Match.arrayWith([Match.objectLike({ OnExitCode: '75', Action: 'RETRY' })]) }),
    });
  });
});

describe('events, API and alarms', () => {
  it('starts workflows from S3 Object Created through a buffered starter, and feeds encoder state changes to Complete', () => {
    s.serviceTemplate.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.s3'], 'detail-type': ['Object Created'] }) });
    s.serviceTemplate.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.mediaconvert'], 'detail-type': ['MediaConvert Job State Change'] }) });
    s.serviceTemplate.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.batch'], 'detail-type': ['Batch Job State Change'] }) });
    s.serviceTemplate.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: Match.arrayWith([Match.objectLike({ DeadLetterConfig: Match.anyValue() })]) });
  });

  it('uses IAM auth and request validation on every API method', () => {
    const methods = ofType(all, 'AWS::ApiGateway::Method');
    expect(methods.length).toBe(2);
    for (const [, m] of methods) {
      expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(m.Properties.RequestValidatorId).toBeDefined();
    }
    s.serviceTemplate.hasResourceProperties('AWS::ApiGateway::Model', { Schema: Match.objectLike({ required: ['reason'], additionalProperties: false }) });
  });

  it('writes no IAM action wildcards in any policy', () => {
    const actions: string[] = [];
    for (const [, p] of ofType(all, 'AWS::IAM::Policy')) {
      for (const st of (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement) actions.push(...[st.Action].flat());
    }
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('alarms on every DLQ and on deadline misses, into an encrypted topic', () => {
    const alarms = ofType(all, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(TIERS.length + 3);
    expect(alarms.some((a) => a.MetricName === 'DeadlineMissed' && a.Namespace === 'Marquee')).toBe(true);
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    s.serviceTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    s.serviceTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions or Serverless findings, and every acknowledgement has a reason', () => {
    // As CDK's validation does at synth: a finding is acknowledged by `<pack>::<rule>` on the resource or an ancestor.
    const byPath = new Map(s.app.node.findAll().map((c) => [c.node.path, c]));
    const acknowledged = (path: string, id: string): boolean => {
      for (let c: IConstruct | undefined = byPath.get(path); c; c = c.node.scope) {
        if (c.node.metadata.some((m) => m.type === 'aws:cdk:acknowledged-rules' && id in (m.data as object))) return true;
      }
      return false;
    };
    const packs = [new AwsSolutionsChecks(s.app), new ServerlessChecks(s.app)];
    const open = packs.flatMap((p) =>
      p.validateScope(s.app).violations.flatMap((v) => v.violatingResources.filter((r) => !acknowledged(r.constructPath ?? '', `${p.readPackName}::${v.ruleName}`)).map((r) => `${v.ruleName} @ ${r.constructPath}`)),
    );
    const total = packs.reduce((n, p) => n + p.validateScope(s.app).violations.length, 0);
    expect(total, 'the packs did run and find acknowledged rules').toBeGreaterThan(5);
    expect(open).toEqual([]);
    const acks = s.app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Record<string, string>));
    const entries = acks.flatMap((a) => Object.entries(a)).filter(([id]) => /^(AwsSolutions|Serverless)::/.test(id));
    expect(entries.length).toBeGreaterThan(10);
    for (const [id, reason] of entries) {
      expect(id).toMatch(/^(AwsSolutions::AwsSolutions|Serverless::Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
      expect(String(reason).length, id).toBeGreaterThan(30);
    }
  });
});

describe('configuration', () => {
  it('fills defaults and names the context key of a bad value', () => {
    expect(readConfig(() => undefined).deadlineMinutes.critical).toBe(30);
    expect(() => readConfig((k) => (k === 'marquee:gpuInstanceTypes' ? 'm5.large' : undefined))).toThrow(InvalidConfigError);
    expect(() => readConfig((k) => (k === 'marquee:batchSlots' ? '-1' : undefined))).toThrow(/marquee:batchSlots/);
  });
});
