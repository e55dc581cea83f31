import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionNameFor } from '../../../lib/aws/execution-name';
import { lambdaContext, s3ObjectCreated, sqsBatch, STATE_MACHINE_ARN, useLambdaEnv } from './harness';

useLambdaEnv();
const sfn = mockClient(SFNClient);
const { handler } = await import('../../../functions/ingest/handler');

beforeEach(() => sfn.reset());

describe('ingest handler', () => {
  it('starts one Standard workflow per uploaded object version, named from bucket/key/version', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    const result = await handler(sqsBatch([s3ObjectCreated('uploads/Season+Finale+%281%29.mp4', { versionId: 'v7', size: 1234 })]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    const input = { bucket: 'marquee-ingest', key: 'uploads/Season Finale (1).mp4', version: 'v7', size: 1234 };
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: executionNameFor(input.bucket, input.key, input.version), input: JSON.stringify(input) });
  });

  it('counts a duplicate S3 event (ExecutionAlreadyExists) as done: one workflow, no retry', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const event = s3ObjectCreated('uploads/show.mp4');
    const result = await handler(sqsBatch([event, event]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(new Set(names).size).toBe(1);
  });

  it('reports only the failed records of a batch: a malformed body and a throttled start are retried, the good one is not', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    sfn
      .on(StartExecutionCommand, { input: JSON.stringify({ bucket: 'marquee-ingest', key: 'uploads/throttled.mp4', version: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', size: 5_160_000 }) })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const notS3 = { 'detail-type': 'Object Deleted', source: 'aws.s3', detail: {} };
    const result = await handler(sqsBatch([s3ObjectCreated('uploads/ok.mp4'), notS3, s3ObjectCreated('uploads/throttled.mp4')]), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }] });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
  });
});
