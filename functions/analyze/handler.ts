/**
 * Analyze (state machine task): probe the upload with ffprobe over a presigned URL (ffprobe from the
 * Lambda layer), score value, choose the recipe, predict, allocate, write the job (conditional put),
 * and answer with the Enqueue order — or REJECTED with a reason a person can act on.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { minString, readEnv, tierMap } from '../../lib/aws/env';
import { analyzeInputSchema } from '../../lib/aws/event-schemas';
import { EventBridgePublisher } from '../../lib/aws/events';
import { analyzeUpload } from '../../lib/aws/flow/analyze';
import { DynamoJobStore } from '../../lib/aws/job-store';
import { S3ObjectStore } from '../../lib/aws/object-store';
import { parseValuePolicy } from '../../lib/core/value';
import { FfprobeProber } from '../../lib/media/probe';
import { systemClock } from '../../lib/ports';
import { withPowertools, traced } from '../shared/powertools';

const env = readEnv(
  z.object({
    JOBS_TABLE: minString(3),
    EVENT_BUS_NAME: z._default(z.string(), 'default'),
    TIER_QUEUES: tierMap(z.url()),
    DEFAULT_BACKEND: z._default(z.enum(['mediaconvert', 'batch-gpu']), 'mediaconvert'),
    /** The deployment's value policy (JSON), validated here once so a bad one fails at init. */
    VALUE_POLICY: z.optional(z.string()),
    MARQUEE_FFPROBE: z.optional(z.string()),
  }),
);

const deps = {
  store: new DynamoJobStore(traced(new DynamoDBClient({})), env.JOBS_TABLE),
  objects: new S3ObjectStore(traced(new S3Client({}))),
  prober: new FfprobeProber({ bin: env.MARQUEE_FFPROBE, timeoutMs: 60_000 }),
  events: new EventBridgePublisher(traced(new EventBridgeClient({})), env.EVENT_BUS_NAME),
  clock: systemClock,
  tierQueues: env.TIER_QUEUES,
  defaultBackend: env.DEFAULT_BACKEND,
  valuePolicy: env.VALUE_POLICY ? parseValuePolicy(env.VALUE_POLICY) : undefined,
};

export const handler = withPowertools(async (event: unknown) => analyzeUpload(deps, analyzeInputSchema.parse(event)));
