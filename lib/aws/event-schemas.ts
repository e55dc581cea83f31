/** zod schemas of the AWS events Marquee consumes, and their mapping to flow inputs. */
import './zod-locale';
import * as z from 'zod/mini';
import { TIERS } from '../core/types';
import type { EncoderStateChange } from './flow/common';
import { manifestsOfPlaylists } from './mediaconvert-manifests';

const str = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

/** EventBridge `Object Created` from S3 (the ingest rule's events, via the ingest queue). */
export const s3ObjectCreatedSchema = z.object({
  'detail-type': z.literal('Object Created'),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: str(3, 63) }),
    object: z.object({ key: str(1, 1024), size: z.optional(z.int().check(z.nonnegative())), etag: z.optional(z.string()), 'version-id': z.optional(z.string()), sequencer: z.optional(z.string()) }),
  }),
});
export type S3ObjectCreated = z.infer<typeof s3ObjectCreatedSchema>;

/** The state machine's input for one upload (stable for duplicates of the same object version). */
export const uploadInputSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  version: z.string(),
  size: z.int().check(z.nonnegative()),
});
export type UploadInput = z.infer<typeof uploadInputSchema>;

export function uploadInputOf(e: S3ObjectCreated): UploadInput {
  // S3 event keys are URL-encoded (spaces as '+').
  const key = decodeURIComponent(e.detail.object.key.replace(/\+/g, ' '));
  return { bucket: e.detail.bucket.name, key, version: e.detail.object['version-id'] ?? e.detail.object.etag ?? 'null', size: e.detail.object.size ?? 0 };
}

const outputDetails = z.optional(z.array(z.looseObject({ outputFilePaths: z.optional(z.array(z.string())) })));
/** A group's multivariant playlists / MPDs; an ill-formed list is dropped (Complete then uses the rendered paths) rather than failing the COMPLETE event. */
const playlistFilePaths = z.catch(z.optional(z.array(z.string())), undefined);

/** `MediaConvert Job State Change`. */
export const mediaConvertEventSchema = z.object({
  source: z.literal('aws.mediaconvert'),
  'detail-type': z.literal('MediaConvert Job State Change'),
  time: z.string(),
  detail: z.looseObject({
    status: z.enum(['SUBMITTED', 'PROGRESSING', 'STATUS_UPDATE', 'INPUT_INFORMATION', 'COMPLETE', 'ERROR', 'CANCELED', 'NEW_WARNING', 'QUEUE_HOP']),
    jobId: z.string(),
    queue: z.optional(z.string()),
    userMetadata: z.looseObject({ jobId: z.string() }),
    jobProgress: z.optional(z.looseObject({ jobPercentComplete: z.optional(z.number()) })),
    outputGroupDetails: z.optional(z.array(z.looseObject({ type: z.optional(z.string()), outputDetails, playlistFilePaths }))),
    errorCode: z.optional(z.number()),
    errorMessage: z.optional(z.string()),
  }),
});

/** `Batch Job State Change`. */
export const batchEventSchema = z.object({
  source: z.literal('aws.batch'),
  'detail-type': z.literal('Batch Job State Change'),
  time: z.string(),
  detail: z.looseObject({
    jobId: z.string(),
    jobName: z.optional(z.string()),
    jobQueue: z.optional(z.string()),
    status: z.enum(['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED']),
    statusReason: z.optional(z.string()),
    container: z.optional(
      z.looseObject({ exitCode: z.optional(z.number()), reason: z.optional(z.string()), environment: z.optional(z.array(z.object({ name: z.string(), value: z.string() }))) }),
    ),
    tags: z.optional(z.record(z.string(), z.string())),
  }),
});

export const encoderEventSchema = z.union([mediaConvertEventSchema, batchEventSchema]);
export type EncoderEvent = z.infer<typeof encoderEventSchema>;

/** Map an encoder event to a state change, or undefined for states Marquee does not act on. */
export function encoderStateChangeOf(e: EncoderEvent): EncoderStateChange | undefined {
  const at = Date.parse(e.time);
  if (e.source === 'aws.mediaconvert') {
    const d = e.detail;
    const base = { backend: 'mediaconvert' as const, externalId: d.jobId, jobId: d.userMetadata.jobId, at };
    if (d.status === 'COMPLETE') {
      const groups = d.outputGroupDetails ?? [];
      const manifests = manifestsOfPlaylists(groups.flatMap((g) => g.playlistFilePaths ?? []));
      return { ...base, state: 'succeeded', outputs: groups.flatMap((g) => (g.outputDetails ?? []).flatMap((o) => o.outputFilePaths ?? [])), ...(manifests ? { manifests } : {}) };
    }
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

const stepError = z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) });

/** Payloads the workflow Lambda accepts from the state machine. */
export const workflowStepSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('verify'), jobId: z.string(), encode: z.optional(z.unknown()) }),
  z.object({ step: z.literal('publish'), jobId: z.string() }),
  z.object({ step: z.literal('fallback'), jobId: z.string(), error: stepError }),
  z.object({ step: z.literal('fail'), jobId: z.string(), error: stepError }),
]);

/** The Analyze task's payload. */
export const analyzeInputSchema = z.object({ jobId: str(1, 80), bucket: z.string(), key: z.string(), version: z.optional(z.string()), size: z.optional(z.number()) });

/** `POST /jobs/{id}/escalate` body (also validated at API Gateway by the same rules). */
export const escalateBodySchema = z.strictObject({
  tier: z.optional(z.enum(TIERS)),
  deadline: z.optional(z.iso.datetime({ offset: true })),
  reason: str(3, 500),
  by: z.optional(z.string().check(z.maxLength(200))),
});

/** A job id in an API path (the execution name's alphabet). */
export const jobIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/));
