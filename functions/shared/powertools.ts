/**
 * Cross-cutting concerns of every Marquee Lambda, attached in one middy chain: Powertools logger
 * (Lambda context, cold start), metrics (EMF, flushed per invocation) and tracer (X-Ray, SDK clients
 * captured). Handlers are the last link.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import type { FlowMetrics } from '../../lib/aws/flow/common';

export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

/** Wrap an SDK v3 client for X-Ray. */
export const traced = <T>(client: T): T => tracer.captureAWSv3Client(client);

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds, None: MetricUnit.NoUnit } as const;

/** Flow metrics onto Powertools EMF (extra dimensions go into a single-metric document). */
export const flowMetrics: FlowMetrics = {
  add(name, unit, value, dimensions) {
    if (dimensions && Object.keys(dimensions).length > 0) {
      const single = metrics.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, UNITS[unit], value);
    } else {
      metrics.addMetric(name, UNITS[unit], value);
    }
  },
};

export function withPowertools<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
