/** zod schemas of the AWS events Marquee consumes, and their mapping to flow inputs. */
import { z } from 'zod';
import { TIERS } from '../core/types';
import type { EncoderStateChange } from './cloud-flow';

/** EventBridge `Object Created` from S3 (the ingest rule's events, via the ingest queue). */
export const s3ObjectCreatedSchema = z.object({
  'detail-type': z.literal('Object Created'),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3).max(63) }),
    object: z.object({ key: z.string().min(1).max(1024), size: z.number().int().nonnegative().optional(), etag: z.string().optional(), 'version-id': z.string().optional(), sequencer: z.string().optional() }),
  }),
});
export type S3ObjectCreated = z.infer<typeof s3ObjectCreatedSchema>;

/** The state machine's input for one upload (stable for duplicates of the same object version). */
export const uploadInputSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  version: z.string(),
  size: z.number().int().nonnegative(),
});
export type UploadInput = z.infer<typeof uploadInputSchema>;

export function uploadInputOf(e: S3ObjectCreated): UploadInput {
  // S3 event keys are URL-encoded (spaces as '+').
  const key = decodeURIComponent(e.detail.object.key.replace(/\+/g, ' '));
  return { bucket: e.detail.bucket.name, key, version: e.detail.object['version-id'] ?? e.detail.object.etag ?? 'null', size: e.detail.object.size ?? 0 };
}

const outputDetails = z.array(z.object({ outputFilePaths: z.array(z.string()).optional() }).loose()).optional();

/** `MediaConvert Job State Change`. */
export const mediaConvertEventSchema = z.object({
  source: z.literal('aws.mediaconvert'),
  'detail-type': z.literal('MediaConvert Job State Change'),
  time: z.string(),
  detail: z
    .object({
      status: z.enum(['SUBMITTED', 'PROGRESSING', 'STATUS_UPDATE', 'INPUT_INFORMATION', 'COMPLETE', 'ERROR', 'CANCELED', 'NEW_WARNING', 'QUEUE_HOP']),
      jobId: z.string(),
      queue: z.string().optional(),
      userMetadata: z.object({ jobId: z.string() }).loose(),
      jobProgress: z.object({ jobPercentComplete: z.number().optional() }).loose().optional(),
      outputGroupDetails: z.array(z.object({ outputDetails }).loose()).optional(),
      errorCode: z.number().optional(),
      errorMessage: z.string().optional(),
    })
    .loose(),
});

/** `Batch Job State Change`. */
export const batchEventSchema = z.object({
  source: z.literal('aws.batch'),
  'detail-type': z.literal('Batch Job State Change'),
  time: z.string(),
  detail: z
    .object({
      jobId: z.string(),
      jobName: z.string().optional(),
      jobQueue: z.string().optional(),
      status: z.enum(['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED']),
      statusReason: z.string().optional(),
      container: z.object({ exitCode: z.number().optional(), reason: z.string().optional(), environment: z.array(z.object({ name: z.string(), value: z.string() })).optional() }).loose().optional(),
      tags: z.record(z.string(), z.string()).optional(),
    })
    .loose(),
});

export const encoderEventSchema = z.union([mediaConvertEventSchema, batchEventSchema]);
export type EncoderEvent = z.infer<typeof encoderEventSchema>;

/** Map an encoder event to a state change, or undefined for states Marquee does not act on. */
export function encoderStateChangeOf(e: EncoderEvent): EncoderStateChange | undefined {
  const at = Date.parse(e.time);
  if (e.source === 'aws.mediaconvert') {
    const d = e.detail;
    const base = { backend: 'mediaconvert' as const, externalId: d.jobId, jobId: d.userMetadata.jobId, at };
    if (d.status === 'COMPLETE') return { ...base, state: 'succeeded', outputs: (d.outputGroupDetails ?? []).flatMap((g) => (g.outputDetails ?? []).flatMap((o) => o.outputFilePaths ?? [])) };
    if (d.status === 'ERROR' || d.status === 'CANCELED') return { ...base, state: 'failed', error: `${d.errorCode ?? d.status} ${d.errorMessage ?? ''}`.trim() };
    if (d.status === 'PROGRESSING' || d.status === 'STATUS_UPDATE') return { ...base, state: 'progress', progress: (d.jobProgress?.jobPercentComplete ?? 0) / 100 };
    return undefined;
  }
  const d = e.detail;
  const jobId = d.container?.environment?.find((v) => v.name === 'MARQUEE_JOB_ID')?.value ?? d.tags?.jobId;
  if (!jobId) return undefined;
  const base = { backend: 'batch-gpu' as const, externalId: d.jobId, jobId, at };
  if (d.status === 'SUCCEEDED') return { ...base, state: 'succeeded' };
  if (d.status === 'FAILED') return { ...base, state: 'failed', exitCode: d.container?.exitCode, error: d.statusReason ?? d.container?.reason ?? 'failed' };
  if (d.status === 'RUNNING') return { ...base, state: 'progress', progress: 0 };
  return undefined;
}

/** Payloads the workflow Lambda accepts from the state machine. */
export const workflowStepSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('verify'), jobId: z.string(), encode: z.unknown().optional() }),
  z.object({ step: z.literal('publish'), jobId: z.string() }),
  z.object({ step: z.literal('fallback'), jobId: z.string(), error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose() }),
  z.object({ step: z.literal('fail'), jobId: z.string(), error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose() }),
]);

/** The Analyze task's payload. */
export const analyzeInputSchema = z.object({ jobId: z.string().min(1).max(80), bucket: z.string(), key: z.string(), version: z.string().optional(), size: z.number().optional() });

/** `POST /jobs/{id}/escalate` body (also validated at API Gateway by the same rules). */
export const escalateBodySchema = z
  .object({
    tier: z.enum(TIERS).optional(),
    deadline: z.iso.datetime({ offset: true }).optional(),
    reason: z.string().min(3).max(500),
    by: z.string().max(200).optional(),
  })
  .strict();
