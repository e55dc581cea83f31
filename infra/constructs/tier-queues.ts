import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TIERS, type Tier } from '../../lib/core/types';

export interface DurableQueueProps {
  key: IKey;
  visibilityTimeout: Duration;
  retentionPeriod?: Duration;
  maxReceiveCount?: number;
}

/** An encrypted, TLS-only queue with its own encrypted dead-letter queue and redrive policy. */
export class DurableQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DurableQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      dataKeyReuse: Duration.minutes(15),
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

/**
 * One work queue per value tier (critical, premium, standard, bulk), each with a DLQ. The state
 * machine sends a job reference with its task token; Dispatch drains them by the scheduling policy.
 */
export class TierQueues extends Construct {
  readonly byTier: Record<Tier, DurableQueue>;

  constructor(scope: Construct, id: string, props: { key: IKey; visibilityTimeout: Duration }) {
    super(scope, id);
    const entries = TIERS.map((tier) => [
      tier,
      new DurableQueue(this, tier[0]!.toUpperCase() + tier.slice(1), {
        key: props.key,
        visibilityTimeout: props.visibilityTimeout,
        retentionPeriod: Duration.days(14),
        // Dispatch puts back work it cannot place yet; a job is only dead after many real failures.
        maxReceiveCount: 50,
      }),
    ]);
    this.byTier = Object.fromEntries(entries) as Record<Tier, DurableQueue>;
  }

  get all(): DurableQueue[] {
    return TIERS.map((t) => this.byTier[t]);
  }
}
