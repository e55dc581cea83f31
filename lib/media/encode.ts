import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EncodeFailedError, MarqueeError } from '../core/errors';
import { renderFfmpegArgs } from '../core/recipes/ffmpeg';
import type { Recipe, RenditionResult } from '../core/types';
import type { EncodeProgress, EncodeTask, EncoderBackend } from '../ports';
import { ffmpegPath } from './binaries';
import { inputArgs } from './probe';
import { masterPlaylist, parseMediaPlaylist, type HlsVariant } from './hls';
import { benchmarkCpuSec, ProcessError, run } from './process';

/** The encode was cancelled (AbortSignal): nothing was published, the rendition can be run again. */
export class EncodeCancelledError extends MarqueeError {}

export interface LocalEncoderOptions {
  /** Threads each ffmpeg may use (the worker's share of the machine). */
  threads?: number;
  /** Timeout for one rendition; default 2 min + 60 s per source second. */
  timeoutMs?: (task: EncodeTask) => number;
  /** ffmpeg binary; default MARQUEE_FFMPEG or the npm-shipped build. */
  ffmpeg?: string;
  /** Target HLS segment length in seconds (rounded to whole GOPs); default 6. */
  hlsSegmentSeconds?: number;
}

/**
 * Where the outputs of one rendition live under a job's output folder. Partial names carry a tag unique
 * to the attempt, so an ffmpeg orphaned by a killed run can never write into the file a later run publishes.
 */
export const renditionPaths = (prefix: string, renditionId: string, tag = `${process.pid}-${randomBytes(3).toString('hex')}`) => ({
  mp4: join(prefix, `${renditionId}.mp4`),
  mp4Partial: join(prefix, `.${renditionId}.${tag}.mp4.partial`),
  hlsDir: join(prefix, 'hls', renditionId),
  hlsPartialDir: join(prefix, 'hls', `.${renditionId}.${tag}.partial`),
  hlsPlaylist: join(prefix, 'hls', renditionId, 'index.m3u8'),
  masterPlaylist: join(prefix, 'hls', 'master.m3u8'),
});

const TIME_RE = /time=(\d+):(\d+):(\d+(?:\.\d+)?)/g;
const SPEED_FPS_RE = /fps=\s*([\d.]+)/;

/** Latest `time=` position (seconds) in an ffmpeg stats chunk, if any. */
export function lastProgressTime(chunk: string): number | undefined {
  let last: number | undefined;
  for (const m of chunk.matchAll(TIME_RE)) last = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return last;
}

const lastLine = (stderr: string): string =>
  stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('bench:') && !/^frame=/.test(l))
    .slice(-2)
    .join(' | ');

/**
 * Encodes one rendition with the local ffmpeg: H.264 MP4 via the recipe's ffmpeg arguments, then
 * (when the recipe packages HLS) a stream-copy remux into VOD HLS segments — one encode per rung.
 * Outputs are written under temporary names and renamed into place only when complete, so a killed
 * process never leaves a partial file that looks finished.
 */
export class LocalFfmpegEncoder implements EncoderBackend {
  readonly backend = 'local' as const;
  private readonly ffmpeg: string;

  constructor(private readonly opts: LocalEncoderOptions = {}) {
    this.ffmpeg = opts.ffmpeg ?? ffmpegPath();
  }

