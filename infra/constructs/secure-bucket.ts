import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /** Customer-managed key; S3-managed encryption when absent (CDN-facing output). */
  encryptionKey?: IKey;
  /** Where server access logs go; none for the log bucket itself. */
  accessLogs?: s3.IBucket;
  accessLogsPrefix?: string;
  /** Send every object event to EventBridge (the ingest bucket). */
  eventBridge?: boolean;
  /** Upload lifecycle: move to Infrequent Access, then expire. */
  lifecycle?: { transitionDays: number; expirationDays: number };
  retain: boolean;
  versioned?: boolean;
}

/**
 * A bucket with the defaults Marquee never turns off: public access blocked, TLS-only bucket policy
 * (TLS ≥ 1.2), encryption, owner-enforced object ownership, abandoned multipart uploads cleaned up.
 */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const rules: s3.LifecycleRule[] = [{ id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(2) }];
    if (props.lifecycle) {
      rules.push({
        id: 'uploads-age-out',
        transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(props.lifecycle.transitionDays) }],
        expiration: Duration.days(props.lifecycle.expirationDays),
        noncurrentVersionExpiration: Duration.days(30),
      });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogs ? (props.accessLogsPrefix ?? `${id.toLowerCase()}/`) : undefined,
      lifecycleRules: rules,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    if (props.eventBridge) {
      // Set on the L1 rather than `eventBridgeEnabled`, which adds a notifications custom-resource Lambda.
      (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled', true);
    }
  }
}
