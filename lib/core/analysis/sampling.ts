import type { SourceInfo } from '../types';
import { OVERVIEW_HEIGHT } from './motion';

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
  /**
   * Stretches scanned at the overview size for scene cuts and motion: the whole title up to
   * `WHOLE_TITLE_OVERVIEW_SEC`, else one longer stretch around each analysis window.
   */
  overview: SampleWindow[];
  /** Sum of overview durations over the title's duration (0..1). */
  overviewShare: number;
  /** Overview frame size: `OVERVIEW_HEIGHT` lines whatever the source (aspect kept, even). */
  overviewWidth: number;
  overviewHeight: number;
  /** Native-resolution centre crop the noise is measured on (at most 256×256, even). */
  noiseCropWidth: number;
  noiseCropHeight: number;
}

/** Titles up to this long are scanned whole for cuts and motion (they are decoded once from 0 anyway). */
export const WHOLE_TITLE_OVERVIEW_SEC = 30;
/**
 * A longer title's overview scan: this many seconds plus `LONG_TITLE_OVERVIEW_SHARE` of the rest (at
 * most `MAX_OVERVIEW_SEC`). Past 30 s the scan is what the analysis decodes, so it sets the cost: with
 * a 30 s base a 60 s 720p title scanned 53% of itself and its analysis cost 5.5–6.9% of its encode;
 * with 10 s it scans 19% (about 3.5 cuts at the 20 cuts/min high-motion threshold) for about half that.
 */
export const LONG_TITLE_OVERVIEW_BASE_SEC = 10;
export const LONG_TITLE_OVERVIEW_SHARE = 0.05;
/** Longest overview scan of a long title, seconds. */
export const MAX_OVERVIEW_SEC = 120;
const NOISE_CROP = 256;

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
  // Cuts are rare events (one every few seconds at most in most content): counting them on 1–12 s
  // of samples mostly reads 0. Scanning is cheap at the overview size (the decode is the cost), so a
  // short title is scanned whole and a long one over 10 s + 5% of the rest (≤ 120 s), around each window.
  let overview: SampleWindow[];
  if (d <= WHOLE_TITLE_OVERVIEW_SEC) {
    overview = [{ startSec: 0, durationSec: round3(d) }];
  } else {
    const total = Math.min(MAX_OVERVIEW_SEC, LONG_TITLE_OVERVIEW_BASE_SEC + LONG_TITLE_OVERVIEW_SHARE * (d - WHOLE_TITLE_OVERVIEW_SEC));
    const each = Math.min(d / windows.length, total / windows.length);
    overview = windows.map((w) => {
      const centre = w.startSec + w.durationSec / 2;
      const start = Math.max(0, Math.min(d - each, centre - each / 2));
      return { startSec: round3(start), durationSec: round3(Math.max(each, w.durationSec)) };
    });
  }
  const overviewSec = overview.reduce((s, w) => s + w.durationSec, 0);
  const overviewHeight = even(OVERVIEW_HEIGHT);
  const overviewWidth = even((source.width * overviewHeight) / Math.max(1, source.height));
  const audioLen = Math.min(d, opts.audioSeconds ?? 20);
  const audio = source.audio ? { startSec: round3(Math.max(0, Math.min(d * 0.1, d - audioLen))), durationSec: round3(audioLen) } : null;
  return {
    windows,
    sampledShare: d > 0 ? Math.min(1, sampled / d) : 0,
    audio,
    analysisWidth,
    analysisHeight,
    overview,
    overviewShare: d > 0 ? Math.min(1, overviewSec / d) : 0,
    overviewWidth,
    overviewHeight,
    noiseCropWidth: even(Math.min(NOISE_CROP, Math.floor(source.width / 2) * 2)),
    noiseCropHeight: even(Math.min(NOISE_CROP, Math.floor(source.height / 2) * 2)),
  };
}
