import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** Errors worth retrying: Lambda service hiccups and our own TransientError. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'TransientError',
];

/** Errors an encoder reports that another attempt (or the other backend) may fix. */
export const ENCODER_ERRORS = ['EncodeFailed', 'States.Timeout', 'States.HeartbeatTimeout'];
/** What Verify throws when outputs the encoder reported are missing (the Lambda error's name). */
export const VERIFY_FALLBACK_ERROR = 'QcFailedError';

export interface EncodeWorkflowProps {
  analyze: lambda.IFunction;
  workflow: lambda.IFunction;
  tierQueues: sqs.IQueue[];
  key: IKey;
}

const retryTransient: sfn.RetryProps = {
  errors: TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * The Standard state machine of one upload:
 * Analyze → (REJECTED end | Enqueue into the tier queue and wait for the task token) → Verify →
 * Publish. An encoder failure is retried once on the same backend, then sent to the other backend
 * (Fallback) and, when that fails too, recorded as FAILED. Outputs that fail Verify go to Fallback too. Every Task has Retry (transient errors only,
 * exponential backoff with full jitter) and Catch; errors not listed fail fast into RecordFailure.
 */
export class EncodeWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EncodeWorkflowProps) {
    super(scope, id);
    const step = (name: string, payload: Record<string, unknown>, resultPath: string) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.workflow,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject(payload),
        resultPath,
      }).addRetry(retryTransient);

    const failed = new sfn.Fail(this, 'Failed', { error: 'JobFailed', causePath: '$.error.Cause' });
    const recordFailure = step('RecordFailure', { step: 'fail', 'jobId.$': '$$.Execution.Name', 'error.$': '$.error' }, '$.failure');
    recordFailure.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.recordError' });
    recordFailure.next(failed);

    const analyze = new tasks.LambdaInvoke(this, 'Analyze', {
      lambdaFunction: props.analyze,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        'jobId.$': '$$.Execution.Name',
        'bucket.$': '$.bucket',
        'key.$': '$.key',
        'version.$': '$.version',
        'size.$': '$.size',
      }),
      resultPath: '$.analysis',
    })
      .addRetry(retryTransient)
      .addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const rejected = new sfn.Fail(this, 'Rejected', { error: 'UploadRejected', causePath: '$.analysis.reason' });

    const enqueue = new sfn.CustomState(this, 'Enqueue', {
      stateJson: {
        Type: 'Task',
        Comment: 'Send the job to its tier queue and wait until Complete answers the task token',
        Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
        Parameters: {
          'QueueUrl.$': '$.analysis.queueUrl',
          MessageBody: {
            'jobId.$': '$$.Execution.Name',
            'tier.$': '$.analysis.tier',
            'taskToken.$': '$$.Task.Token',
            'enqueuedAt.$': '$$.State.EnteredTime',
          },
        },
        HeartbeatSecondsPath: '$.analysis.heartbeatSec',
        TimeoutSecondsPath: '$.analysis.timeoutSec',
        ResultPath: '$.encode',
      },
    });
    const fallback = step('Fallback', { step: 'fallback', 'jobId.$': '$$.Execution.Name', 'error.$': '$.error' }, '$.analysis');
    fallback.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    fallback.next(enqueue);
    enqueue
      .addRetry({ errors: ['EncodeFailed'], interval: Duration.seconds(10), maxAttempts: 1, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL })
      .addRetry({ errors: ['SQS.SdkClientException', 'SQS.AmazonSQSException', 'SQS.KmsThrottledException'], interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL })
      .addCatch(fallback, { errors: ENCODER_ERRORS, resultPath: '$.error' })
      .addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const verify = step('Verify', { step: 'verify', 'jobId.$': '$$.Execution.Name', 'encode.$': '$.encode' }, '$.verify');
    // Outputs an encoder reported but that are not in the bucket (a rendition, the HLS master): the
    // other backend gets the title (Fallback fails into RecordFailure when both have been tried).
    verify.addCatch(fallback, { errors: [VERIFY_FALLBACK_ERROR], resultPath: '$.error' });
    verify.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
    const publish = step('Publish', { step: 'publish', 'jobId.$': '$$.Execution.Name' }, '$.published');
    publish.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const definition = analyze.next(
      new sfn.Choice(this, 'Accepted?')
        .when(sfn.Condition.stringEquals('$.analysis.status', 'REJECTED'), rejected)
        .otherwise(enqueue.next(verify).next(publish).next(new sfn.Succeed(this, 'Published'))),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.days(7),
    });
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: props.tierQueues.map((q) => q.queueArn) }));
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.key.keyArn] }));
  }
}
