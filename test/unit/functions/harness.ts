/**
 * What the handler unit tests share: the environment the CDK stack gives a function, a Lambda
 * context, a jobs table behind a DynamoDB DocumentClient mock that enforces the conditional writes
 * like DynamoDB does, realistic events (SQS-wrapped EventBridge events, API Gateway proxy events)
 * and jobs planned by the real core.
 *
 * Handlers read their configuration at import: call `useLambdaEnv()` before `await import(handler)`.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { fromItem, toItem } from '../../../lib/aws/job-item';
import { newJob, transition } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import type { BusinessMetadata, Job, SourceInfo, Tier } from '../../../lib/core/types';
import { TIERS } from '../../../lib/core/types';
import { aMetadata, aProfile } from '../../helpers/factories';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const T0 = Date.parse('2031-03-01T12:00:00Z');

const byTier = (f: (t: Tier) => string) => Object.fromEntries(TIERS.map((t) => [t, f(t)])) as Record<Tier, string>;
export const TIER_QUEUES = byTier((t) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/marquee-${t}`);
export const MC_QUEUES = byTier((t) => `arn:aws:mediaconvert:${REGION}:${ACCOUNT}:queues/marquee-${t}`);
export const BATCH_QUEUES = byTier((t) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/marquee-${t}`);
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Marquee`;
export const MC_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/marquee-mediaconvert`;
export const JOB_DEFINITION = `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/marquee-worker:3`;

/** The environment of a deployed Marquee function (tracing, logs and EMF output off for tests). */
export function useLambdaEnv(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_SERVICE_NAME: 'marquee-test',
    POWERTOOLS_METRICS_NAMESPACE: 'Marquee',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    JOBS_TABLE: 'marquee-jobs',
    EVENT_BUS_NAME: 'default',
    OUTPUT_BUCKET: 'marquee-output',
    STATE_MACHINE_ARN,
    TIER_QUEUES: JSON.stringify(TIER_QUEUES),
    MEDIACONVERT_QUEUES: JSON.stringify(MC_QUEUES),
    MEDIACONVERT_ROLE_ARN: MC_ROLE_ARN,
    BATCH_JOB_QUEUES: JSON.stringify(BATCH_QUEUES),
    BATCH_JOB_DEFINITION: JOB_DEFINITION,
    CAPACITY: JSON.stringify({ mediaconvert: 2, 'batch-gpu': 1 }),
    ...extra,
  });
}

/** A Lambda context with an ample remaining time. */
export function lambdaContext(name = 'marquee-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2031/03/01/[$LATEST]abc',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The jobs table behind a DocumentClient mock: Get/Put/Query answered from memory, and Put's
 * condition enforced (`attribute_not_exists(id)` on create, `version = :expected` on update) so a
 * handler that writes without its condition, or with a stale version, is caught.
 */
export function jobsTable() {
  const ddb = mockClient(DynamoDBDocumentClient);
  const items = new Map<string, Record<string, unknown>>();
  const conflict = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
  ddb.on(GetCommand).callsFake((input: { Key: { id: string } }) => {
    const item = items.get(input.Key.id);
    return { Item: item ? structuredClone(item) : undefined };
  });
  ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> & { id: string }; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const current = items.get(input.Item.id);
    if (input.ConditionExpression === 'attribute_not_exists(id)') {
      if (current) throw conflict();
    } else if (input.ConditionExpression === 'attribute_exists(id) AND #v = :expected') {
      if (!current || current.version !== input.ExpressionAttributeValues?.[':expected']) throw conflict();
    } else {
      throw new Error(`unconditional or unknown write to the jobs table: ${input.ConditionExpression}`);
    }
    items.set(input.Item.id, structuredClone(input.Item));
    return {};
  });
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
    Items: [...items.values()].filter((i) => i.status === input.ExpressionAttributeValues[':s']).map((i) => structuredClone(i)),
  }));
  return {
    ddb,
    seed(...jobs: Job[]) {
      for (const j of jobs) items.set(j.id, structuredClone(toItem(j)) as unknown as Record<string, unknown>);
    },
    job(id: string): Job | undefined {
      const item = items.get(id);
      return item ? fromItem(structuredClone(item)) : undefined;
    },
    /** Empty the table and forget the calls (the behaviour stays). */
    clear() {
      items.clear();
      ddb.resetHistory();
    },
  };
}

