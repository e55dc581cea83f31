/**
 * Streaming entry points of a MediaConvert job: the HLS master playlist and the DASH MPD, read from
 * its COMPLETE event (`outputGroupDetails[].playlistFilePaths`) or, when the event lacks them, from
 * where the rendered output groups make MediaConvert write them.
 */
import type { CreateJobCommandInput } from '@aws-sdk/client-mediaconvert';
import type { Job } from '../core/types';

/** An HLS master playlist and/or DASH MPD (object URIs). */
export type StreamingManifests = NonNullable<Job['manifests']>;

/**
 * The entry points among a COMPLETE event's playlist paths: the first `.m3u8` (an HLS group's
 * multivariant playlist, or a CMAF group's HLS manifest) and the first `.mpd` (a DASH ISO or CMAF
 * group's). Only `s3://` URIs count. Undefined when there is neither.
 */
export function manifestsOfPlaylists(paths: readonly string[]): StreamingManifests | undefined {
  const s3 = paths.filter((p) => p.startsWith('s3://'));
  const hls = s3.find((p) => /\.m3u8$/i.test(p));
  const dash = s3.find((p) => /\.mpd$/i.test(p));
  return hls || dash ? { ...(hls ? { hls } : {}), ...(dash ? { dash } : {}) } : undefined;
}

/**
 * Where a rendered CreateJob request makes MediaConvert write its manifests: with a destination that
 * ends in `/`, a group names its top-level manifests after the input file (`<dest><input base>.m3u8`
 * / `.mpd`) — an HLS group its master playlist, a DASH ISO group its MPD, a CMAF group both (as its
 * Write*Manifest settings allow).
 */
export function renderedManifests(req: CreateJobCommandInput): StreamingManifests | undefined {
  const input = req.Settings?.Inputs?.[0]?.FileInput;
  if (!input) return undefined;
  const file = input.slice(input.lastIndexOf('/') + 1);
  const base = file.includes('.') ? file.slice(0, file.lastIndexOf('.')) : file;
  const out: StreamingManifests = {};
  for (const g of req.Settings?.OutputGroups ?? []) {
    const s = g.OutputGroupSettings;
    const cmaf = s?.CmafGroupSettings;
    if (cmaf?.Destination?.endsWith('/')) {
      if (cmaf.WriteHlsManifest !== 'DISABLED') out.hls ??= `${cmaf.Destination}${base}.m3u8`;
      if (cmaf.WriteDashManifest !== 'DISABLED') out.dash ??= `${cmaf.Destination}${base}.mpd`;
    }
    const hls = s?.HlsGroupSettings?.Destination;
    if (hls?.endsWith('/')) out.hls ??= `${hls}${base}.m3u8`;
    const dash = s?.DashIsoGroupSettings?.Destination;
    if (dash?.endsWith('/')) out.dash ??= `${dash}${base}.mpd`;
  }
  return out.hls || out.dash ? out : undefined;
}