  async encode(task: EncodeTask, { signal, onProgress }: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void } = {}): Promise<RenditionResult> {
    const { rendition, recipe, outputPrefix } = task;
    const source = task.job.source.uri;
    const durationSec = task.job.profile?.source.durationSec ?? 0;
    const paths = renditionPaths(outputPrefix, rendition.id);
    const wantHls = recipe.packaging.includes('hls');
    // DASH is packaged from the MP4s when the job publishes, so they are kept for it too.
    const wantMp4 = recipe.packaging.includes('mp4') || recipe.packaging.includes('dash') || !wantHls;
    const timeoutMs = this.opts.timeoutMs?.(task) ?? 120_000 + durationSec * 60_000;
    const started = performance.now();
    await mkdir(outputPrefix, { recursive: true });

    const srcInfo = task.job.profile?.source;
    const input = inputArgs(source, srcInfo);
    const args = [
      '-benchmark',
      ...renderFfmpegArgs({
        source,
        rendition,
        audio: recipe.audio,
        output: { kind: 'mp4', path: paths.mp4Partial },
        ...(this.opts.threads ? { threads: this.opts.threads } : {}),
        // Raw elementary streams carry no timing: the probed frame rate goes before `-i`.
        inputArgs: input.slice(0, input.indexOf('-i')),
        ...(srcInfo?.interlaced ? { deinterlace: true } : {}),
      }),
    ];
    const encodeShare = wantHls ? 0.95 : 1;
    const report = (chunk: string) => {
      if (!onProgress || !(durationSec > 0)) return;
      const t = lastProgressTime(chunk);
      if (t === undefined) return;
      const fps = SPEED_FPS_RE.exec(chunk)?.[1];
      onProgress({ fraction: Math.min(1, t / durationSec) * encodeShare, ...(fps ? { fps: Number(fps) } : {}) });
    };
    let cpuSec = 0;
    try {
      const res = await this.ffmpegRun(args, { timeoutMs, signal, onStderr: report }, rendition.id);
      cpuSec += benchmarkCpuSec(res.stderr) ?? 0;
      const outputs: string[] = [];
      if (wantHls) {
        const remux = await this.ffmpegRun(this.hlsRemuxArgs(paths.mp4Partial, paths.hlsPartialDir, recipe, rendition.codec !== 'h264'), { timeoutMs, signal }, rendition.id, async () => {
          await rm(paths.hlsPartialDir, { recursive: true, force: true });
          await mkdir(paths.hlsPartialDir, { recursive: true });
        });
        cpuSec += benchmarkCpuSec(remux.stderr) ?? 0;
        await rm(paths.hlsDir, { recursive: true, force: true });
        await rename(paths.hlsPartialDir, paths.hlsDir);
        outputs.push(paths.hlsPlaylist);
      }
      if (wantMp4) {
        await rename(paths.mp4Partial, paths.mp4);
        outputs.unshift(paths.mp4);
      } else {
        await rm(paths.mp4Partial, { force: true });
      }
      onProgress?.({ fraction: 1 });
      // Bytes of the primary output (MP4, else the HLS segments): the rendition's size, not its packagings summed.
      const bytes = await outputBytes(outputs.slice(0, 1));
      return {
        renditionId: rendition.id,
        status: 'done',
        outputs,
        bytes,
        wallSec: (performance.now() - started) / 1000,
        cpuSec,
        backend: 'local',
      };
    } catch (err) {
      await rm(paths.mp4Partial, { force: true }).catch(() => undefined);
      await rm(paths.hlsPartialDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Stream-copy remux into VOD HLS: MPEG-TS segments for H.264, fMP4 (CMAF) for HEVC/VP9/AV1. */
  private hlsRemuxArgs(mp4: string, dir: string, recipe: Recipe, fmp4: boolean): string[] {
    const gop = Math.max(1, recipe.gopSeconds);
    const segment = gop * Math.max(1, Math.round((this.opts.hlsSegmentSeconds ?? 6) / gop));
    return [
      '-benchmark', '-hide_banner', '-nostdin', '-y', '-i', mp4,
      '-map', '0', '-c', 'copy',
      '-f', 'hls', '-hls_time', String(segment), '-hls_playlist_type', 'vod',
      ...(fmp4 ? ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4'] : []),
      '-hls_segment_filename', join(dir, fmp4 ? 'seg-%05d.m4s' : 'seg-%05d.ts'),
      join(dir, 'index.m3u8'),
    ];
  }

  private async ffmpegRun(
    args: string[],
    opts: { timeoutMs: number; signal?: AbortSignal; onStderr?: (c: string) => void },
    renditionId: string,
    before?: () => Promise<void>,
  ) {
    if (opts.signal?.aborted) throw new EncodeCancelledError(`${renditionId}: cancelled`);
    await before?.();
    try {
      return await run(this.ffmpeg, args, opts);
    } catch (err) {
      if (err instanceof ProcessError && err.aborted) throw new EncodeCancelledError(`${renditionId}: cancelled`, { cause: err });
      if (err instanceof ProcessError) {
        throw new EncodeFailedError(`${renditionId}: ffmpeg ${err.timedOut ? `timed out after ${Math.round(opts.timeoutMs / 1000)} s` : `failed (exit ${err.exitCode})`}: ${lastLine(err.stderrTail)}`, { cause: err });
      }
      throw err;
    }
  }
}

async function outputBytes(outputs: string[]): Promise<number> {
  let total = 0;
  for (const o of outputs) {
    if (o.endsWith('.m3u8')) {
      const dir = o.slice(0, o.lastIndexOf('/'));
      for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
    } else {
      total += (await stat(o)).size;
    }
  }
  return total;
}

/**
 * Write the HLS master playlist over the renditions that have an HLS output (atomically: temp + rename).
 * Returns its path, or undefined when the recipe packages no HLS.
 */
export async function writeHlsMaster(outputPrefix: string, recipe: Recipe, results: readonly RenditionResult[], durationSec?: number): Promise<string | undefined> {
  if (!recipe.packaging.includes('hls')) return undefined;
  const variants: HlsVariant[] = [];
  for (const r of recipe.ladder) {
    const res = results.find((x) => x.renditionId === r.id && x.status === 'done');
    if (!res || !res.outputs.some((o) => o.endsWith('.m3u8'))) continue;
    const avg = res.bytes && durationSec && durationSec > 0 ? (res.bytes * 8) / durationSec : undefined;
    variants.push({ rendition: r, uri: `${r.id}/index.m3u8`, ...(avg ? { averageBandwidth: avg } : {}) });
  }
  if (variants.length === 0) return undefined;
  const path = join(outputPrefix, 'hls', 'master.m3u8');
  await mkdir(join(outputPrefix, 'hls'), { recursive: true });
  await writeFile(`${path}.partial`, masterPlaylist(variants, recipe.audio));
  await rename(`${path}.partial`, path);
  return path;
}

/** Remove partial outputs that killed or cancelled encodes left in a job's folder (after it is published). */
export async function removeStalePartials(outputPrefix: string): Promise<number> {
  let removed = 0;
  for (const dir of [outputPrefix, join(outputPrefix, 'hls')]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith('.partial')) {
        await rm(join(dir, name), { recursive: true, force: true });
        removed++;
      }
    }
  }
  return removed;
}

/**
 * Check an HLS rendition as a player would find it: a complete playlist whose segments all exist.
 * (The npm ffprobe 5.2 build crashes on MPEG-TS, so this reads the playlist instead of probing it.)
 */
export async function inspectHlsOutput(playlistPath: string): Promise<{ durationSec: number; segments: number; problems: string[] }> {
  const problems: string[] = [];
  const text = await readFile(playlistPath, 'utf8').catch(() => undefined);
  if (text === undefined) return { durationSec: 0, segments: 0, problems: [`playlist ${playlistPath} is missing`] };
  const playlist = parseMediaPlaylist(text);
  if (!playlist.ended) problems.push(`playlist ${playlistPath} has no #EXT-X-ENDLIST (incomplete)`);
  if (playlist.segments.length === 0) problems.push(`playlist ${playlistPath} lists no segments`);
  const dir = dirname(playlistPath);
  for (const s of playlist.segments) {
    const size = await stat(join(dir, s.uri)).then((st) => st.size).catch(() => 0);
    if (size === 0) problems.push(`segment ${s.uri} of ${playlistPath} is missing or empty`);
  }
  return { durationSec: playlist.segments.reduce((a, s) => a + s.durationSec, 0), segments: playlist.segments.length, problems };
}

/**
 * Package the job's MP4 renditions as one DASH presentation (`dash/manifest.mpd`, CMAF segments) with
 * a stream-copy remux: one adaptation set per video codec, plus the audio of the first rendition.
 * Written to a temporary folder and renamed into place. Returns the manifest path, or undefined when
 * the recipe does not package DASH.
 */
export async function writeDashManifest(
  outputPrefix: string,
  recipe: Recipe,
  results: readonly RenditionResult[],
  opts: { signal?: AbortSignal; timeoutMs?: number; ffmpeg?: string; segmentSeconds?: number } = {},
): Promise<string | undefined> {
  if (!recipe.packaging.includes('dash')) return undefined;
  const rungs = recipe.ladder
    .map((r) => ({ r, mp4: results.find((x) => x.renditionId === r.id && x.status === 'done')?.outputs.find((o) => o.endsWith('.mp4')) }))
    .filter((x): x is { r: Recipe['ladder'][number]; mp4: string } => x.mp4 !== undefined)
    .sort((a, b) => a.r.codec.localeCompare(b.r.codec) || a.r.maxBitrateKbps - b.r.maxBitrateKbps);
  if (rungs.length === 0) return undefined;
  const dir = join(outputPrefix, 'dash');
  const partial = join(outputPrefix, `.dash.${process.pid}-${randomBytes(3).toString('hex')}.partial`);
  await mkdir(partial, { recursive: true });
  const args = ['-hide_banner', '-nostdin', '-y'];
  for (const { mp4 } of rungs) args.push('-i', mp4);
  rungs.forEach((_, i) => args.push('-map', `${i}:v:0`));
  if (recipe.audio) args.push('-map', '0:a:0?');
  const sets: string[] = [];
  const codecs = [...new Set(rungs.map((x) => x.r.codec))];
  codecs.forEach((codec, set) => {
    const streams = rungs.flatMap((x, i) => (x.r.codec === codec ? [i] : []));
    sets.push(`id=${set},streams=${streams.join(',')}`);
  });
  if (recipe.audio) sets.push(`id=${codecs.length},streams=a`);
  const gop = Math.max(1, recipe.gopSeconds);
  const seg = gop * Math.max(1, Math.round((opts.segmentSeconds ?? 4) / gop));
  args.push('-c', 'copy', '-f', 'dash', '-seg_duration', String(seg), '-use_template', '1', '-use_timeline', '1', '-adaptation_sets', sets.join(' '), join(partial, 'manifest.mpd'));
  try {
    await run(opts.ffmpeg ?? ffmpegPath(), args, { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    if (err instanceof ProcessError && err.aborted) throw new EncodeCancelledError('DASH packaging cancelled', { cause: err });
    if (err instanceof ProcessError) throw new EncodeFailedError(`DASH packaging failed (exit ${err.exitCode}): ${lastLine(err.stderrTail)}`, { cause: err });
    throw err;
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return join(dir, 'manifest.mpd');
}
