/**
 * Feedback from completed jobs: predicted vs actual per rendition, read from a JSONL export
 * (one record per line) and folded into the per-backend calibration, with an error report.
 *
 * Record: `{"backend":"local","predictedWallSec":12.1,"actualWallSec":14.0,"predictedCpuSec":20,"actualCpuSec":25}`.
 * The local runtime can write such lines from `Job.prediction.renditions` and `Job.renditions`
 * (`RenditionResult.wallSec/cpuSec`), or call `updateCalibration` directly after each rendition.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BACKENDS, type Job } from '../../core/types';
import { updateCalibration, type Calibration } from '../../core/prediction';
import { MarqueeError } from '../../core/errors';

/** A feedback line failed validation. */
export class FeedbackFormatError extends MarqueeError {}

export const feedbackRecordSchema = z.object({
  jobId: z.string().optional(),
  renditionId: z.string().optional(),
  backend: z.enum(BACKENDS),
  predictedWallSec: z.number().positive(),
  actualWallSec: z.number().positive(),
  predictedCpuSec: z.number().positive().optional(),
  actualCpuSec: z.number().positive().optional(),
});
export type FeedbackRecord = z.infer<typeof feedbackRecordSchema>;

/** Parse a JSONL export (blank lines ignored). */
export function parseFeedback(text: string, source = 'feedback'): FeedbackRecord[] {
  return text.split(/\r?\n/).flatMap((line, i) => {
    if (line.trim() === '') return [];
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (cause) {
      throw new FeedbackFormatError(`${source}:${i + 1}: not JSON`, { cause });
    }
    const r = feedbackRecordSchema.safeParse(data);
    if (!r.success) throw new FeedbackFormatError(`${source}:${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return [r.data];
  });
}

export function readFeedback(path: string): FeedbackRecord[] {
  return parseFeedback(readFileSync(path, 'utf8'), path);
}

/** Feedback records of a finished job: every done rendition with a prediction and a measured time. */
export function feedbackFromJob(job: Job): FeedbackRecord[] {
  const preds = new Map((job.prediction?.renditions ?? []).map((p) => [p.renditionId, p]));
  return job.renditions.flatMap((r) => {
    const p = preds.get(r.renditionId);
    if (r.status !== 'done' || !p || !r.wallSec || r.wallSec <= 0) return [];
    return [{ jobId: job.id, renditionId: r.renditionId, backend: r.backend ?? p.backend, predictedWallSec: p.wallSecP50, actualWallSec: r.wallSec, predictedCpuSec: p.cpuSecP50 > 0 ? p.cpuSecP50 : undefined, actualCpuSec: r.cpuSec && r.cpuSec > 0 ? r.cpuSec : undefined }];
  });
}

/** Prediction error of feedback records, per backend: share within ±15% and MAPE of wall time. */
export function feedbackReport(records: readonly FeedbackRecord[]): { backend: string; n: number; within15Wall: number; mapeWall: number }[] {
  const by = new Map<string, FeedbackRecord[]>();
  for (const r of records) by.set(r.backend, [...(by.get(r.backend) ?? []), r]);
  return [...by.entries()].map(([backend, rs]) => {
    const errs = rs.map((r) => Math.abs(r.predictedWallSec - r.actualWallSec) / r.actualWallSec);
    return { backend, n: rs.length, within15Wall: errs.filter((e) => e <= 0.15).length / rs.length, mapeWall: (100 * errs.reduce((a, b) => a + b, 0)) / rs.length };
  });
}

/** Fold records, in order, into a calibration. */
export function calibrateFromFeedback(records: readonly FeedbackRecord[], start: Calibration = {}): Calibration {
  return records.reduce(
    (cal, r) => updateCalibration(cal, r.backend, { wallSec: r.predictedWallSec, cpuSec: r.predictedCpuSec }, { wallSec: r.actualWallSec, cpuSec: r.actualCpuSec }),
    start,
  );
}
