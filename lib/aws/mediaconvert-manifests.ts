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
  const base = inputBaseName(req);
  if (base === undefined) return undefined;
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

/** MediaConvert's base for output names: the input file's name without its extension. */
function inputBaseName(req: CreateJobCommandInput): string | undefined {
  const input = req.Settings?.Inputs?.[0]?.FileInput;
  if (!input) return undefined;
  const file = input.slice(input.lastIndexOf('/') + 1);
  return file.includes('.') ? file.slice(0, file.lastIndexOf('.')) : file;
}

/**
 * What stands for each output of a CMAF group, by name modifier: a COMPLETE event lists no
 * `outputFilePaths` for CMAF groups (only the group's top-level manifests), so an output is known by
 * its HLS variant playlist, `<dest><input base><NameModifier>.m3u8` (the name modifier names variant
 * manifests), or by the group's MPD when the group writes no HLS.
 */
export function renderedCmafOutputs(req: CreateJobCommandInput): Map<string, string> {
  const base = inputBaseName(req);
  const out = new Map<string, string>();
  if (base === undefined) return out;
  for (const g of req.Settings?.OutputGroups ?? []) {
    const cmaf = g.OutputGroupSettings?.CmafGroupSettings;
    if (!cmaf?.Destination?.endsWith('/')) continue;
    const hls = cmaf.WriteHlsManifest !== 'DISABLED';
    for (const o of g.Outputs ?? []) {
      if (!o.NameModifier || !o.VideoDescription) continue;
      out.set(o.NameModifier, hls ? `${cmaf.Destination}${base}${o.NameModifier}.m3u8` : `${cmaf.Destination}${base}.mpd`);
    }
  }
  return out;
}
