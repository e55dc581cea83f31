import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EncodeFailedError, MarqueeError } from '../core/errors';
import type { ChunkRange } from '../core/pipeline';
import { gopFrames } from '../core/pipeline';
import { renderFfmpegArgs } from '../core/recipes/ffmpeg';
import type { AudioProfile, Rendition } from '../core/types';
import { ffmpegPath, ffprobePath } from './binaries';
import { hlsRemuxArgs } from './hls';
import { benchmarkCpuSec, run as runProcess, type RunOptions, type RunResult } from './process';

/** The joined output does not have the frames its chunks promised: the join is not trusted. */
export class ChunkJoinError extends MarqueeError {}

/** Runs a binary (injectable so tests can make one chunk fail). */
export type Runner = (bin: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export interface ChunkedEncodeInput {
  source: string;
  rendition: Rendition;
  /** Encoded once for the whole title (never per chunk: AAC priming would click at every join). */
  audio: AudioProfile | null;
  /** The joined MP4. */
  outPath: string;
  /** Chunk ranges on GOP boundaries (`chunksForRendition` / `planChunks` in lib/core/pipeline). */
  chunks: readonly ChunkRange[];
  /** Scratch folder for the chunks and the concat list; removed afterwards unless `keepChunks`. */
  workDir: string;
  /** Chunks encoded at the same time (default 2). */
  concurrency?: number;
  /** Threads per ffmpeg. */
  threads?: number;
  /** Attempts per chunk: a failed chunk is re-encoded alone (default 2). */
  maxAttempts?: number;
  /** Per ffmpeg run; default 2 min + 30 s per second of the chunk. */
  timeoutMs?: number;
  signal?: AbortSignal;
  keepChunks?: boolean;
  /** Called when a chunk finishes (for progress). */
  onChunkDone?: (chunk: ChunkRange, attempts: number) => void;
  run?: Runner;
  ffmpeg?: string;
  ffprobe?: string;
}

export interface ChunkedEncodeResult {
  outPath: string;
  /** Attempts each chunk took, by chunk index. */
  attempts: number[];
  frames: number;
  durationSec: number;
  wallMs: number;
  /** Sum of ffmpeg CPU seconds over chunks, audio and join. */
  cpuSec: number;
}

/**
 * ffmpeg arguments for one chunk: the rendition's own arguments (identical settings in every
 * chunk), with an accurate input seek to the chunk's first frame, an exact frame count, keyframes
 * forced on the rendition's GOP grid, and no audio.
 */
export function chunkArgs(input: { source: string; rendition: Rendition; chunk: ChunkRange; outPath: string; threads?: number }): string[] {
  const { rendition: r, chunk } = input;
  const args = renderFfmpegArgs({ source: input.source, rendition: r, audio: null, output: { kind: 'mp4', path: input.outPath }, ...(input.threads ? { threads: input.threads } : {}) });
  const i = args.indexOf('-i');
  if (i < 0) throw new EncodeFailedError('the rendition arguments have no input');
  const gop = gopFrames(r.gopSeconds, r.fps);
  args.splice(i + 2, 0, '-frames:v', String(chunk.frames), '-force_key_frames', `expr:eq(mod(n,${gop}),0)`);
  // -ss before -i: fast input seek, frame-accurate since the output is re-encoded (accurate_seek).
  args.splice(i, 0, '-ss', chunk.startSec.toFixed(6));
  return ['-benchmark', ...args];
}

/** The concat demuxer's list file for the chunk files (paths quoted as the demuxer wants). */
export function concatList(paths: readonly string[]): string {
  return paths.map((p) => `file '${p.replace(/'/g, "'\\''")}'`).join('\n') + '\n';
}

/** Facts about the video stream of a file, counted by decoding (not from the header). */
export async function probeVideo(path: string, opts: { ffprobe?: string; run?: Runner; signal?: AbortSignal } = {}): Promise<{ frames: number; durationSec: number }> {
  const run = opts.run ?? runProcess;
  const { stdout } = await run(opts.ffprobe ?? ffprobePath(), ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', path], { timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  const parsed = JSON.parse(stdout) as { streams?: { nb_read_frames?: string }[]; format?: { duration?: string } };
  return { frames: Number(parsed.streams?.[0]?.nb_read_frames ?? NaN), durationSec: Number(parsed.format?.duration ?? NaN) };
}

/**
 * Per-frame PSNR (average over planes, dB) of `distorted` against `reference`, both scaled to
 * width×height. Used to check that joins neither drop, repeat nor damage frames.
 */
export async function perFramePsnr(reference: string, distorted: string, opts: { width: number; height: number; workDir: string; ffmpeg?: string; run?: Runner }): Promise<number[]> {
  const run = opts.run ?? runProcess;
  await mkdir(opts.workDir, { recursive: true });
  const stats = join(opts.workDir, `psnr-${process.pid}-${Math.floor(performance.now())}.log`);
  const size = `${opts.width}:${opts.height}`;
  const graph = `[0:v]scale=${size},format=yuv420p,setpts=PTS-STARTPTS[d];[1:v]scale=${size},format=yuv420p,setpts=PTS-STARTPTS[r];[d][r]psnr=stats_file=${stats}`;
  await run(opts.ffmpeg ?? ffmpegPath(), ['-hide_banner', '-nostdin', '-i', distorted, '-i', reference, '-lavfi', graph, '-f', 'null', '-'], { timeoutMs: 300_000 });
  const text = await readFile(stats, 'utf8');
  await rm(stats, { force: true });
  return text
    .split('\n')
    .map((l) => /psnr_avg:(inf|[\d.]+)/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined)
    .map((v) => (v === 'inf' ? 100 : Number(v)));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** One chunk of one rendition (what a chunk worker of a cloud array job encodes). */
export interface ChunkEncodeInput {
  source: string;
  rendition: Rendition;
  chunk: ChunkRange;
  outPath: string;
  threads?: number;
  /** Attempts (default 2): a failed chunk is re-encoded alone. */
  maxAttempts?: number;
  /** Per ffmpeg run; default 2 min + 30 s per second of the chunk. */
  timeoutMs?: number;
  signal?: AbortSignal;
  run?: Runner;
  ffmpeg?: string;
}

/**
 * Encode one chunk (closed GOPs, accurate seek, exact frame count), retrying it alone. Throws
 * EncodeFailedError when it runs out of attempts or the signal aborts.
 */
export async function encodeChunk(input: ChunkEncodeInput): Promise<{ path: string; attempts: number; cpuSec: number }> {
  const run = input.run ?? runProcess;
  const { chunk } = input;
  const timeoutMs = input.timeoutMs ?? 120_000 + chunk.durationSec * 30_000;
  await mkdir(dirname(input.outPath), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      const args = chunkArgs({ source: input.source, rendition: input.rendition, chunk, outPath: input.outPath, ...(input.threads ? { threads: input.threads } : {}) });
      const res = await run(input.ffmpeg ?? ffmpegPath(), args, { timeoutMs, ...(input.signal ? { signal: input.signal } : {}) });
      return { path: input.outPath, attempts: attempt, cpuSec: benchmarkCpuSec(res.stderr) ?? 0 };
    } catch (err) {
      if (input.signal?.aborted || attempt >= (input.maxAttempts ?? 2)) {
        throw new EncodeFailedError(`chunk ${chunk.index + 1}/${chunk.count} of ${input.rendition.id} failed after ${attempt} attempts`, { cause: err });
      }
    }
  }
}

/** Encoded chunks of one rendition, in order, to be joined. */
export interface ChunkJoinInput {
  source: string;
  rendition: Rendition;
  /** Encoded once for the whole title from `source` and muxed in (null: video only). */
  audio: AudioProfile | null;
  chunks: readonly ChunkRange[];
  /** The chunk files, by chunk index. */
  chunkPaths: readonly string[];
  outPath: string;
  /** Scratch folder for the audio and the concat list. */
  workDir: string;
  signal?: AbortSignal;
  run?: Runner;
  ffmpeg?: string;
  ffprobe?: string;
}

/**
 * Join encoded chunks: encode the audio once, concatenate the chunks with the concat demuxer by
 * stream copy and mux the audio, then check every chunk holds its frames and the join holds them
 * all. Throws ChunkJoinError when a chunk or the join is short or long.
 */
export async function joinChunks(input: ChunkJoinInput): Promise<{ frames: number; durationSec: number; cpuSec: number }> {
  const run = input.run ?? runProcess;
  const ffmpeg = input.ffmpeg ?? ffmpegPath();
  const base = (opts: RunOptions = {}): RunOptions => ({ ...opts, ...(input.signal ? { signal: input.signal } : {}) });
  await mkdir(input.workDir, { recursive: true });
  const audioPath = join(input.workDir, `audio-${input.rendition.id}.m4a`);
  let cpuSec = 0;
  const hasAudio = input.audio
    ? await run(ffmpeg, ['-benchmark', '-hide_banner', '-nostdin', '-y', '-i', input.source, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', `${input.audio.bitrateKbps}k`, '-ac', String(input.audio.channels), '-ar', String(input.audio.sampleRate), audioPath], base({ timeoutMs: 300_000 }))
        .then((r) => {
          cpuSec += benchmarkCpuSec(r.stderr) ?? 0;
          return true;
        })
        .catch(() => false) // a source without audio: publish video only, as the single-pass encode's `0:a:0?` does
    : false;
  const joined = await concatAndCheck(input, hasAudio ? audioPath : undefined);
  return { ...joined, cpuSec: cpuSec + joined.cpuSec };
}

/** Concatenate the chunks (plus an encoded audio track), check the frame counts; returns the join's facts and its CPU. */
async function concatAndCheck(input: Omit<ChunkJoinInput, 'audio'>, audioPath: string | undefined): Promise<{ frames: number; durationSec: number; cpuSec: number }> {
  const run = input.run ?? runProcess;
  const base = (opts: RunOptions = {}): RunOptions => ({ ...opts, ...(input.signal ? { signal: input.signal } : {}) });
  await mkdir(dirname(input.outPath), { recursive: true });
  const list = join(input.workDir, `chunks-${input.rendition.id}.txt`);
  await writeFile(list, concatList(input.chunkPaths));
  const joinArgs = ['-benchmark', '-hide_banner', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list];
  if (audioPath) joinArgs.push('-i', audioPath, '-map', '0:v:0', '-map', '1:a:0');
  joinArgs.push('-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', input.outPath);
  const joined = await run(input.ffmpeg ?? ffmpegPath(), joinArgs, base({ timeoutMs: 300_000 }));

  // Every chunk but the last must hold exactly its frames (a short middle chunk is a gap at a join);
  // the last may be short when the source ends early. The join must then hold them all.
  const probeOpts = { ...(input.ffprobe ? { ffprobe: input.ffprobe } : {}), run, ...(input.signal ? { signal: input.signal } : {}) };
  const chunkFrames = await mapLimit(input.chunkPaths, 2, async (p) => (await probeVideo(p, probeOpts)).frames);
  input.chunks.forEach((c, i) => {
    const got = chunkFrames[i]!;
    if (i < input.chunks.length - 1 ? got !== c.frames : got < 1 || got > c.frames) {
      throw new ChunkJoinError(`${input.rendition.id}: chunk ${c.index + 1}/${c.count} has ${got} frames, expected ${c.frames}`);
    }
  });
  const expected = chunkFrames.reduce((a, f) => a + f, 0);
  const probed = await probeVideo(input.outPath, probeOpts);
  if (probed.frames !== expected) throw new ChunkJoinError(`${input.rendition.id}: joined ${probed.frames} frames, the chunks hold ${expected}`);
  return { frames: probed.frames, durationSec: probed.durationSec, cpuSec: benchmarkCpuSec(joined.stderr) ?? 0 };
}

/** Stream-copy remux of an MP4 into VOD HLS under `dir` (`hlsRemuxArgs`); returns the playlist path. */
export async function packageHls(mp4: string, dir: string, opts: { gopSeconds: number; fmp4: boolean; segmentSec?: number; run?: Runner; ffmpeg?: string; signal?: AbortSignal }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const args = hlsRemuxArgs(mp4, dir, opts);
  await (opts.run ?? runProcess)(opts.ffmpeg ?? ffmpegPath(), args, { timeoutMs: 300_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  return join(dir, 'index.m3u8');
}

/**
 * Chunked encoding with real ffmpeg: encode the chunks (closed GOPs, identical settings, accurate
 * seek) in parallel, retrying a failed chunk alone; encode the audio once; join the chunks with the
 * concat demuxer by stream copy and mux the audio; then check the joined frame count is the sum
 * of the chunks'. Throws EncodeFailedError when a chunk runs out of attempts, ChunkJoinError when
 * the join is short or long.
 */
export async function encodeChunked(input: ChunkedEncodeInput): Promise<ChunkedEncodeResult> {
  const started = performance.now();
  const run = input.run ?? runProcess;
  const ffmpeg = input.ffmpeg ?? ffmpegPath();
  if (input.chunks.length === 0) throw new EncodeFailedError('no chunks to encode');
  await mkdir(input.workDir, { recursive: true });
  let cpuSec = 0;

  const encodeOne = async (chunk: ChunkRange): Promise<{ path: string; attempts: number }> => {
    const res = await encodeChunk({
      source: input.source,
      rendition: input.rendition,
      chunk,
      outPath: join(input.workDir, `chunk-${String(chunk.index).padStart(4, '0')}.mp4`),
      run,
      ffmpeg,
      ...(input.threads ? { threads: input.threads } : {}),
      ...(input.maxAttempts ? { maxAttempts: input.maxAttempts } : {}),
      ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    cpuSec += res.cpuSec;
    input.onChunkDone?.(chunk, res.attempts);
    return res;
  };

  const audioPath = join(input.workDir, 'audio.m4a');
  const audioJob = input.audio
    ? run(ffmpeg, ['-benchmark', '-hide_banner', '-nostdin', '-y', '-i', input.source, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', `${input.audio.bitrateKbps}k`, '-ac', String(input.audio.channels), '-ar', String(input.audio.sampleRate), audioPath], { timeoutMs: 300_000, ...(input.signal ? { signal: input.signal } : {}) })
        .then((r) => {
          cpuSec += benchmarkCpuSec(r.stderr) ?? 0;
          return true;
        })
        .catch(() => false) // a source without audio: publish video only, as the single-pass encode's `0:a:0?` does
    : Promise.resolve(false);
  const [encoded, hasAudio] = await Promise.all([mapLimit(input.chunks, input.concurrency ?? 2, encodeOne), audioJob]);
  const joined = await concatAndCheck(
    { source: input.source, rendition: input.rendition, chunks: input.chunks, chunkPaths: encoded.map((e) => e.path), outPath: input.outPath, workDir: input.workDir, run, ffmpeg, ...(input.ffprobe ? { ffprobe: input.ffprobe } : {}), ...(input.signal ? { signal: input.signal } : {}) },
    hasAudio ? audioPath : undefined,
  );
  cpuSec += joined.cpuSec;
  if (!input.keepChunks) await rm(input.workDir, { recursive: true, force: true });
  return { outPath: input.outPath, attempts: encoded.map((e) => e.attempts), frames: joined.frames, durationSec: joined.durationSec, wallMs: performance.now() - started, cpuSec };
}
