/** Deadline watch (every minute): act on jobs whose P90 finish passes their deadline. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { capacityEnv, minString, readEnv } from '../../lib/aws/env';
import { watchDeadlines } from '../../lib/aws/flow/deadline-watch';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { systemClock } from '../../lib/ports';
import { lazyEventPublisher } from '../shared/lazy';
import { flowMetrics, logger, traced, withPowertools } from '../shared/powertools';

const env = readEnv(
  z.object({
    JOBS_TABLE: minString(3),
    EVENT_BUS_NAME: z._default(z.string(), 'default'),
    CAPACITY: z._default(capacityEnv(), { mediaconvert: 20, 'batch-gpu': 8 }),
  }),
);
const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  // Events go out only for deadline actions: the EventBridge client loads with the first one.
  events: lazyEventPublisher(env.EVENT_BUS_NAME),
  clock: systemClock,
  capacity: env.CAPACITY,
  metrics: flowMetrics,
};

export const handler = withPowertools(async () => {
  const result = await watchDeadlines(deps);
  if (result.atRisk > 0) logger.info('deadline actions', result);
  return result;
});
