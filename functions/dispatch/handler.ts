/**
 * Dispatch (every minute): drain the tier queues within the capacity of each backend, in the order
 * of the Marquee scheduling policy, into MediaConvert CreateJob or Batch SubmitJob; record the
 * submission and its task token on the job.
 */
import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { dispatchWork } from '../../lib/aws/cloud-flow';
import { BatchGpuEncoder, MediaConvertEncoder } from '../../lib/aws/encoders';
import { jsonEnv, readEnv, tierMap } from '../../lib/aws/env';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { minimalMediaConvertJob } from '../../lib/aws/mediaconvert-minimal';
import { StepFunctionsTaskTokens } from '../../lib/aws/task-tokens';
import { SqsWorkQueue } from '../../lib/aws/work-queue';
import { systemClock } from '../../lib/ports';
import { flowMetrics, logger, traced, withPowertools } from '../shared/powertools';

const env = readEnv(
  z.object({
    JOBS_TABLE: z.string().min(3),
    TIER_QUEUES: tierMap(z.url()),
    MEDIACONVERT_QUEUES: tierMap(z.string().startsWith('arn:')),
    MEDIACONVERT_ROLE_ARN: z.string().startsWith('arn:'),
    MEDIACONVERT_ENDPOINT: z.url().optional(),
    BATCH_JOB_QUEUES: tierMap(z.string().startsWith('arn:')),
    BATCH_JOB_DEFINITION: z.string().min(1),
    OUTPUT_BUCKET: z.string().min(3),
    CAPACITY: jsonEnv(z.object({ mediaconvert: z.number().int().nonnegative(), 'batch-gpu': z.number().int().nonnegative() })),
  }),
);

const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  queue: new SqsWorkQueue(traced(new SQSClient({})), env.TIER_QUEUES),
  encoders: {
    // Until lib/aws/mediaconvert-job.ts (recipes engineer) lands, the stand-in renderer with the same signature.
    mediaconvert: new MediaConvertEncoder(traced(new MediaConvertClient(env.MEDIACONVERT_ENDPOINT ? { endpoint: env.MEDIACONVERT_ENDPOINT } : {})), { role: env.MEDIACONVERT_ROLE_ARN, queues: env.MEDIACONVERT_QUEUES }, minimalMediaConvertJob),
    'batch-gpu': new BatchGpuEncoder(traced(new BatchClient({})), { jobQueues: env.BATCH_JOB_QUEUES, jobDefinition: env.BATCH_JOB_DEFINITION }),
  },
  tokens: new StepFunctionsTaskTokens(traced(new SFNClient({}))),
  clock: systemClock,
  capacity: env.CAPACITY,
  outputBucket: env.OUTPUT_BUCKET,
  metrics: flowMetrics,
};

export const handler = withPowertools(async () => {
  const summary = await dispatchWork(deps);
  if (deps.queue.poison.length > 0) logger.warn('unreadable queue messages left for the DLQ', { poison: deps.queue.poison.splice(0) });
  logger.info('dispatch', { received: summary.received, submitted: summary.submitted.length, waiting: summary.waiting, dropped: summary.dropped });
  return summary;
});
