import { join } from 'node:path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TIERS, type Tier } from '../../lib/core/types';
import { WORKER_EXIT } from '../../lib/aws/worker-exit';
import { PROJECT_ROOT } from './marquee-function';

/** Batch job-queue priority per tier (higher is scheduled first when queues share capacity). */
export const BATCH_QUEUE_PRIORITY: Record<Tier, number> = { critical: 1000, premium: 500, standard: 100, bulk: 10 };

export interface BatchGpuProps {
  instanceTypes: string[];
  maxVcpus: number;
  natGateways: number;
  runnableTimeLimit: Duration;
  /** `ecr`: the repository + tag; `asset`: build functions/batch-worker/Dockerfile at deploy (Docker needed then, not at synth). */
  image: { kind: 'ecr'; repository: ecr.IRepository; tag: string } | { kind: 'asset' };
  environment: Record<string, string>;
}

/**
 * ffmpeg on GPU: a VPC (private subnets, flow logs), an ECS GPU compute environment on spot
 * (price-capacity-optimised over NVENC instance families) with an on-demand one behind it, one job
 * queue per tier with descending priority and a RUNNABLE time limit, and the worker job definition
 * (1 GPU, retried on spot reclaim and on the worker's "interrupted" exit code).
 */
export class BatchGpu extends Construct {
  readonly vpc: ec2.Vpc;
  readonly jobQueues: Record<Tier, batch.JobQueue>;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly jobRole: iam.Role;

  constructor(scope: Construct, id: string, props: BatchGpuProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'workers', subnetType: props.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 }, DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT });

    const securityGroup = new ec2.SecurityGroup(this, 'WorkerSg', { vpc: this.vpc, description: 'Marquee GPU workers: egress only', allowAllOutbound: true });
    const instanceTypes = props.instanceTypes.map((t) => new ec2.InstanceType(t));
    const common = {
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: 'workers' },
      securityGroups: [securityGroup],
      instanceTypes,
      useOptimalInstanceClasses: false,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA }],
      maxvCpus: props.maxVcpus,
      minvCpus: 0,
      updateToLatestImageVersion: true,
    };
    const spot = new batch.ManagedEc2EcsComputeEnvironment(this, 'SpotGpu', {
      ...common,
      spot: true,
      allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
    });
    const onDemand = new batch.ManagedEc2EcsComputeEnvironment(this, 'OnDemandGpu', {
      ...common,
      allocationStrategy: batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
    });

    const entries = TIERS.map((tier) => [
      tier,
      new batch.JobQueue(this, `${tier}Queue`, {
        priority: BATCH_QUEUE_PRIORITY[tier],
        computeEnvironments: [
          { computeEnvironment: spot, order: 1 },
          { computeEnvironment: onDemand, order: 2 },
        ],
        jobStateTimeLimitActions: [
          {
            action: batch.JobStateTimeLimitActionsAction.CANCEL,
            maxTime: props.runnableTimeLimit,
            reason: batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
            state: batch.JobStateTimeLimitActionsState.RUNNABLE,
          },
          {
            action: batch.JobStateTimeLimitActionsAction.CANCEL,
            maxTime: props.runnableTimeLimit,
            reason: batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
            state: batch.JobStateTimeLimitActionsState.RUNNABLE,
          },
          {
            action: batch.JobStateTimeLimitActionsAction.CANCEL,
            maxTime: Duration.minutes(10),
            reason: batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
            state: batch.JobStateTimeLimitActionsState.RUNNABLE,
          },
        ],
      }),
    ]);
    this.jobQueues = Object.fromEntries(entries) as Record<Tier, batch.JobQueue>;

    this.jobRole = new iam.Role(this, 'JobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Marquee GPU worker: read source, write outputs, update the job' });
    const logGroup = new logs.LogGroup(this, 'WorkerLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const executionRole = new iam.Role(this, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Marquee GPU worker: pull image, write logs' });
    executionRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`] }));
    const image =
      props.image.kind === 'ecr'
        ? ecs.ContainerImage.fromEcrRepository(props.image.repository, props.image.tag)
        : ecs.ContainerImage.fromAsset(PROJECT_ROOT, { file: join('functions', 'batch-worker', 'Dockerfile'), exclude: ['node_modules', 'cdk.out', 'coverage', '.git', 'bench/results'] });
    if (props.image.kind === 'ecr') props.image.repository.grantPull(executionRole);

    this.jobDefinition = new batch.EcsJobDefinition(this, 'Worker', {
      container: new batch.EcsEc2ContainerDefinition(this, 'WorkerContainer', {
        image,
        cpu: 4,
        memory: Size.gibibytes(14),
        gpu: 1,
        jobRole: this.jobRole,
        executionRole,
        environment: { ...props.environment, AWS_REGION: Stack.of(this).region },
        logging: ecs.LogDriver.awsLogs({ logGroup, streamPrefix: 'worker' }),
        readonlyRootFilesystem: false,
      }),
      // Spot reclaim and the worker's own "interrupted" exit are retried; input errors are not.
      retryAttempts: 3,
      retryStrategies: [
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onExitCode: String(WORKER_EXIT.interrupted) })),
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onExitCode: '*' })),
      ],
      timeout: Duration.hours(6),
      propagateTags: true,
    });
  }
}
