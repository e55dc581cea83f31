/**
 * Ingest: S3 `Object Created` events (EventBridge → SQS) → one Standard workflow per object version.
 * The execution name is derived from bucket/key/version, so a duplicate event meets
 * ExecutionAlreadyExists, which counts as success. Partial batch failures are reported.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { arn, readEnv } from '../../lib/aws/env';
import { InvalidEventError } from '../../lib/aws/errors';
import { s3ObjectCreatedSchema, uploadInputOf } from '../../lib/aws/event-schemas';
import { executionNameFor } from '../../lib/aws/execution-name';
import { flowMetrics, logger, traced, withPowertools } from '../shared/powertools';

const env = readEnv(z.object({ STATE_MACHINE_ARN: arn() }));
const sfn = traced(new SFNClient({}));
const processor = new BatchProcessor(EventType.SQS);

async function startWorkflow(record: SQSRecord): Promise<void> {
  const parsed = s3ObjectCreatedSchema.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new InvalidEventError(`not an S3 Object Created event: ${parsed.error.issues[0]?.message}`);
  const input = uploadInputOf(parsed.data);
  const name = executionNameFor(input.bucket, input.key, input.version);
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: env.STATE_MACHINE_ARN, name, input: JSON.stringify(input) }));
    logger.info('workflow started', { name, key: input.key });
    flowMetrics.add('UploadsStarted', 'Count', 1);
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || (e as Error).name === 'ExecutionAlreadyExists') {
      logger.info('duplicate upload event: workflow exists', { name });
      flowMetrics.add('DuplicateUploadEvents', 'Count', 1);
      return;
    }
    throw e;
  }
}

export const handler = withPowertools((event: SQSEvent, context) => processPartialResponse(event, startWorkflow, processor, { context }));
