import { join } from 'node:path';
import type { AudioProfile, Rendition } from '../core/types';

/** Where one rendition's HLS media playlist lives, relative to the master playlist. */
export interface HlsVariant {
  rendition: Rendition;
  /** Playlist path relative to the master playlist's folder, e.g. `720p-h264/index.m3u8`. */
  uri: string;
  /** Measured average bitrate of the rendition in bits/s, when known (else the ladder's cap). */
  averageBandwidth?: number;
}

/**
 * RFC 6381 codec string of a rendition plus AAC-LC when there is audio: `avc1.PPCCLL` for H.264,
 * and the common main-profile strings for HEVC (`hvc1`), VP9 (`vp09`) and AV1 (`av01`), with the
 * level from the frame size and rate.
 */
export function codecsAttribute(rendition: Rendition, audio: AudioProfile | null): string {
  // Level from luma samples per second (H.264 Annex A macroblock rate, rounded up to common levels).
  const mbps = Math.ceil(rendition.width / 16) * Math.ceil(rendition.height / 16) * rendition.fps;
  const step = mbps <= 40_500 ? 0 : mbps <= 108_000 ? 1 : mbps <= 245_760 ? 2 : mbps <= 522_240 ? 3 : 4;
  let video: string;
  switch (rendition.codec) {
    case 'hevc':
      video = `hvc1.${rendition.profile === 'main10' ? 2 : 1}.6.L${[90, 93, 120, 123, 153][step]}.B0`;
      break;
    case 'vp9':
      video = `vp09.00.${[30, 31, 40, 41, 51][step]}.08`;
      break;
    case 'av1':
      video = `av01.0.${['04', '05', '08', '09', '12'][step]}M.08`;
      break;
    default: {
      const profileIdc: Record<string, string> = { baseline: '42e0', main: '4d40', high: '6400' };
      const level = [30, 31, 40, 42, 51][step]!;
      video = `avc1.${profileIdc[rendition.profile] ?? '6400'}${level.toString(16).padStart(2, '0')}`;
    }
  }
  return audio ? `${video},mp4a.40.2` : video;
}

/**
 * An HLS master playlist over a ladder's media playlists, highest bandwidth first
 * (players pick their start variant from the top of the list).
 */
export function masterPlaylist(variants: readonly HlsVariant[], audio: AudioProfile | null): string {
  const sorted = [...variants].sort((a, b) => b.rendition.maxBitrateKbps - a.rendition.maxBitrateKbps);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of sorted) {
    const r = v.rendition;
    const peak = r.maxBitrateKbps * 1000 + (audio ? audio.bitrateKbps * 1000 : 0);
    const attrs = [
      `BANDWIDTH=${Math.round(peak)}`,
      ...(v.averageBandwidth ? [`AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`] : []),
      `RESOLUTION=${r.width}x${r.height}`,
      `FRAME-RATE=${r.fps.toFixed(3)}`,
      `CODECS="${codecsAttribute(r, audio)}"`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return lines.join('\n') + '\n';
}

/** A VOD media playlist as read back for output checks. */
export interface MediaPlaylist {
  segments: Array<{ uri: string; durationSec: number }>;
  /** `#EXT-X-ENDLIST` present: the playlist is complete. */
  ended: boolean;
  targetDurationSec?: number;
}

/** Parse an HLS media playlist (the subset ffmpeg's hls muxer writes). */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const segments: MediaPlaylist['segments'] = [];
  let ended = false;
  let target: number | undefined;
  let pending: number | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    else if (line === '#EXT-X-ENDLIST') ended = true;
    else if (!line.startsWith('#')) {
      segments.push({ uri: line, durationSec: Number.isFinite(pending) ? pending! : 0 });
      pending = undefined;
    }
  }
  return { segments, ended, ...(target !== undefined && Number.isFinite(target) ? { targetDurationSec: target } : {}) };
}

/**
 * ffmpeg arguments of a stream-copy remux of an MP4 into VOD HLS under `dir` (`index.m3u8`): MPEG-TS
 * segments for H.264, fMP4 (CMAF, `init.mp4`) for HEVC/VP9/AV1. Segments are the whole number of GOPs
 * closest to `segmentSec` (default 6), so every segment starts on a keyframe and rungs stay aligned.
 * The one builder of HLS packaging for single-pass encodes, local joins and the Batch join.
 */
export function hlsRemuxArgs(mp4: string, dir: string, opts: { gopSeconds: number; fmp4: boolean; segmentSec?: number | undefined }): string[] {
  const gop = Math.max(1, opts.gopSeconds);
  const segment = gop * Math.max(1, Math.round((opts.segmentSec ?? 6) / gop));
  return [
    '-hide_banner', '-nostdin', '-y', '-i', mp4,
    '-map', '0', '-c', 'copy',
    '-f', 'hls', '-hls_time', String(segment), '-hls_playlist_type', 'vod',
    ...(opts.fmp4 ? ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4'] : []),
    '-hls_segment_filename', join(dir, opts.fmp4 ? 'seg-%05d.m4s' : 'seg-%05d.ts'),
    join(dir, 'index.m3u8'),
  ];
}
