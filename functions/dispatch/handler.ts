/**
 * Dispatch (every minute): drain the tier queues within the capacity of each backend, in the order
 * of the Marquee scheduling policy, into MediaConvert CreateJob (rendered from the recipe by
 * `renderMediaConvertJob`) or Batch SubmitJob; record the submission and its task token on the job.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { arn, capacityEnv, minString, readEnv, tierMap } from '../../lib/aws/env';
import { dispatchWork } from '../../lib/aws/flow/dispatch';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { SqsWorkQueue } from '../../lib/aws/work-queue';
import { DEFAULT_VALUE_POLICY } from '../../lib/core/value';
import { systemClock } from '../../lib/ports';
import { lazyEncoder, lazyTaskTokens } from '../shared/lazy';
import { flowMetrics, logger, traced, withPowertools } from '../shared/powertools';

const env = readEnv(
  z.object({
    JOBS_TABLE: minString(3),
    TIER_QUEUES: tierMap(z.url()),
    MEDIACONVERT_QUEUES: tierMap(arn()),
    MEDIACONVERT_ROLE_ARN: arn(),
    MEDIACONVERT_ENDPOINT: z.optional(z.url()),
    BATCH_JOB_QUEUES: tierMap(arn()),
    BATCH_JOB_DEFINITION: minString(1),
    OUTPUT_BUCKET: minString(3),
    CAPACITY: capacityEnv(),
  }),
);

const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  queue: new SqsWorkQueue(traced(new SQSClient({})), env.TIER_QUEUES),
  // A tick with nothing to submit, cancel or keep alive needs only DynamoDB and SQS: the encoder and
  // Step Functions clients load when a tick first uses them.
  encoders: {
    mediaconvert: lazyEncoder('mediaconvert', async () => {
      const [{ MediaConvertClient }, { MediaConvertEncoder }] = await Promise.all([import('@aws-sdk/client-mediaconvert'), import('../../lib/aws/encoders')]);
      // A job still waiting in its MediaConvert queue after its tier's aging step hops one tier up.
      return new MediaConvertEncoder(traced(new MediaConvertClient(env.MEDIACONVERT_ENDPOINT ? { endpoint: env.MEDIACONVERT_ENDPOINT } : {})), {
        role: env.MEDIACONVERT_ROLE_ARN,
        queues: env.MEDIACONVERT_QUEUES,
        hopAfterMinutes: DEFAULT_VALUE_POLICY.agingStepMinutes,
      });
    }),
    'batch-gpu': lazyEncoder('batch-gpu', async () => {
      const [{ BatchClient }, { BatchGpuEncoder }] = await Promise.all([import('@aws-sdk/client-batch'), import('../../lib/aws/encoders')]);
      return new BatchGpuEncoder(traced(new BatchClient({})), { jobQueues: env.BATCH_JOB_QUEUES, jobDefinition: env.BATCH_JOB_DEFINITION });
    }),
  },
  tokens: lazyTaskTokens(),
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
