/** Workflow steps of the state machine: verify outputs (QC), publish, fall back to the other backend, record a failure. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { minString, readEnv, tierMap } from '../../lib/aws/env';
import { workflowStepSchema } from '../../lib/aws/event-schemas';
import { fallBack, publishJob, recordFailure, verifyOutputs } from '../../lib/aws/flow/workflow';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { systemClock } from '../../lib/ports';
import { lazyEventPublisher, lazyObjectStore } from '../shared/lazy';
import { flowMetrics, traced, withPowertools } from '../shared/powertools';

const env = readEnv(z.object({ JOBS_TABLE: minString(3), EVENT_BUS_NAME: z._default(z.string(), 'default'), TIER_QUEUES: tierMap(z.url()) }));
const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  // Only the verify step reads S3 and only publish/fail emit events: those clients load on first use.
  objects: lazyObjectStore(),
  events: lazyEventPublisher(env.EVENT_BUS_NAME),
  clock: systemClock,
  tierQueues: env.TIER_QUEUES,
  metrics: flowMetrics,
};

export const handler = withPowertools(async (event: unknown) => {
  const step = workflowStepSchema.parse(event);
  switch (step.step) {
    case 'verify':
      return verifyOutputs(deps, step.jobId);
    case 'publish':
      return publishJob(deps, step.jobId);
    case 'fallback':
      return fallBack(deps, step.jobId, step.error);
    case 'fail':
      return recordFailure(deps, step.jobId, step.error);
  }
});
