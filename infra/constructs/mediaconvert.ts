import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as mediaconvert from 'aws-cdk-lib/aws-mediaconvert';
import { Construct } from 'constructs';
import { TIERS, type Tier } from '../../lib/core/types';

export interface MediaConvertProps {
  /** `arn:…:bucket/*` of the uploads and of the outputs. */
  ingestObjectsArn: string;
  outputObjectsArn: string;
  key: IKey;
}

/**
 * MediaConvert: the role jobs run as (read the upload, write the outputs; nothing else) and one
 * on-demand queue per tier, so a critical title never waits behind bulk work in the default queue.
 * The endpoint is the SDK's regional default (DescribeEndpoints is no longer needed), overridable
 * with the `marquee:mediaConvertEndpoint` context key.
 */
export class MediaConvertQueues extends Construct {
  readonly role: iam.Role;
  readonly queues: Record<Tier, mediaconvert.CfnQueue>;

  constructor(scope: Construct, id: string, props: MediaConvertProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('mediaconvert.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'MediaConvert jobs of Marquee: read uploads, write renditions',
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [props.ingestObjectsArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.outputObjectsArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.key.keyArn] }));
    const entries = TIERS.map((tier) => [
      tier,
      new mediaconvert.CfnQueue(this, `${tier}Queue`, {
        name: `${Stack.of(this).stackName}-${tier}`,
        description: `Marquee ${tier} tier`,
        pricingPlan: 'ON_DEMAND',
        status: 'ACTIVE',
      }),
    ]);
    this.queues = Object.fromEntries(entries) as Record<Tier, mediaconvert.CfnQueue>;
  }
}