/** A job analysed by the real core (value, recipe, prediction, allocation) and QUEUED at `at`. */
export function queuedJob(id: string, meta: Partial<BusinessMetadata> = {}, at = T0, source: Partial<SourceInfo> = {}): Job {
  const received = newJob({ id, source: { uri: `s3://marquee-ingest/uploads/${id}.mp4`, version: 'v1', sizeBytes: 5_000_000 }, metadata: aMetadata(meta), now: at });
  const planned = planJob(received, aProfile({}, source), { now: at, backend: 'mediaconvert' });
  return transition(planned, 'QUEUED', at, `sent to the ${planned.value?.tier} queue`);
}

/** A job submitted to an encoder (ENCODING) with its task token. */
export function encodingJob(id: string, backend: 'mediaconvert' | 'batch-gpu', externalId: string, taskToken: string, at = T0, meta: Partial<BusinessMetadata> = {}): Job {
  const queued = queuedJob(id, meta, at - 60_000);
  return transition(queued, 'ENCODING', at, `submitted to ${backend}`, { dispatch: { backend, externalId, taskToken, submittedAt: at, attempt: 1, tried: [backend], progress: 0 } });
}

/** An SQS batch whose bodies are the given EventBridge events (the EventBridge → SQS target). */
export function sqsBatch(bodies: unknown[], queue = 'marquee-events'): SQSEvent {
  return {
    Records: bodies.map((b, i) => ({
      messageId: `m-${i + 1}`,
      receiptHandle: `rh-${i + 1}`,
      body: typeof b === 'string' ? b : JSON.stringify(b),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T0), SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: String(T0) },
      messageAttributes: {},
      md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
      awsRegion: REGION,
    })),
  };
}

/** EventBridge `Object Created` from the ingest bucket (S3 → EventBridge notifications). */
export function s3ObjectCreated(key: string, over: { versionId?: string; size?: number; bucket?: string } = {}) {
  return {
    version: '0',
    id: `evt-${key}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: new Date(T0).toISOString(),
    region: REGION,
    resources: [`arn:aws:s3:::${over.bucket ?? 'marquee-ingest'}`],
    detail: {
      version: '0',
      bucket: { name: over.bucket ?? 'marquee-ingest' },
      object: { key, size: over.size ?? 5_160_000, etag: 'b1946ac92492d2347c6235b4d2611184', 'version-id': over.versionId ?? 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: ACCOUNT,
      reason: 'PutObject',
    },
  };
}

/** API Gateway REST (proxy integration) event, IAM-authorised. */
export function apiEvent(method: 'GET' | 'POST', id: string | undefined, body?: unknown, userArn = `arn:aws:iam::${ACCOUNT}:user/editor`): APIGatewayProxyEvent {
  const path = method === 'GET' ? `/jobs/${id}` : `/jobs/${id}/escalate`;
  return {
    resource: method === 'GET' ? '/jobs/{id}' : '/jobs/{id}/escalate',
    path,
    httpMethod: method,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: id === undefined ? null : { id },
    stageVariables: null,
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'a1b2c3',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { userArn, caller: 'AIDAEDITOR', user: 'AIDAEDITOR', accountId: ACCOUNT, sourceIp: '203.0.113.7', userAgent: 'curl/8', accessKey: 'AKIA', apiKey: null, apiKeyId: null, cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, principalOrgId: null, clientCert: null },
      path: `/v1${path}`,
      stage: 'v1',
      requestId: 'req-1',
      requestTimeEpoch: T0,
      resourceId: 'r1',
      resourcePath: method === 'GET' ? '/jobs/{id}' : '/jobs/{id}/escalate',
    },
  };
}
