import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EncodeFailedError, MarqueeError } from '../core/errors';
import type { ChunkRange } from '../core/pipeline';
import { renderFfmpegArgs } from '../core/recipes/ffmpeg';
import type { Backend, Recipe, Rendition, RenditionResult } from '../core/types';
import type { EncodeProgress, EncodeTask, EncoderBackend } from '../ports';
import { ffmpegPath, ffprobePath } from './binaries';
import { ChunkJoinError, chunkArgs, concatList, probeVideo } from './chunked';
import { inputArgs } from './probe';
import { hlsRemuxArgs, masterPlaylist, parseMediaPlaylist, type HlsVariant } from './hls';
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
  /**
   * Hardware encoder: `'nvenc'` renders H.264/HEVC rungs with `h264_nvenc`/`hevc_nvenc` (the GPU Batch
   * worker); VP9/AV1 rungs, which NVENC cannot produce, stay on the CPU encoders. Default: CPU only.
   */
  hardware?: 'nvenc';
  /** Backend recorded on the results (default `local`; the Batch worker passes `batch-gpu`/`batch-cpu`). */
  backend?: Backend;
  /** ffprobe binary for chunk frame checks; default MARQUEE_FFPROBE or the npm-shipped build. */
  ffprobe?: string;
}

/** One finished chunk of a chunked rendition (its file is in place only when its frames were checked). */
export interface EncodedChunk {
  index: number;
  path: string;
  frames: number;
  wallSec: number;
  cpuSec: number;
}

/** File names of one chunk in a chunk folder: the final MP4 and its facts (written before the MP4 is renamed into place). */
export const chunkPaths = (dir: string, index: number) => {
  const n = String(index).padStart(4, '0');
  return { mp4: join(dir, `chunk-${n}.mp4`), facts: join(dir, `chunk-${n}.json`) };
};

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

