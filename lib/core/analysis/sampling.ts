import type { SourceInfo } from '../types';

/** A stretch of the title the analyzer decodes. */
export interface SampleWindow {
  startSec: number;
  durationSec: number;
}

/** Where the analyzer looks: short windows spread over the title, an audio stretch, and the analysis size. */
export interface SamplingPlan {
  windows: SampleWindow[];
  /** Sum of window durations over the title's duration (0..1). */
  sampledShare: number;
  audio: SampleWindow | null;
  /** Size the sampled frames are scaled to for SI/TI (height capped, aspect kept, even). */
  analysisWidth: number;
  analysisHeight: number;
}

export interface SamplingOptions {
  /** Largest height of the SI/TI frames (default 360). */
  maxAnalysisHeight?: number;
  /** Seconds of audio listened to for speech/music and loudness (default 20). */
  audioSeconds?: number;
}

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Sampling plan. The sampled time grows slowly with the title: 10% of it, but at least 1.2 s and at
 * most 12 s, in 3 windows (titles under 20 s), 4 (under 2 min) or 5, each placed at the centre of an
 * equal slice of the title, so intros, middles and ends are all seen. Titles up to 3 s are taken whole.
 * Encoding cost grows with the whole title, so the analysis share falls as titles get longer.
 */
export function samplingPlan(source: Pick<SourceInfo, 'durationSec' | 'width' | 'height' | 'audio'>, opts: SamplingOptions = {}): SamplingPlan {
  const d = Math.max(0, source.durationSec);
  const maxH = opts.maxAnalysisHeight ?? 360;
  const analysisHeight = even(Math.min(maxH, source.height));
  const analysisWidth = even((source.width * analysisHeight) / Math.max(1, source.height));
  let windows: SampleWindow[];
  if (d <= 3) {
    windows = [{ startSec: 0, durationSec: round3(d) }];
  } else {
    const count = d < 20 ? 3 : d < 120 ? 4 : 5;
    const total = Math.min(12, Math.max(1.2, 0.1 * d));
    const each = total / count;
    const slice = d / count;
    windows = Array.from({ length: count }, (_, i) => ({
      startSec: round3(Math.max(0, slice * i + slice / 2 - each / 2)),
      durationSec: round3(each),
    }));
  }
  const sampled = windows.reduce((s, w) => s + w.durationSec, 0);
  const audioLen = Math.min(d, opts.audioSeconds ?? 20);
  const audio = source.audio ? { startSec: round3(Math.max(0, Math.min(d * 0.1, d - audioLen))), durationSec: round3(audioLen) } : null;
  return { windows, sampledShare: d > 0 ? Math.min(1, sampled / d) : 0, audio, analysisWidth, analysisHeight };
}
