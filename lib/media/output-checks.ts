/**
 * Output checks over real files with ffprobe: streams, duration, size, keyframe times (packet
 * flags), HLS playlist validity, then quality against the source — the facts that the pure
 * `evaluateQc` in lib/core/qc judges.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { evaluateQc, validateMediaPlaylist, type QcVerdict, type RenditionOutputFacts } from '../core/qc';
import type { Recipe, Rendition, RenditionResult } from '../core/types';
import type { QualityMeter } from '../ports';
import { ffprobePath } from './binaries';
import { run } from './process';

const PROBE_TIMEOUT_MS = 60_000;

interface FfprobeStreams {
  streams?: { codec_type?: string; width?: number; height?: number; duration?: string }[];
  format?: { duration?: string };
}

/** Streams, duration and picture size of a media file (MP4, or an HLS playlist through ffprobe). */
export async function probeOutput(path: string): Promise<Omit<RenditionOutputFacts, 'renditionId' | 'keyframeTimes' | 'playlist'>> {
  const { stdout } = await run(ffprobePath(), ['-v', 'error', '-show_entries', 'stream=codec_type,width,height,duration:format=duration', '-of', 'json', path], { timeoutMs: PROBE_TIMEOUT_MS });
  const j = JSON.parse(stdout) as FfprobeStreams;
  const video = j.streams?.find((s) => s.codec_type === 'video');
  const duration = Number(j.format?.duration ?? video?.duration);
  return {
    hasVideo: Boolean(video),
    hasAudio: Boolean(j.streams?.some((s) => s.codec_type === 'audio')),
    ...(video?.width ? { width: video.width, height: video.height } : {}),
    ...(Number.isFinite(duration) ? { durationSec: duration } : {}),
  };
}

/** Presentation times of the video keyframes, from packet flags (`K`), relative to the first packet. */
export async function keyframeTimes(path: string): Promise<number[]> {
  const { stdout } = await run(ffprobePath(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', path], { timeoutMs: PROBE_TIMEOUT_MS });
  const rows = stdout
    .split('\n')
    .map((l) => l.trim().split(','))
    .filter((c) => c.length >= 2 && c[0] !== '' && c[0] !== 'N/A')
    .map((c) => ({ t: Number(c[0]), key: (c[1] ?? '').includes('K') }));
  if (rows.length === 0) return [];
  const t0 = Math.min(...rows.map((r) => r.t));
  return rows.filter((r) => r.key).map((r) => Math.round((r.t - t0) * 1000) / 1000).sort((a, b) => a - b);
}

/** Validate an HLS media playlist on disk, including that every segment it lists exists. */
export function checkHlsPlaylist(path: string): { valid: boolean; errors: string[] } {
  if (!existsSync(path)) return { valid: false, errors: [`playlist ${path} does not exist`] };
  const check = validateMediaPlaylist(readFileSync(path, 'utf8'));
  const errors = [...check.errors];
  for (const s of check.media?.segments ?? []) {
    if (/^[a-z]+:\/\//i.test(s.uri)) continue;
    if (!existsSync(join(dirname(path), s.uri))) errors.push(`segment ${s.uri} is missing`);
  }
  return { valid: errors.length === 0, errors };
}

/** All facts of one rendition's outputs: the first MP4 (else the playlist) is probed; a playlist is validated. */
export async function renditionFacts(renditionId: string, outputs: readonly string[]): Promise<RenditionOutputFacts> {
  const playlist = outputs.find((o) => o.endsWith('.m3u8'));
  const media = outputs.find((o) => o.endsWith('.mp4')) ?? playlist;
  if (!media || !existsSync(media)) return { renditionId, hasVideo: false, hasAudio: false, ...(playlist ? { playlist: checkHlsPlaylist(playlist) } : {}) };
  const playlistCheck = playlist ? { playlist: checkHlsPlaylist(playlist) } : {};
  try {
    const [info, keys] = await Promise.all([probeOutput(media), keyframeTimes(media)]);
    return { renditionId, ...info, keyframeTimes: keys, ...playlistCheck };
  } catch {
    // Unreadable output (truncated file, playlist with missing segments): no usable video stream.
    return { renditionId, hasVideo: false, hasAudio: false, ...playlistCheck };
  }
}

export interface VerifyOptions {
  meter?: QualityMeter;
  /** Source display size for quality measurement. */
  width: number;
  height: number;
  /**
   * Source frame rate: both streams are re-timed to it before frames are paired, so a source whose
   * container rounds timestamps (Matroska, 1 ms) at 29.97/30 fps is not compared frame-shifted.
   */
  fps?: number;
  sourceDurationSec?: number;
  sourceHasAudio?: boolean;
  signal?: AbortSignal;
}

/**
 * Verify a job's finished renditions against the source: gather facts, measure quality where a
 * meter is given and the result has none yet, and judge with `evaluateQc`. Returns the results
 * with quality filled in, and the verdict.
 */
export async function verifyRenditions(
  source: string,
  recipe: Recipe,
  ladder: readonly Rendition[],
  results: readonly RenditionResult[],
  opts: VerifyOptions,
): Promise<{ results: RenditionResult[]; verdict: QcVerdict }> {
  const out: RenditionResult[] = [];
  const facts: RenditionOutputFacts[] = [];
  for (const res of results) {
    if (res.status !== 'done') {
      out.push(res);
      continue;
    }
    facts.push(await renditionFacts(res.renditionId, res.outputs));
    const media = res.outputs.find((o) => o.endsWith('.mp4')) ?? res.outputs[0];
    if (!res.quality && opts.meter && media) {
      const quality = await opts.meter.measure(source, media, { width: opts.width, height: opts.height, ...(opts.fps ? { fps: opts.fps } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      out.push({ ...res, quality: { psnr: quality.psnr, ssim: quality.ssim, ...(quality.vmaf !== undefined ? { vmaf: quality.vmaf } : {}) } });
    } else {
      out.push(res);
    }
  }
  const verdict = evaluateQc({
    recipe,
    ladder,
    results: out,
    facts,
    ...(opts.sourceDurationSec !== undefined ? { sourceDurationSec: opts.sourceDurationSec } : {}),
    ...(opts.sourceHasAudio !== undefined ? { sourceHasAudio: opts.sourceHasAudio } : {}),
  });
  return { results: out, verdict };
}
