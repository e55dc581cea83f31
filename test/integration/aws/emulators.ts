/**
 * In-process AWS emulators for adapter and workflow tests: dynalite (DynamoDB), local-aws-sqs (SQS)
 * and s3rver (S3), on 127.0.0.1 with random ports, plus SDK clients pointed at them.
 */
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { JOBS_TABLE_INDEXES } from '../../../lib/aws/job-item';
import type { S3ObjectStore } from '../../../lib/aws/object-store';
import { TIERS, type Tier } from '../../../lib/core/types';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';

export interface Emulators {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  s3: S3Client;
  tableName: string;
  tierQueues: Record<Tier, string>;
  tierDlqs: Record<Tier, string>;
  ingestBucket: string;
  outputBucket: string;
  stop(): Promise<void>;
}

export async function createJobsTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'deadlineAt', AttributeType: 'N' },
        { AttributeName: 'tier', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        { IndexName: JOBS_TABLE_INDEXES.statusDeadline, KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'deadlineAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: JOBS_TABLE_INDEXES.tierCreated, KeySchema: [{ AttributeName: 'tier', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    }),
  );
}

const listen = (server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => AddressInfo | string | null }) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

export async function startEmulators(opts: { maxReceiveCount?: number; visibilityTimeoutSec?: number } = {}): Promise<Emulators> {
  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynPort = await listen(dyn);
  const dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynPort}`, region, credentials });
  const tableName = 'jobs';
  await createJobsTable(dynamo, tableName);

  const sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const sqsPort = (sqsServer.address() as AddressInfo).port;
  const sqs = new SQSClient({ endpoint: `http://127.0.0.1:${sqsPort}`, region, credentials });
  const tierQueues = {} as Record<Tier, string>;
  const tierDlqs = {} as Record<Tier, string>;
  for (const tier of TIERS) {
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${tier}-dlq` }))).QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    tierDlqs[tier] = dlq;
    tierQueues[tier] = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: tier,
          Attributes: { VisibilityTimeout: String(opts.visibilityTimeoutSec ?? 300), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: opts.maxReceiveCount ?? 5 }) },
        }),
      )
    ).QueueUrl!;
  }

  const dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  const s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port: s3Port } = (await s3server.run()) as AddressInfo;
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${s3Port}`, region, credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const ingestBucket = 'ingest';
  const outputBucket = 'output';
  for (const b of [ingestBucket, outputBucket]) await s3.send(new CreateBucketCommand({ Bucket: b }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: ingestBucket, VersioningConfiguration: { Status: 'Enabled' } })).catch(() => undefined);

  return {
    dynamo,
    sqs,
    s3,
    tableName,
    tierQueues,
    tierDlqs,
    ingestBucket,
    outputBucket,
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      s3.destroy();
      await new Promise<void>((r) => dyn.close(() => r()));
      await new Promise<void>((r) => (sqsServer as unknown as { close: (cb: () => void) => void }).close(() => r()));
      await s3server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The object store, with `ctl` aborted right after the first source download finishes: a SIGTERM
 * that lands as the encode starts, at a deterministic point (a timer raced short encodes).
 */
export function abortAfterDownload(objects: S3ObjectStore, ctl: AbortController): S3ObjectStore {
  return new Proxy(objects, {
    get(target, key, receiver) {
      if (key === 'download')
        return async (...args: Parameters<typeof objects.download>) => {
          await target.download(...args);
          ctl.abort();
        };
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
