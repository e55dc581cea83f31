/**
 * The pipeline model's constants, in one place: what was measured with real ffmpeg on the
 * development machine, and what could not be measured there (no GPU, no queue) and is assumed.
 *
 * Figures of 2026-11-27, 300 frames (10 s) of flower_720p scaled to a 1080p H.264 source, 1 thread,
 * CPU seconds from `-benchmark`, load average 5–9 (other sessions). A second 300-frame run gave QC
 * 0.142, ladder share 0.286, chunk start 0.074, decode shares within 0.02 — but the cheap-pair share
 * 0.546 (0.48 in a 60-frame run) and process start 0.177 s: small differences of noisy totals. The
 * lower cheap-pair share is kept (conservative for the multi-stage shape).
 *
 * Re-measure with `npm run bench -- pipeline --measure` (test/bench/_pipeline-measure.ts; it
 * writes bench/results/pipeline-measure.json and prints these fields). Units are the prediction
 * model's reference slot-seconds, calibrated by the same 1080p x264 rung: its measured CPU seconds
 * per content second against the model's P50 for it.
 */
export const MEASURED_PIPELINE_COSTS = {
  /** ffmpeg process start, source open and first decoded frame, wall seconds (median of 5). */
  processStartSec: 0.078,
  /**
   * Extra work per closed-GOP chunk of a 1080p x264 rung: 5 chunk encodes minus the whole-rung
   * encode measured −0.006 CPU s per chunk (nil: encoder start and lookahead refill cost nothing
   * measurable), plus the seek's decode of half a misaligned 2 s source GOP (0.21 CPU s/s).
   */
  chunkStartSec: 0.077,
  /**
   * Share of the smaller rungs' encode cost saved when cheap rungs (360p + 540p) are encoded in one
   * process from one decode (`split` filter) instead of one process each.
   */
  groupSharedShareCheap: 0.285,
  /** The same for a whole ladder (360p … 1080p) in one process: smaller rungs' share saved (17.9% of the ladder). */
  groupSharedShareLadder: 0.289,
  /** Decode + scale of a 1080p source as a share of each rung's whole encode, by rung height. */
  decodeShareByHeight: { 360: 0.61, 540: 0.36, 720: 0.26, 900: 0.19, 1080: 0.09 } as Record<number, number>,
  /** HLS packaging by stream copy (also the join's concat copy), per rendition-second. */
  packageSecPerRenditionSourceSec: 0.0001,
  /** QC as the local runtime runs it (PSNR + SSIM against the source, every frame), per rendition-second, ladder mean. */
  qcSecPerRenditionSourceSec: 0.141,
} as const;

/** Not measurable on the development machine; kept as documented assumptions. */
export const ASSUMED_PIPELINE_COSTS = {
  /** Queue hop per task (SQS receive, S3 range GET of the source) on top of the process start. */
  queueHopSec: 2,
} as const;
