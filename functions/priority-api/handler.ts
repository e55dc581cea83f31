/**
 * Priority API (API Gateway REST, IAM auth): `POST /jobs/{id}/escalate` — emergency bump (tier and/or
 * deadline, with a reason; the caller's IAM principal is recorded) — and `GET /jobs/{id}`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { minString, readEnv } from '../../lib/aws/env';
import { escalateBodySchema, jobIdSchema } from '../../lib/aws/event-schemas';
import { escalateJob, jobView } from '../../lib/aws/flow/priority';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { systemClock } from '../../lib/ports';
import { lazyEventPublisher } from '../shared/lazy';
import { withPowertools, traced } from '../shared/powertools';

const env = readEnv(z.object({ JOBS_TABLE: minString(3), EVENT_BUS_NAME: z._default(z.string(), 'default') }));
const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  // Only an escalation (POST) emits an event; job views (GET) do not load EventBridge.
  events: lazyEventPublisher(env.EVENT_BUS_NAME),
  clock: systemClock,
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const handler = withPowertools(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const id = jobIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) return json(400, { message: 'invalid job id: 1–80 letters, digits, - or _' });
  if (event.httpMethod === 'GET') {
    const job = await deps.store.get(id.data);
    return job ? json(200, jobView(job)) : json(404, { message: `job ${id.data} not found` });
  }
  let body: unknown;
  try {
    body = JSON.parse(event.body ?? '');
  } catch {
    return json(400, { message: 'body must be JSON' });
  }
  const parsed = escalateBodySchema.safeParse(body);
  if (!parsed.success) return json(400, { message: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
  const by = parsed.data.by ?? event.requestContext?.identity?.userArn ?? 'unknown';
  const job = await escalateJob(deps, id.data, { tier: parsed.data.tier, deadlineAt: parsed.data.deadline ? Date.parse(parsed.data.deadline) : undefined, reason: parsed.data.reason, by });
  return job ? json(200, jobView(job)) : json(404, { message: `job ${id.data} not found` });
});