/** An ffmpeg stderr listener that turns `time=` positions into progress fractions (up to `share`). */
function progressReporter(durationSec: number, share: number, onProgress?: (p: EncodeProgress) => void): ((chunk: string) => void) | undefined {
  if (!onProgress || !(durationSec > 0)) return undefined;
  return (chunk: string) => {
    const t = lastProgressTime(chunk);
    if (t === undefined) return;
    const fps = SPEED_FPS_RE.exec(chunk)?.[1];
    onProgress({ fraction: Math.min(1, t / durationSec) * share, ...(fps ? { fps: Number(fps) } : {}) });
  };
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
  readonly backend: Backend;
  private readonly ffmpeg: string;

  constructor(private readonly opts: LocalEncoderOptions = {}) {
    this.ffmpeg = opts.ffmpeg ?? ffmpegPath();
    this.backend = opts.backend ?? 'local';
  }

  /** The encoder a rung gets: NVENC for H.264/HEVC when `hardware: 'nvenc'`, the CPU encoder otherwise. */
  acceleratorFor(rendition: Rendition): 'cpu' | 'nvenc' {
    return this.opts.hardware === 'nvenc' && (rendition.codec === 'h264' || rendition.codec === 'hevc') ? 'nvenc' : 'cpu';
  }

  /** The ffmpeg arguments of a single-pass encode of one rendition into `outPath` (MP4). */
  encodeArgs(task: EncodeTask, outPath: string): string[] {
    const source = task.job.source.uri;
    const srcInfo = task.job.profile?.source;
    const input = inputArgs(source, srcInfo);
    const accelerator = this.acceleratorFor(task.rendition);
    return [
      '-benchmark',
      ...renderFfmpegArgs({
        source,
        rendition: task.rendition,
        audio: task.recipe.audio,
        output: { kind: 'mp4', path: outPath },
        ...(this.opts.threads ? { threads: this.opts.threads } : {}),
        ...(accelerator === 'nvenc' ? { accelerator } : {}),
        // Raw elementary streams carry no timing: the probed frame rate goes before `-i`.
        inputArgs: input.slice(0, input.indexOf('-i')),
        ...(srcInfo?.interlaced ? { deinterlace: true } : {}),
      }),
    ];
  }

  async encode(task: EncodeTask, { signal, onProgress }: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void } = {}): Promise<RenditionResult> {
    const { rendition, recipe, outputPrefix } = task;
    const durationSec = task.job.profile?.source.durationSec ?? 0;
    const paths = renditionPaths(outputPrefix, rendition.id);
    const timeoutMs = this.timeoutFor(task);
    const started = performance.now();
    await mkdir(outputPrefix, { recursive: true });
    const encodeShare = recipe.packaging.includes('hls') ? 0.95 : 1;
    try {
      const res = await this.ffmpegRun(this.encodeArgs(task, paths.mp4Partial), { timeoutMs, signal, onStderr: progressReporter(durationSec, encodeShare, onProgress) }, rendition.id);
      const cpuSec = benchmarkCpuSec(res.stderr) ?? 0;
      return await this.packageRendition(task, paths, { signal, onProgress, started, cpuSec, extraWallSec: 0 });
    } catch (err) {
      await rm(paths.mp4Partial, { force: true }).catch(() => undefined);
      await rm(paths.hlsPartialDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  private timeoutFor(task: EncodeTask): number {
    return this.opts.timeoutMs?.(task) ?? 120_000 + (task.job.profile?.source.durationSec ?? 0) * 60_000;
  }

  /**
   * The rendition's MP4 is complete at `paths.mp4Partial`: remux it to HLS when the recipe packages HLS,
   * rename everything into place, and describe the result.
   */
  private async packageRendition(
    task: EncodeTask,
    paths: ReturnType<typeof renditionPaths>,
    o: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void; started: number; cpuSec: number; extraWallSec: number },
  ): Promise<RenditionResult> {
    const { rendition, recipe } = task;
    const wantHls = recipe.packaging.includes('hls');
    // DASH is packaged from the MP4s when the job publishes, so they are kept for it too.
    const wantMp4 = recipe.packaging.includes('mp4') || recipe.packaging.includes('dash') || !wantHls;
    const timeoutMs = this.timeoutFor(task);
    let cpuSec = o.cpuSec;
    const outputs: string[] = [];
    if (wantHls) {
      const remuxArgs = hlsRemuxArgs(paths.mp4Partial, paths.hlsPartialDir, { gopSeconds: recipe.gopSeconds, fmp4: rendition.codec !== 'h264', segmentSec: this.opts.hlsSegmentSeconds });
      const remux = await this.ffmpegRun(['-benchmark', ...remuxArgs], { timeoutMs, signal: o.signal }, rendition.id, async () => {
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
    o.onProgress?.({ fraction: 1 });
    // Bytes of the primary output (MP4, else the HLS segments): the rendition's size, not its packagings summed.
    const bytes = await outputBytes(outputs.slice(0, 1));
    return {
      renditionId: rendition.id,
      status: 'done',
      outputs,
      bytes,
      wallSec: o.extraWallSec + (performance.now() - o.started) / 1000,
      cpuSec,
      backend: this.backend,
    };
  }

  /**
   * Encode one chunk of a chunked rendition into `dir` (closed GOPs on the rendition's grid, video
   * only, `chunkArgs` from lib/media/chunked.ts). The chunk's decoded frame count is checked (exact for
   * every chunk but the last) before its file is renamed into place, so a chunk file that exists is
   * finished and correct: a resumed run keeps it. Chunks are always CPU-encoded.
   */
  async encodeChunk(
    task: EncodeTask,
    chunk: ChunkRange,
    dir: string,
    { signal, onProgress }: { signal?: AbortSignal; onProgress?: (p: EncodeProgress) => void } = {},
  ): Promise<EncodedChunk> {
    const id = `${task.rendition.id} chunk ${chunk.index + 1}/${chunk.count}`;
    const final = chunkPaths(dir, chunk.index);
    const partial = join(dir, `.chunk-${String(chunk.index).padStart(4, '0')}.${process.pid}-${randomBytes(3).toString('hex')}.mp4.partial`);
    const started = performance.now();
    await mkdir(dir, { recursive: true });
    try {
      const args = chunkArgs({ source: task.job.source.uri, rendition: task.rendition, chunk, outPath: partial, ...(this.opts.threads ? { threads: this.opts.threads } : {}) });
      const res = await this.ffmpegRun(args, { timeoutMs: 120_000 + chunk.durationSec * 60_000, signal, onStderr: progressReporter(chunk.durationSec, 1, onProgress) }, id);
      const cpuSec = benchmarkCpuSec(res.stderr) ?? 0;
      const { frames } = await probeVideo(partial, { ffprobe: this.opts.ffprobe ?? ffprobePath(), ...(signal ? { signal } : {}) });
      const last = chunk.index === chunk.count - 1;
      if (last ? !(frames >= 1 && frames <= chunk.frames) : frames !== chunk.frames) {
        throw new ChunkJoinError(`${id} has ${frames} frames, expected ${chunk.frames}`);
      }
      const done: EncodedChunk = { index: chunk.index, path: final.mp4, frames, wallSec: (performance.now() - started) / 1000, cpuSec };
      await writeFile(final.facts, JSON.stringify(done) + '\n');
      await rename(partial, final.mp4);
      onProgress?.({ fraction: 1 });
      return done;
    } catch (err) {
      await rm(partial, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Join the finished chunks of a rendition (all present in `dir`, see `encodeChunk`): encode the audio
   * once for the whole title, concatenate the chunks by stream copy (concat demuxer) and mux the audio,
   * check the joined frame count is the chunks' sum, then package as a single-pass encode would (HLS
   * remux, rename into place). The result's wall and CPU time are the chunks' plus the join's.
   */
  async joinChunks(task: EncodeTask, chunks: readonly ChunkRange[], dir: string, { signal }: { signal?: AbortSignal } = {}): Promise<RenditionResult> {
    const { rendition, recipe, outputPrefix } = task;
    const paths = renditionPaths(outputPrefix, rendition.id);
    const started = performance.now();
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const list = join(dir, `.chunks.${tag}.txt`);
    const audioPath = join(dir, `.audio.${tag}.m4a`);
    await mkdir(outputPrefix, { recursive: true });
    try {
      const done: EncodedChunk[] = [];
      for (const c of chunks) {
        const f = chunkPaths(dir, c.index);
        const facts = JSON.parse(await readFile(f.facts, 'utf8').catch(() => '{}')) as Partial<EncodedChunk>;
        if (!(await stat(f.mp4).then((x) => x.size > 0).catch(() => false))) throw new ChunkJoinError(`${rendition.id}: chunk ${c.index + 1}/${c.count} is missing`);
        done.push({ index: c.index, path: f.mp4, frames: facts.frames ?? 0, wallSec: facts.wallSec ?? 0, cpuSec: facts.cpuSec ?? 0 });
      }
      let cpuSec = done.reduce((a, c) => a + c.cpuSec, 0);
      const timeoutMs = this.timeoutFor(task);
      const audio = recipe.audio && task.job.profile?.source.audio !== null ? recipe.audio : null;
      if (audio) {
        const res = await this.ffmpegRun(
          ['-benchmark', '-hide_banner', '-nostdin', '-y', '-i', task.job.source.uri, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', `${audio.bitrateKbps}k`, '-ac', String(audio.channels), '-ar', String(audio.sampleRate),
            ...(audio.loudnessTarget !== undefined ? ['-af', `loudnorm=I=${audio.loudnessTarget}:TP=-1.5:LRA=11`] : []), '-f', 'mp4', audioPath],
          { timeoutMs, signal },
          `${rendition.id} audio`,
        );
        cpuSec += benchmarkCpuSec(res.stderr) ?? 0;
      }
      await writeFile(list, concatList(done.map((c) => c.path)));
      const args = ['-benchmark', '-hide_banner', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list];
      if (audio) args.push('-i', audioPath, '-map', '0:v:0', '-map', '1:a:0');
      args.push('-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', paths.mp4Partial);
      const joined = await this.ffmpegRun(args, { timeoutMs, signal }, `${rendition.id} join`);
      cpuSec += benchmarkCpuSec(joined.stderr) ?? 0;
      const expected = done.reduce((a, c) => a + c.frames, 0);
      const { frames } = await probeVideo(paths.mp4Partial, { ffprobe: this.opts.ffprobe ?? ffprobePath(), ...(signal ? { signal } : {}) });
      if (frames !== expected) throw new ChunkJoinError(`${rendition.id}: joined ${frames} frames, the ${done.length} chunks hold ${expected}`);
      return await this.packageRendition(task, paths, { signal, started, cpuSec, extraWallSec: done.reduce((a, c) => a + c.wallSec, 0) });
    } catch (err) {
      await rm(paths.mp4Partial, { force: true }).catch(() => undefined);
      await rm(paths.hlsPartialDir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    } finally {
      await rm(list, { force: true }).catch(() => undefined);
      await rm(audioPath, { force: true }).catch(() => undefined);
    }
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
 * Write the HLS master playlist over the renditions that have an HLS output at `<prefix>/hls/<id>/index.m3u8`
 * (atomically: temp + rename) to `<outputPrefix>/hls/master.m3u8`. The outputs may be local paths or,
 * for the Batch worker, the S3 URIs they were uploaded to (the master then goes up beside them).
 * Returns its path, or undefined when the recipe packages no HLS.
 */
export async function writeHlsMaster(outputPrefix: string, recipe: Recipe, results: readonly RenditionResult[], durationSec?: number): Promise<string | undefined> {
  if (!recipe.packaging.includes('hls')) return undefined;
  const variants: HlsVariant[] = [];
  for (const r of recipe.ladder) {
    const res = results.find((x) => x.renditionId === r.id && x.status === 'done');
    // The URI below is relative to `<prefix>/hls/`: list only playlists that are there (local paths or s3:// URIs).
    if (!res || !res.outputs.some((o) => o.endsWith(`/hls/${r.id}/index.m3u8`))) continue;
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
