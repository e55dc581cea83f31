/**
 * cdk-nag acknowledgements (cdk-nag v3: `Validations.of(scope).acknowledge`). Each one names the rule
 * (IAM4/IAM5 per finding, never wholesale) and the reason it is accepted.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MarqueeStacks } from './marquee';

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
const AS = (rule: string) => `AwsSolutions::AwsSolutions-${rule}`;
const SL = (rule: string) => `Serverless::Serverless-${rule}`;

/** `<LogicalId.Arn>` as cdk-nag prints a same-stack function ARN. */
const arnRef = (fn: IConstruct): string => `<${Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>`;

export function acknowledgeFindings({ data, service }: MarqueeStacks): void {
  const xray = 'X-Ray PutTraceSegments/PutTelemetryRecords and the state machine log delivery actions support no resource-level permissions (AWS docs); only those actions carry Resource *.';
  const ingestObjects = `Resource::${data.stackName}-IngestObjectsArn`;
  const outputObjects = `Resource::${data.stackName}-OutputObjectsArn`;
  const objectsReason = 'Object-level access to the whole bucket is the job: any uploaded key may be read / any job id written under the output prefix; keys are not known at deploy time.';

  for (const f of Object.values(service.functions)) {
    ack(f.fn.role!, `${AS('IAM5')}[Resource::*]`, xray);
  }
  ack(service.functions.analyze!.fn.role!, `${AS('IAM5')}[${ingestObjects}]`, objectsReason);
  for (const name of ['workflow', 'complete'] as const) ack(service.functions[name]!.fn.role!, `${AS('IAM5')}[${outputObjects}]`, 'Verify/Complete list and read the rendition objects of a job under its own prefix; job ids are runtime values.');
  const cancelReason = 'Bounded preemption cancels the encode whose slot a fast-lane job takes; encoder job ids are runtime values (CancelJob/TerminateJob only, in this account and region).';
  ack(service.functions.dispatch!.fn.role!, `${AS('IAM5')}[Resource::arn:<AWS::Partition>:mediaconvert:<AWS::Region>:<AWS::AccountId>:jobs/*]`, cancelReason);
  ack(service.functions.dispatch!.fn.role!, `${AS('IAM5')}[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]`, cancelReason);
  ack(service.batch.jobRole, `${AS('IAM5')}[${ingestObjects}]`, objectsReason);
  ack(service.batch.jobRole, `${AS('IAM5')}[${outputObjects}]`, objectsReason);
  ack(service.mediaConvert.role, `${AS('IAM5')}[${ingestObjects}]`, objectsReason);
  ack(service.mediaConvert.role, `${AS('IAM5')}[${outputObjects}]`, objectsReason);
  ack(service.batch, `${AS('IAM5')}[Resource::*]`, 'ecr:GetAuthorizationToken has no resource-level permissions (grantPull adds it alone on *); repository actions are scoped to the worker repository.');
  ack(service.batch, `${AS('IAM5')}[Resource::<BatchGpuWorkerLogs249F8D74.Arn>:log-stream:*]`, 'The awslogs driver creates one stream per job attempt in the worker log group; stream names are runtime values.');
  ack(service.batch, `${AS('IAM4')}[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]`, 'The ECS container instance role that AWS Batch documents for ECS compute environments; it lets the GPU instances join the ECS cluster.');
  const sm = service.workflow.stateMachine;
  ack(sm.role, `${AS('IAM5')}[Resource::*]`, xray);
  for (const f of [service.functions.analyze!, service.functions.workflow!]) {
    ack(sm.role, `${AS('IAM5')}[Resource::${arnRef(f.fn)}:*]`, 'Invoke of versions/aliases of the same function (the CDK LambdaInvoke grant); no other function.');
  }
  ack(service.api.api, `${AS('IAM4')}[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]`, 'The account-level API Gateway logging role; AWS provides this managed policy for exactly that purpose.');
  ack(service.api.api, AS('COG4'), 'The priority API is for operators and back-office services calling with SigV4 (IAM auth on every method), not end users; Cognito would add a second identity system.');
  ack(service.api.api, AS('APIG3'), 'IAM-authenticated, throttled back-office API: unsigned requests are rejected before the integration. Put a WAF web ACL in front if the API is exposed to untrusted networks.');
  for (const f of Object.values(service.functions).filter((f) => !f.fn.deadLetterQueue)) {
    ack(f.fn, SL('LambdaDLQ'), 'Invoked synchronously (Step Functions, API Gateway) or by an SQS event source whose queue has its own DLQ; an async DLQ would never receive anything. Scheduled functions have one.');
  }
  for (const scope of [service.functions.ingest!.fn, service.functions.complete!.fn]) {
    ack(scope, SL('LambdaEventSourceMappingDestination'), 'SQS event source: failed messages go to the source queue DLQ via its redrive policy (ESM on-failure destinations are for stream sources).');
  }
  for (const q of [...data.tierQueues.all, data.ingestQueue, data.completionQueue]) ack(q.deadLetterQueue, SL('SQSRedrivePolicy'), 'This is the dead-letter queue: it is alarmed on and redriven by an operator, not redriven again.');
  ack(service.node.findChild('EventDelivery'), SL('SQSRedrivePolicy'), 'Dead-letter queue for failed event deliveries: alarmed and redriven by an operator.');
}
