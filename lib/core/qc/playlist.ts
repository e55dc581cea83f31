/**
 * HLS playlist validation (RFC 8216 rules that players trip over), pure: text in, problems out.
 */

export interface MediaPlaylistFacts {
  targetDuration: number;
  segments: { uri: string; durationSec: number }[];
  totalSec: number;
  endList: boolean;
  version?: number;
}

export interface PlaylistCheck {
  valid: boolean;
  errors: string[];
  media?: MediaPlaylistFacts;
  /** Variant URIs of a master playlist. */
  variants?: { uri: string; bandwidth: number; resolution?: string }[];
}

const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);

/** Validate a media playlist: header, target duration, segment durations, VOD end tag. */
export function validateMediaPlaylist(text: string, opts: { vod?: boolean } = {}): PlaylistCheck {
  const errors: string[] = [];
  const ls = lines(text);
  if (ls[0] !== '#EXTM3U') errors.push('first line is not #EXTM3U');
  const td = ls.find((l) => l.startsWith('#EXT-X-TARGETDURATION:'));
  const targetDuration = td ? Number(td.split(':')[1]) : NaN;
  if (!Number.isFinite(targetDuration) || targetDuration <= 0) errors.push('missing or invalid #EXT-X-TARGETDURATION');
  const versionLine = ls.find((l) => l.startsWith('#EXT-X-VERSION:'));
  const segments: { uri: string; durationSec: number }[] = [];
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (!l.startsWith('#EXTINF:')) continue;
    const d = Number(l.slice('#EXTINF:'.length).split(',')[0]);
    const uri = ls[i + 1];
    if (!Number.isFinite(d) || d <= 0) errors.push(`segment ${segments.length}: invalid #EXTINF duration`);
    if (!uri || uri.startsWith('#')) {
      errors.push(`segment ${segments.length}: #EXTINF without a URI`);
      continue;
    }
    // RFC 8216 §4.3.3.1: each EXTINF rounded to the nearest integer must not exceed the target duration.
    if (Number.isFinite(targetDuration) && Math.round(d) > targetDuration) errors.push(`segment ${uri}: ${d}s exceeds the target duration ${targetDuration}s`);
    segments.push({ uri, durationSec: d });
  }
  if (segments.length === 0) errors.push('no media segments');
  const endList = ls.includes('#EXT-X-ENDLIST');
  if ((opts.vod ?? true) && !endList) errors.push('VOD playlist without #EXT-X-ENDLIST');
  const totalSec = segments.reduce((a, s) => a + (Number.isFinite(s.durationSec) ? s.durationSec : 0), 0);
  return {
    valid: errors.length === 0,
    errors,
    media: { targetDuration, segments, totalSec, endList, ...(versionLine ? { version: Number(versionLine.split(':')[1]) } : {}) },
  };
}

/** Validate a master playlist: each #EXT-X-STREAM-INF has BANDWIDTH and is followed by a URI. */
export function validateMasterPlaylist(text: string): PlaylistCheck {
  const errors: string[] = [];
  const ls = lines(text);
  if (ls[0] !== '#EXTM3U') errors.push('first line is not #EXTM3U');
  const variants: { uri: string; bandwidth: number; resolution?: string }[] = [];
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (!l.startsWith('#EXT-X-STREAM-INF:')) continue;
    const bw = /(?:^|[:,])BANDWIDTH=(\d+)/.exec(l);
    const res = /RESOLUTION=(\d+x\d+)/.exec(l);
    const uri = ls[i + 1];
    if (!bw) errors.push(`variant ${variants.length}: #EXT-X-STREAM-INF without BANDWIDTH`);
    if (!uri || uri.startsWith('#')) {
      errors.push(`variant ${variants.length}: #EXT-X-STREAM-INF without a URI`);
      continue;
    }
    variants.push({ uri, bandwidth: bw ? Number(bw[1]) : 0, ...(res ? { resolution: res[1] } : {}) });
  }
  if (variants.length === 0) errors.push('no variants');
  return { valid: errors.length === 0, errors, variants };
}
