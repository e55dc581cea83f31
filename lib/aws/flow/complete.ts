/** Complete step: encoder state changes → progress, actual times, and the task-token answer. */
import { transition } from '../../core/job';
import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import type { Job } from '../../core/types';
import type { Clock, JobStore, ObjectStore } from '../../ports';
import { renderMediaConvertJob } from '../mediaconvert-job';
import { renderedCmafOutputs, renderedManifests, type StreamingManifests } from '../mediaconvert-manifests';
import type { TaskTokens } from '../task-tokens';
import { chunkRejectionUri, outcomeOfExitCode, type ChunkRejection } from '../worker-exit';
import { outputPrefixFor, parseExternalId, update, type EncoderStateChange, type FlowMetrics, type WorkerManifest } from './common';

export interface CompleteDeps {
  store: JobStore;
  outputBucket: string;
  objects: ObjectStore;
  tokens: TaskTokens;
  clock: Clock;
  metrics?: FlowMetrics;
}

/** Outcome of handling one encoder event. */
export type CompleteOutcome = 'ignored' | 'progress' | 'succeeded' | 'retry' | 'rejected';


/**
 * Record an encoder state change and answer the workflow: success moves the job to VERIFYING with
 * the actual times (prediction feedback) and sends SendTaskSuccess; a failure moves it to RETRYING
 * and sends SendTaskFailure(EncodeFailed) — or EncodeRejected when the input is at fault. A chunked
 * Batch encode is judged by its join job: it succeeds with the manifest the join writes, and fails
 * (Batch fails it at once, with no exit code) when a chunk child failed after its retries — rejected
 * when that child found bad input and left its reason (`chunkRejectionUri`), retried otherwise.
 */
export async function completeEncode(deps: CompleteDeps, change: EncoderStateChange): Promise<CompleteOutcome> {
  const job = await deps.store.get(change.jobId);
  if (!job || job.status !== 'ENCODING' || !job.dispatch?.externalId) return 'ignored';
  // A chunked Batch encode answers on its join job's events; its chunk children (`<arrayId>:<i>`) only report progress.
  const ids = parseExternalId(job.dispatch.externalId);
  const child = ids.arrayId !== undefined && change.externalId.split(':')[0] === ids.arrayId;
  if (change.externalId !== ids.primary && !(child && change.state === 'progress')) return 'ignored';
  const token = job.dispatch.taskToken;
  if (change.state === 'progress') {
    await update(deps.store, job.id, (cur) => (cur.dispatch ? { ...cur, dispatch: { ...cur.dispatch, progress: change.progress ?? cur.dispatch.progress } } : cur));
    if (token) await deps.tokens.heartbeat(token);
    return 'progress';
  }
  const wallSec = Math.max(0, (change.at - job.dispatch.submittedAt) / 1000);
  if (change.state === 'succeeded') {
    const outputs = change.outputs ?? [];
    const prefix = outputPrefixFor(deps.outputBucket, job, job.dispatch.attempt);
    let manifest: WorkerManifest | undefined;
    if (change.backend === 'batch-gpu') {
      const text = await deps.objects.readText(`${prefix}manifest.json`);
      manifest = text ? (JSON.parse(text) as WorkerManifest) : undefined;
    }
    const rendered = change.backend === 'mediaconvert' ? renderedFor(job, prefix) : undefined;
    const manifests = change.backend === 'batch-gpu' ? batchManifests(manifest, prefix) : mediaConvertManifests(rendered, change, prefix);
    const cmaf = rendered ? renderedCmafOutputs(rendered) : new Map<string, string>();
    const stored = await update(deps.store, job.id, (cur) => {
      const renditions = cur.renditions.map((r) => {
        const m = manifest?.renditions.find((x) => x.renditionId === r.renditionId);
        // MediaConvert names outputs <source>_<NameModifier>.<ext>; the name modifier is `_<renditionId>`.
        const suffix = new RegExp(`(_|/)${r.renditionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.[A-Za-z0-9]+|/index\\.m3u8)$`);
        const listed = m?.outputs ?? outputs.filter((o) => suffix.test(o));
        // a CMAF group's outputs are not listed in the event: its variant playlist stands for the rung (Verify checks it)
        const inCmaf = cmaf.get(`_${r.renditionId}`);
        const mine = listed.length === 0 && inCmaf ? [inCmaf] : listed;
        return { ...r, status: mine.length > 0 ? ('done' as const) : r.status, outputs: mine, backend: change.backend, wallSec: m?.wallSec ?? wallSec, ...(m ? { bytes: m.bytes } : {}) };
      });
      // This attempt's entry points replace any an earlier attempt recorded (none is better than a stale one).
      const { manifests: _earlier, ...rest } = cur;
      return transition(rest, 'VERIFYING', change.at, `${change.backend} finished in ${wallSec.toFixed(0)} s`, { renditions, ...(manifests ? { manifests } : {}) });
    });
    const predicted = stored.prediction?.wallSecP50;
    if (predicted && predicted > 0) deps.metrics?.add('PredictionRatio', 'None', wallSec / predicted);
    deps.metrics?.add('EncodeSeconds', 'Seconds', wallSec, { backend: change.backend });
    if (token) await deps.tokens.succeed(token, { backend: change.backend, externalId: change.externalId, wallSec, outputs: stored.renditions.flatMap((r) => r.outputs).length });
    return 'succeeded';
  }
  let outcome = change.backend === 'batch-gpu' ? outcomeOfExitCode(change.exitCode) : /input|decode|unsupported|corrupt/i.test(change.error ?? '') ? 'badInput' : 'failed';
  let error = change.error ?? 'failed';
  if (outcome === 'failed' && change.backend === 'batch-gpu' && ids.arrayId !== undefined && change.exitCode === undefined) {
    // The join never ran (a dependency failed): a chunk child that found bad input left why.
    const rejection = await chunkRejectionOf(deps.objects, outputPrefixFor(deps.outputBucket, job, job.dispatch.attempt));
    if (rejection) {
      outcome = 'badInput';
      error = `chunk ${rejection.index} rejected the input: ${rejection.reason}`;
    }
  }
  const reason = `${change.backend} ${change.externalId}: ${error.slice(0, 500)}`;
  if (outcome === 'badInput') {
    if (token) await deps.tokens.fail(token, 'EncodeRejected', reason);
    return 'rejected';
  }
  await update(deps.store, job.id, (cur) => transition(cur, 'RETRYING', change.at, reason));
  deps.metrics?.add('EncodeFailed', 'Count', 1, { backend: change.backend });
  if (token) await deps.tokens.fail(token, 'EncodeFailed', reason);
  return 'retry';
}

