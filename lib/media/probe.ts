import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { RejectedInputError } from '../core/errors';
import { DEFAULT_SOURCE_LIMITS, rejectionReason, type SourceLimits } from '../core/analysis';
import { RAW_ELEMENTARY_FORMATS, sourceInfoFromProbe } from '../core/analysis/source';
import type { SourceInfo } from '../core/types';
import type { ProbeOptions, Prober } from '../ports';
import { ffprobePath } from './binaries';
import { ProcessError, run } from './process';

/** Default bound on one ffprobe run: a hostile file is killed after this. */
export const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

/** File extensions of raw Annex-B / elementary streams: ffmpeg needs a frame rate before `-i`. */
const RAW_EXTENSIONS = new Set(['.h264', '.264', '.avc', '.h265', '.265', '.hevc', '.m4v', '.obu']);

/** True when the URI names a raw elementary stream (by extension). */
export function isRawStream(uri: string): boolean {
  return RAW_EXTENSIONS.has(extname(uri.split('?')[0] ?? uri).toLowerCase());
}

/**
 * ffmpeg input arguments for a source: `-r <fps>` before `-i` for raw elementary streams
 * (they carry no container timing), plain `-i` otherwise.
 */
export function inputArgs(uri: string, source?: Pick<SourceInfo, 'container' | 'fps'>): string[] {
  const raw = isRawStream(uri) || (source !== undefined && source.container.split(',').some((f) => (RAW_ELEMENTARY_FORMATS as readonly string[]).includes(f)));
  return raw && source && source.fps > 0 ? ['-r', String(source.fps), '-i', uri] : ['-i', uri];
}

export interface FfprobeProberOptions {
  /** ffprobe binary; default MARQUEE_FFPROBE or the npm build. */
  bin?: string;
  timeoutMs?: number;
  limits?: SourceLimits;
  /** Frame rate assumed for raw streams without timing in their headers. */
  rawFps?: number;
}

const isRemote = (uri: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://');

/** The first line of ffprobe's stderr that says something (its messages are the reason a person needs). */
function ffprobeWhy(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.find((l) => /invalid data|moov atom|not found|error|unknown|could not/i.test(l)) ?? lines.at(-1) ?? 'no output';
  // eslint-disable-next-line no-control-regex -- stripping control characters from tool output
  return last.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}

/**
 * Prober over ffprobe: container and stream facts, normalised into SourceInfo. Every run has a
 * timeout. Unusable input (empty, not media, no video, unsupported codec, truncated, absurd
 * header values) throws RejectedInputError with a reason a person can act on; nothing is decoded.
 */
export class FfprobeProber implements Prober {
  constructor(private readonly opts: FfprobeProberOptions = {}) {}

  async probe(uri: string, opts: ProbeOptions = {}): Promise<SourceInfo> {
    const path = uri.startsWith('file://') ? new URL(uri).pathname : uri;
    let sizeBytes: number | undefined;
    if (!isRemote(path)) {
      const st = await stat(path).catch(() => undefined);
      if (!st) throw new RejectedInputError(`source not found: ${path.slice(-200)}`);
      if (!st.isFile()) throw new RejectedInputError('source is not a regular file (directory, pipe or device)');
      if (st.size === 0) throw new RejectedInputError('file is empty (0 bytes): the upload did not complete; upload it again');
      sizeBytes = st.size;
    }
    const raw = isRawStream(path);
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    const args = ['-v', 'error', '-hide_banner', '-show_format', '-show_streams', '-of', 'json'];
    // Raw elementary streams have no duration in any header: count packets (demux only, no decode).
    if (raw) args.push('-count_packets');
    args.push('-i', path);
    let stdout: string;
    try {
      ({ stdout } = await run(this.opts.bin ?? ffprobePath(), args, { timeoutMs, signal: opts.signal, maxStdoutBytes: 4 * 1024 * 1024 }));
    } catch (err) {
      if (err instanceof ProcessError) {
        if (err.timedOut) throw new RejectedInputError(`ffprobe did not finish within ${timeoutMs} ms: the file is unreadable or hostile`, { cause: err });
        if (err.aborted) throw err;
        if (err.exitCode === null) throw err; // ffprobe could not start: an environment fault, not the upload's
        throw new RejectedInputError(`not a readable media file (truncated or corrupt?): ${ffprobeWhy(err.stderrTail)}`, { cause: err });
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch (err) {
      throw new RejectedInputError('not a readable media file: ffprobe output was not JSON', { cause: err });
    }
    const normalised = sourceInfoFromProbe(json, { ...(sizeBytes !== undefined ? { sizeBytes } : {}), rawFps: this.opts.rawFps ?? 25 });
    if (!normalised.ok) throw new RejectedInputError(normalised.reason);
    const absurd = rejectionReason(normalised.source, this.opts.limits ?? DEFAULT_SOURCE_LIMITS);
    if (absurd) throw new RejectedInputError(absurd);
    return normalised.source;
  }
}
