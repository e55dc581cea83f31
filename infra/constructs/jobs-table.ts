import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { JOBS_TABLE_INDEXES } from '../../lib/aws/job-item';

/**
 * The jobs table: one typed item per job (see lib/aws/job-item.ts), partition key `id`; GSIs
 * `status`+`deadlineAt` (the deadline watch and in-flight counts) and `tier`+`createdAt`.
 * Point-in-time recovery, customer-managed encryption, on-demand capacity.
 */
export class JobsTable extends Construct {
  readonly table: dynamodb.Table;

  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: { key: IKey; retain: boolean }) {
    super(scope, id);
    this.key = props.key;
    // Table (not TableV2): TableV2 cannot render a customer-managed key in a region-agnostic stack.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: JOBS_TABLE_INDEXES.statusDeadline,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'deadlineAt', type: dynamodb.AttributeType.NUMBER },
    });
    this.table.addGlobalSecondaryIndex({
      indexName: JOBS_TABLE_INDEXES.tierCreated,
      partitionKey: { name: 'tier', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  /** Read jobs (get + index queries). */
  bindRead(grantee: IGrantable): void {
    this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:Query'], ['kms:Decrypt']);
  }

  /** Read and write jobs with conditional puts (no deletes, no scans). */
  bindReadWrite(grantee: IGrantable): void {
    this.grant(grantee, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'], ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
  }

  private grant(grantee: IGrantable, actions: string[], keyActions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions, resources: [this.table.tableArn, `${this.table.tableArn}/index/${JOBS_TABLE_INDEXES.statusDeadline}`, `${this.table.tableArn}/index/${JOBS_TABLE_INDEXES.tierCreated}`] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: keyActions, resources: [this.key.keyArn] }));
  }
}
