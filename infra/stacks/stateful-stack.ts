import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { MarqueeConfig } from '../config';
import { JobsTable } from '../constructs/jobs-table';
import { SecureBucket } from '../constructs/secure-bucket';
import { DurableQueue, TierQueues } from '../constructs/tier-queues';

export interface StatefulStackProps extends StackProps {
  config: MarqueeConfig;
}

/**
 * Everything that holds data and must survive a redeploy of the code: the data key, the ingest and
 * output buckets (plus their access-log bucket), the jobs table, the tier queues and the two
 * event-buffer queues (ingest starts, encoder completions), and the worker image repository.
 */
export class StatefulStack extends Stack {
  readonly key: kms.Key;
  readonly logsBucket: s3.Bucket;
  readonly ingestBucket: s3.Bucket;
  readonly outputBucket: s3.Bucket;
  readonly jobs: JobsTable;
  readonly tierQueues: TierQueues;
  readonly ingestQueue: DurableQueue;
  readonly completionQueue: DurableQueue;
  readonly workerRepository: ecr.Repository;
  /** Object ARNs (`arn:…:bucket/*`) exported under stable names, so consumers' IAM findings have stable ids. */
  readonly ingestObjectsArn: string;
  readonly outputObjectsArn: string;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retain = config.retainData;

    this.key = new kms.Key(this, 'DataKey', {
      description: 'Marquee data key: ingest bucket, jobs table, queues',
      enableKeyRotation: true,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // EventBridge delivers S3 and encoder events into the encrypted buffer queues.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToEncryptedQueues',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    this.logsBucket = new SecureBucket(this, 'AccessLogs', { retain, lifecycle: { transitionDays: 30, expirationDays: 400 } }).bucket;
    this.ingestBucket = new SecureBucket(this, 'Ingest', {
      encryptionKey: this.key,
      accessLogs: this.logsBucket,
      eventBridge: true,
      versioned: true,
      lifecycle: { transitionDays: config.uploadTransitionDays, expirationDays: config.uploadExpirationDays },
      retain,
    }).bucket;
    this.outputBucket = new SecureBucket(this, 'Output', { accessLogs: this.logsBucket, retain }).bucket;

    this.ingestObjectsArn = this.exportValue(this.ingestBucket.arnForObjects('*'), { name: `${this.stackName}-IngestObjectsArn` });
    this.outputObjectsArn = this.exportValue(this.outputBucket.arnForObjects('*'), { name: `${this.stackName}-OutputObjectsArn` });

    this.jobs = new JobsTable(this, 'Jobs', { key: this.key, retain });
    // Dispatch holds a message for at most its 60 s timeout; 5 minutes leaves room for retries.
    this.tierQueues = new TierQueues(this, 'TierQueues', { key: this.key, visibilityTimeout: Duration.minutes(5) });
    // Ingest and Complete consumers run ≤ 30 s; the visibility timeout is 6× that (AWS guidance).
    this.ingestQueue = new DurableQueue(this, 'IngestEvents', { key: this.key, visibilityTimeout: Duration.minutes(3), maxReceiveCount: 5 });
    this.completionQueue = new DurableQueue(this, 'EncoderEvents', { key: this.key, visibilityTimeout: Duration.minutes(3), maxReceiveCount: 5 });

    this.workerRepository = new ecr.Repository(this, 'WorkerImages', {
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.MUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: this.key,
      lifecycleRules: [{ description: 'keep the last 20 images', maxImageCount: 20 }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