/** The Batch worker's entry points: the HLS master its manifest lists, if it is an object of this attempt (the worker packages no DASH). */
function batchManifests(manifest: WorkerManifest | undefined, prefix: string): StreamingManifests | undefined {
  const hls: unknown = manifest?.hlsMaster;
  return typeof hls === 'string' && hls.startsWith(prefix) && hls.endsWith('.m3u8') ? { hls } : undefined;
}

/** The CreateJob request rendered for this job and attempt (only its output groups are read: the submission fields are placeholders), or undefined. */
function renderedFor(job: Job, prefix: string): CreateJobCommandInput | undefined {
  try {
    return job.recipe ? renderMediaConvertJob(job, job.recipe, { role: '-', queueArn: '-', priority: 0, outputPrefix: prefix, clientRequestToken: job.id, accelerated: false, userMetadata: {} }) : undefined;
  } catch {
    return undefined; // Verify then names what is missing rather than this event being retried for ever.
  }
}

/**
 * MediaConvert's entry points: the master playlist and MPD its COMPLETE event lists, when they lie in
 * this attempt's prefix; otherwise (an event without `playlistFilePaths`) where the output groups
 * rendered for the job make MediaConvert write them. Verify then checks they exist.
 */
function mediaConvertManifests(rendered: CreateJobCommandInput | undefined, change: EncoderStateChange, prefix: string): StreamingManifests | undefined {
  const mine = (uri: string | undefined) => (uri?.startsWith(prefix) ? uri : undefined);
  const implied = rendered ? renderedManifests(rendered) : undefined;
  const hls = mine(change.manifests?.hls) ?? implied?.hls;
  const dash = mine(change.manifests?.dash) ?? implied?.dash;
  return hls || dash ? { ...(hls ? { hls } : {}), ...(dash ? { dash } : {}) } : undefined;
}

/** The rejection a chunk child of this attempt left, if any (an unreadable marker still rejects: only bad input writes one). */
async function chunkRejectionOf(objects: ObjectStore, outputPrefix: string): Promise<ChunkRejection | undefined> {
  const text = await objects.readText(chunkRejectionUri(outputPrefix));
  if (text === undefined) return undefined;
  try {
    const marker = JSON.parse(text) as Partial<ChunkRejection>;
    return { index: Number(marker.index ?? -1), reason: String(marker.reason ?? 'bad input') };
  } catch {
    return { index: -1, reason: 'bad input' };
  }
}
