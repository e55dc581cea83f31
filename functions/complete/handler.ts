/**
 * Complete: MediaConvert and Batch "Job State Change" events (EventBridge → SQS) → progress, actual
 * run time, QC hand-off and the task-token answer. Partial batch failures are reported.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { minString, readEnv } from '../../lib/aws/env';
import { InvalidEventError } from '../../lib/aws/errors';
import { encoderEventSchema, encoderStateChangeOf } from '../../lib/aws/event-schemas';
import { completeEncode } from '../../lib/aws/flow/complete';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { StepFunctionsTaskTokens } from '../../lib/aws/task-tokens';
import { systemClock } from '../../lib/ports';
import { lazyObjectStore } from '../shared/lazy';
import { flowMetrics, logger, traced, withPowertools } from '../shared/powertools';

const env = readEnv(z.object({ JOBS_TABLE: minString(3), OUTPUT_BUCKET: minString(3) }));
const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  // S3 only reads the worker manifest of a finished encode, not on progress events.
  objects: lazyObjectStore(),
  tokens: new StepFunctionsTaskTokens(traced(new SFNClient({}))),
  clock: systemClock,
  outputBucket: env.OUTPUT_BUCKET,
  metrics: flowMetrics,
};
const processor = new BatchProcessor(EventType.SQS);

async function onEncoderEvent(record: SQSRecord): Promise<void> {
  const parsed = encoderEventSchema.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new InvalidEventError(`not an encoder state change: ${parsed.error.issues[0]?.message}`);
  const change = encoderStateChangeOf(parsed.data);
  if (!change) return;
  const outcome = await completeEncode(deps, change);
  logger.info('encoder event', { jobId: change.jobId, backend: change.backend, state: change.state, outcome });
}

export const handler = withPowertools((event: SQSEvent, context) => processPartialResponse(event, onEncoderEvent, processor, { context }));
