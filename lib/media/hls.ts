import type { AudioProfile, Rendition } from '../core/types';

/** Where one rendition's HLS media playlist lives, relative to the master playlist. */
export interface HlsVariant {
  rendition: Rendition;
  /** Playlist path relative to the master playlist's folder, e.g. `720p-h264/index.m3u8`. */
  uri: string;
  /** Measured average bitrate of the rendition in bits/s, when known (else the ladder's cap). */
  averageBandwidth?: number;
}

/** RFC 6381 codec string for an H.264 rendition (`avc1.PPCCLL`) plus AAC-LC when there is audio. */
export function codecsAttribute(rendition: Rendition, audio: AudioProfile | null): string {
  const profileIdc: Record<string, string> = { baseline: '42e0', main: '4d40', high: '6400' };
  // Level from the frame size and rate (H.264 Annex A, rounded up to common levels).
  const mbps = Math.ceil(rendition.width / 16) * Math.ceil(rendition.height / 16) * rendition.fps;
  const level = mbps <= 40_500 ? 30 : mbps <= 108_000 ? 31 : mbps <= 245_760 ? 40 : mbps <= 522_240 ? 42 : 51;
  const video = `avc1.${profileIdc[rendition.profile] ?? '6400'}${level.toString(16).padStart(2, '0')}`;
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
