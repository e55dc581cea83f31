import { RejectedInputError } from '../core/errors';
import { classifyContent, difficultyOf, rejectionReason, DEFAULT_SOURCE_LIMITS, type SourceLimits } from '../core/analysis';
import { audioKindOf, audioSignalStats, parseEbur128Summary } from '../core/analysis/audio';
import { FrameFeatureAccumulator, meanSaturation, median, noiseSigma } from '../core/analysis/frames';
import { limitedToFullRange, OverviewAccumulator } from '../core/analysis/motion';
import { samplingPlan, WHOLE_TITLE_OVERVIEW_SEC, type SamplingOptions, type SamplingPlan } from '../core/analysis/sampling';
import type { AudioFeatures, ComplexityFeatures, ContentProfile, SourceInfo } from '../core/types';
import type { ContentAnalyzer, ProbeOptions, Prober } from '../ports';
import { ffmpegPath } from './binaries';
import { captureRun, FrameAssembler } from './frames';
import { FfprobeProber, inputArgs, isRawStream } from './probe';
import { benchmarkCpuSec, ProcessError } from './process';

/**
 * x264 options of configuration 1 of the x264 encode-times dataset (../shared/data/x264-encode-times,
 * configurationID 1): the fastest configuration, used as the probe encode so that the predictor,
 * trained with configuration 1 as its probe feature, applies to what the analyzer measures.
 */
export const PROBE_X264_PARAMS = [
  'cabac=0', 'ref=1', 'deblock=0', 'analyse=none', 'me=dia', 'subme=0', 'mixed-refs=0', 'merange=16',
  'trellis=0', '8x8dct=0', 'fast-pskip=1', 'chroma-qp-offset=0', 'bframes=0', 'weightp=0', 'scenecut=0',
  'mbtree=0', 'qpmax=69', 'aq-mode=0',
].join(':');
export const PROBE_CRF = 23;
/**
 * Titles up to this long are decoded once up to the last window instead of seeking to each: the
 * length up to which the plan scans a title whole, so the whole-title scan costs no extra decode.
 */
export const SEQUENTIAL_DECODE_MAX_SEC = WHOLE_TITLE_OVERVIEW_SEC;
const PCM_RATE = 8000;

export interface AnalyzerOptions {
  prober?: Prober;
  /** ffmpeg binary; default MARQUEE_FFMPEG or the npm build. */
  ffmpeg?: string;
  /** Bound on the sampling run (decode + probe encode + audio); the child is killed after it. Default 120 s. */
  timeoutMs?: number;
  limits?: SourceLimits;
  sampling?: SamplingOptions;
}

/** What one sampling run measured, before classification. */
export interface SampledMeasurements {
  complexity: ComplexityFeatures;
  audio: AudioFeatures;
  /** CPU seconds of the ffmpeg sampling run (`-benchmark`), when it reported them. */
  ffmpegCpuSec?: number;
}

/** Overview frames faster than this are thinned (every n-th frame) so a 240 fps title costs what a 60 fps one does. */
export const MAX_OVERVIEW_FPS = 60;
/** Noise is measured on every n-th frame of each analysis window's native-resolution crop. */
const NOISE_FRAME_STEP = 4;

/** The arguments of one sampling run and where each of its outputs comes out. */
export interface SamplingRun {
  args: string[];
  /** One yuv420p stream per analysis window, at the analysis size. */
  windowFds: number[];
  /** One gray stream per overview stretch, at the overview size. */
  overviewFds: number[];
  /** One gray stream per analysis window: the native-resolution centre crop, every 4th frame. */
  cropFds: number[];
  audioFd: number | null;
  /** Overview frames kept: one in `overviewStep`. */
  overviewStep: number;
  sequential: boolean;
}

/**
 * The ffmpeg argument array of one sampling run — one process for everything: the probe encode's
 * H.264 bitstream on stdout (its bytes are counted), then on fds 3.. one raw yuv420p stream per
 * analysis window (SI/TI, flatness, saturation), one gray stream per overview stretch at 144 lines
 * (cuts and motion, see lib/core/analysis/motion.ts), one native-resolution centre crop per window
 * (noise), and the last fd 8 kHz mono PCM of the audio sample. ebur128 prints integrated loudness on
 * stderr; `-benchmark_all` prints per-frame encode times, from which the probe's own speed is summed.
 */
export function samplingArgs(uri: string, source: SourceInfo, plan: SamplingPlan, raw: boolean): SamplingRun {
  // Seeking (one input per window) costs a decode from the keyframe before each window: cheap for
  // long titles with ordinary GOPs, dear for short clips with one keyframe (every window would
  // decode from 0). Raw streams cannot seek at all. Those decode once, to the end of the last stretch.
  const sequential = raw || source.durationSec <= SEQUENTIAL_DECODE_MAX_SEC;
  const { analysisWidth: w, analysisHeight: h, overviewWidth: ow, overviewHeight: oh, noiseCropWidth: cw, noiseCropHeight: ch } = plan;
  // passthrough: each decoded frame reaches the raw pipes once. Their muxers default to constant
  // rate, which, when a run has several inputs, fills the gap a seek leaves before a stretch's first
  // frame with a copy of it, and a copy reads as a still pair (and lowers TI).
  const args = ['-hide_banner', '-nostdin', '-nostats', '-benchmark', '-benchmark_all', '-loglevel', 'level+info', '-vsync', 'passthrough'];
  const graph: string[] = [];
  const k = plan.windows.length;
  const step = Math.max(1, Math.ceil(source.fps / MAX_OVERVIEW_FPS));
  const thin = step > 1 ? `select='not(mod(n,${step}))',` : '';
  const trim = (start: number, dur: number) => `trim=start=${start}:duration=${dur},setpts=PTS-STARTPTS`;
  const analysis = (label: string) => `scale=${w}:${h}:flags=bilinear,format=yuv420p[${label}]`;
  const luma = overviewLuma(source, ow, oh).filters;
  const overview = (label: string) => `${thin}${luma}[${label}]`;
  // `scale` (a no-op resize here) is a format boundary: without it `format=gray` would propagate
  // through crop/select/trim up to the shared `split`, and every branch — the probe encode included —
  // would get gray frames.
  const crop = (label: string) => `select='not(mod(n,${NOISE_FRAME_STEP}))',crop=${cw}:${ch},scale=${cw}:${ch},format=gray[${label}]`;
  let m: number;
  if (sequential) {
    m = plan.overview.length;
    const end = Math.max(...[...plan.windows, ...plan.overview].map((x) => x.startSec + x.durationSec));
    args.push('-t', String(end), ...inputArgs(uri, source));
    const labels = [...plan.windows.map((_, i) => `[a${i}]`), '[sp]', ...plan.overview.map((_, j) => `[o${j}]`), ...plan.windows.map((_, i) => `[c${i}]`)];
    graph.push(`[0:v:0]split=${labels.length}${labels.join('')}`);
    plan.windows.forEach((win, i) => graph.push(`[a${i}]${trim(win.startSec, win.durationSec)},${analysis(`g${i}`)}`));
    const inside = plan.windows.map((win) => `gte(t,${win.startSec})*lt(t,${win.startSec + win.durationSec})`).join('+');
    graph.push(`[sp]select='${inside}',setpts=N/FRAME_RATE/TB,format=yuv420p[probe]`);
    plan.overview.forEach((ov, j) => graph.push(`[o${j}]${trim(ov.startSec, ov.durationSec)},${overview(`v${j}`)}`));
    plan.windows.forEach((win, i) => graph.push(`[c${i}]${trim(win.startSec, win.durationSec)},${crop(`n${i}`)}`));
  } else {
    // One input per window, opened over its (longer) overview stretch; the analysis window is trimmed out of it.
    m = k;
    const stretches = plan.windows.map((win, i) => plan.overview[i] ?? win);
    stretches.forEach((ov) => args.push('-ss', String(ov.startSec), '-t', String(ov.durationSec), ...inputArgs(uri, source)));
    plan.windows.forEach((win, i) => {
      const at = Math.max(0, Number((win.startSec - stretches[i]!.startSec).toFixed(3)));
      graph.push(
        `[${i}:v:0]split=4[a${i}][p${i}][o${i}][c${i}]`,
        `[a${i}]${trim(at, win.durationSec)},${analysis(`g${i}`)}`,
        `[p${i}]${trim(at, win.durationSec)}[q${i}]`,
        `[o${i}]${overview(`v${i}`)}`,
        `[c${i}]${trim(at, win.durationSec)},${crop(`n${i}`)}`,
      );
    });
    graph.push(`${plan.windows.map((_, i) => `[q${i}]`).join('')}concat=n=${k}:v=1:a=0,format=yuv420p[probe]`);
  }
  const windowFds = plan.windows.map((_, i) => 3 + i);
  const overviewFds = Array.from({ length: m }, (_, j) => 3 + k + j);
  const cropFds = plan.windows.map((_, i) => 3 + k + m + i);
  let audioFd: number | null = null;
  if (plan.audio && source.audio && !raw) {
    // the audio input is input number 1 after a single sequential input, k after k window inputs
    args.push('-ss', String(plan.audio.startSec), '-t', String(plan.audio.durationSec), '-vn', ...inputArgs(uri, source));
    const ai = sequential ? 1 : k;
    graph.push(
      `[${ai}:a:0]asplit=2[al][ap]`,
      `[al]aresample=48000,ebur128,anullsink`,
      `[ap]aresample=${PCM_RATE},aformat=sample_fmts=s16:channel_layouts=mono[pcm]`,
    );
    audioFd = 3 + 2 * k + m;
  }
  args.push('-filter_complex', graph.join(';'));
  args.push('-map', '[probe]', '-c:v', 'libx264', '-crf', String(PROBE_CRF), '-x264-params', PROBE_X264_PARAMS, '-an', '-f', 'h264', 'pipe:1');
  windowFds.forEach((fd, i) => args.push('-map', `[g${i}]`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', `pipe:${fd}`));
  overviewFds.forEach((fd, j) => args.push('-map', `[v${j}]`, '-f', 'rawvideo', '-pix_fmt', 'gray', `pipe:${fd}`));
  cropFds.forEach((fd, i) => args.push('-map', `[n${i}]`, '-f', 'rawvideo', '-pix_fmt', 'gray', `pipe:${fd}`));
  if (audioFd !== null) args.push('-map', '[pcm]', '-f', 's16le', '-ac', '1', '-ar', String(PCM_RATE), `pipe:${audioFd}`);
  return { args, windowFds, overviewFds, cropFds, audioFd, overviewStep: step, sequential };
}

/**
 * Filter chain from a decoded frame to the overview's 8-bit gray frame at `w × h`, and the level map
 * the overview accumulator applies to it. For planar YUV only the luma plane is area-scaled
 * (`extractplanes`, no copy): about half the instructions of scaling YUV to gray, which also filters
 * chroma it then drops and stretches limited-range luma to full range on the way. That stretch is
 * linear, so it is applied to the few pixels read instead (`limitedToFullRange`: the same levels
 * within rounding). Other formats (RGB, gray), and a source already at the overview size (nothing to
 * scale), keep the plain chain.
 */
export function overviewLuma(source: Pick<SourceInfo, 'pixelFormat' | 'colorRange' | 'width' | 'height'>, w: number, h: number): { filters: string; levels?: Uint8Array } {
  const yuv = /^yuvj?4\d\dp/.test(source.pixelFormat);
  if (!yuv || (source.width === w && source.height === h)) return { filters: `scale=${w}:${h}:flags=area,format=gray` };
  const fullRange = source.pixelFormat.startsWith('yuvj') || source.colorRange === 'pc';
  return { filters: `extractplanes=y,scale=${w}:${h}:flags=area,format=gray`, ...(fullRange ? {} : { levels: limitedToFullRange() }) };
}

/** Wall seconds ffmpeg spent in the encoder of output file 0 (`-benchmark_all` lines), or undefined. */
export function probeEncodeSeconds(stderr: string): number | undefined {
  let us = 0;
  let seen = false;
  for (const m of stderr.matchAll(/bench:\s+\d+ user\s+\d+ sys\s+(\d+) real (?:encode|flush)_video 0\.\d+/g)) {
    us += Number(m[1]);
    seen = true;
  }
  return seen ? us / 1e6 : undefined;
}

/**
 * Content analyzer over ffmpeg: probe (ffprobe), then one bounded ffmpeg run that yields, from short
 * sampled windows, SI/TI, flatness and saturation (frames at ≤ 360 lines), noise (a native-resolution
 * centre crop) and a probe encode at the source size with x264 configuration 1 at CRF 23 (bits per
 * pixel and speed); from the overview (the whole of a short title, long stretches of a long one, at
 * 144 lines) scene cuts, motion and its concentration; and the audio's kind and loudness.
 * Classifies the content with the pure rule in lib/core/analysis.
 */
export class FfmpegContentAnalyzer implements ContentAnalyzer {
  private readonly prober: Prober;

  constructor(private readonly opts: AnalyzerOptions = {}) {
    this.prober = opts.prober ?? new FfprobeProber({ limits: opts.limits ?? DEFAULT_SOURCE_LIMITS });
  }

  async analyze(uri: string, opts: ProbeOptions = {}): Promise<ContentProfile> {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const source = await this.prober.probe(uri, opts);
    // Absurd headers never reach a decoder, whichever prober was injected.
    const absurd = rejectionReason(source, this.opts.limits ?? DEFAULT_SOURCE_LIMITS);
    if (absurd) throw new RejectedInputError(absurd);
    const measured = await this.measure(uri, source, opts);
    const contentClass = classifyContent(measured.complexity, measured.audio);
    return {
      source,
      complexity: measured.complexity,
      audio: measured.audio,
      contentClass,
      difficulty: difficultyOf(measured.complexity),
      analysisWallMs: Math.round(performance.now() - started),
      ...(measured.ffmpegCpuSec !== undefined ? { analysisCpuMs: Math.round(measured.ffmpegCpuSec * 1000 + cpuMs(process.cpuUsage(cpuStart))) } : {}),
    };
  }

  /** The sampling run alone (for callers that already hold SourceInfo). */
  async measure(uri: string, source: SourceInfo, opts: ProbeOptions = {}): Promise<SampledMeasurements> {
    const path = uri.startsWith('file://') ? new URL(uri).pathname : uri;
    const raw = isRawStream(path) || source.container.split(',').includes('h264') || source.container.split(',').includes('hevc');
    const plan = samplingPlan(source, this.opts.sampling);
    const run = samplingArgs(path, source, plan, raw);
    const { args, windowFds, overviewFds, cropFds, audioFd } = run;
    const lumaBytes = plan.analysisWidth * plan.analysisHeight;
    const chromaBytes = (plan.analysisWidth / 2) * (plan.analysisHeight / 2);
    const frameBytes = lumaBytes + 2 * chromaBytes;
    const overviewBytes = plan.overviewWidth * plan.overviewHeight;
    const fps = Math.min(source.fps, 240);
    const longest = (ws: { durationSec: number }[]) => Math.ceil(Math.max(...ws.map((x) => x.durationSec)) * fps) + 8;
    const maxBytes = Math.max(frameBytes * longest(plan.windows), overviewBytes * longest(plan.overview), 64 * 1024 * 1024);
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 120_000;
    // The overview (the whole of a short title) is measured frame by frame while ffmpeg still decodes.
    const overviewAcc = new OverviewAccumulator(plan.overviewWidth, plan.overviewHeight, { levels: overviewLuma(source, plan.overviewWidth, plan.overviewHeight).levels });
    // So are the analysis windows (SI/TI: luma) and the noise crops; chroma is kept for the saturation.
    const windowAcc = new FrameFeatureAccumulator(plan.analysisWidth, plan.analysisHeight, { spatialEvery: 2, pixelStride: 2 });
    const yuv: Uint8Array[][] = windowFds.map(() => []);
    const noise: number[] = [];
    const streams: [number, number, (f: Uint8Array) => void][] = [
      ...overviewFds.map((fd, j) => [fd, overviewBytes, (f: Uint8Array) => overviewAcc.add(j, f)] as [number, number, (f: Uint8Array) => void]),
      ...windowFds.map((fd, i) => [fd, frameBytes, (f: Uint8Array) => {
        windowAcc.add(i, f.subarray(0, lumaBytes));
        yuv[i]!.push(f);
      }] as [number, number, (f: Uint8Array) => void]),
      ...cropFds.map((fd) => [fd, plan.noiseCropWidth * plan.noiseCropHeight, (f: Uint8Array) => noise.push(noiseSigma(f, plan.noiseCropWidth, plan.noiseCropHeight))] as [number, number, (f: Uint8Array) => void]),
    ];
    const streamed = new Map(
      streams.map(([fd, bytes, onFrame]) => {
        const frames = new FrameAssembler(bytes, onFrame);
        return [fd - 2, (chunk: Buffer) => frames.push(chunk)] as const;
      }),
    );
    // -benchmark_all prints a line per frame per stream: sum the probe encoder's lines as they come,
    // since the tail stderr keeps would have lost the early ones on a long overview.
    let probeUs = 0;
    let probeSeen = false;
    let partial = '';
    const onStderr = (chunk: string) => {
      const text = partial + chunk;
      const cut = text.lastIndexOf('\n');
      partial = cut >= 0 ? text.slice(cut + 1) : text;
      if (cut < 0) return;
      const s = probeEncodeSeconds(text.slice(0, cut));
      if (s !== undefined) {
        probeUs += s * 1e6;
        probeSeen = true;
      }
    };
    let result;
    try {
      result = await captureRun(this.opts.ffmpeg ?? ffmpegPath(), args, {
        timeoutMs,
        signal: opts.signal,
        extraPipes: windowFds.length + overviewFds.length + cropFds.length + (audioFd !== null ? 1 : 0),
        maxBytesPerPipe: maxBytes,
        streamed,
        onStderr,
      });
    } catch (err) {
      if (err instanceof ProcessError && err.timedOut)
        throw new RejectedInputError(`analysis did not finish within ${timeoutMs} ms: the file is hostile or cannot be decoded`, { cause: err });
      if (err instanceof ProcessError && !err.aborted && err.exitCode !== null) {
        const why = err.stderrTail.split('\n').filter((l) => /error/i.test(l)).at(-1) ?? err.message;
        // eslint-disable-next-line no-control-regex -- sanitising tool output
        throw new RejectedInputError(`the video could not be decoded (corrupt?): ${why.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200)}`, { cause: err });
      }
      throw err;
    }
    // pipes[0] is stdout, pipes[n] is fd n + 2
    const pipe = (fd: number): Buffer => result.pipes[fd - 2] ?? Buffer.alloc(0);
    const bitstream = result.pipes[0];
    const ff = windowAcc.finish();
    const frames = ff.frames;
    if (frames === 0) throw new RejectedInputError('the video could not be decoded: no frame came out of the sampled windows');
    // chroma changes slowly: every 4th frame is enough for the mean saturation
    const sats = yuv
      .flat()
      .filter((_, i) => i % 4 === 0)
      .map((f) => meanSaturation(f.subarray(lumaBytes, lumaBytes + chromaBytes), f.subarray(lumaBytes + chromaBytes)));
    const ov = overviewAcc.finish();
    const scannedSec = (ov.frames * run.overviewStep) / source.fps;
    const sampledSec = frames / source.fps;
    onStderr('\n');
    const probeSec = probeSeen ? probeUs / 1e6 : result.wallMs / 1000;
    const probeFps = frames / Math.max(1e-3, probeSec);
    const complexity: ComplexityFeatures = {
      spatialInfo: round(ff.siMax),
      temporalInfo: round(ff.tiMax),
      sceneCutsPerMinute: round((ov.sceneCuts / Math.max(1e-3, scannedSec)) * 60),
      probeBitsPerPixel: round(((bitstream?.length ?? 0) * 8) / (frames * source.width * source.height), 5),
      probeFps: round(probeFps),
      probeSecondsPerSecond: round(source.fps / probeFps, 4),
      sampledShare: round(Math.min(1, sampledSec / Math.max(1e-3, source.durationSec)), 4),
      spatialInfoMean: round(ff.siMean),
      temporalInfoMean: round(ff.tiMean),
      flatShare: round(ff.flatShare, 4),
      noiseSigma: round(median(noise)),
      dominantLevelShare: round(ff.dominantLevelShare, 4),
      saturation: round(sats.reduce((a, b) => a + b, 0) / Math.max(1, sats.length)),
      sampledFrames: frames,
      overviewTemporalInfo: round(ov.tiMean),
      stillPairShare: round(ov.stillPairShare, 3),
      centreMotionConcentration: round(ov.centreMotionConcentration),
      cutScanShare: round(Math.min(1, scannedSec / Math.max(1e-3, source.durationSec)), 4),
    };
    let audio: AudioFeatures = { kind: 'none', channels: 0 };
    if (source.audio) {
      audio = { kind: 'silence', channels: source.audio.channels };
      const pcmBuf = audioFd !== null ? pipe(audioFd) : undefined;
      if (pcmBuf && pcmBuf.length >= 2) {
        // copy into an aligned buffer: a Buffer from concat may start at an odd offset
        const aligned = new Uint8Array(pcmBuf.subarray(0, pcmBuf.length - (pcmBuf.length % 2)));
        const stats = audioSignalStats(new Int16Array(aligned.buffer), PCM_RATE);
        audio.kind = audioKindOf(stats);
        audio.lowEnergyRatio = round(stats.lowEnergyRatio, 3);
      }
      const lufs = parseEbur128Summary(result.stderr);
      if (lufs !== undefined) audio.loudnessLufs = lufs;
    }
    const ffmpegCpuSec = benchmarkCpuSec(result.stderr);
    return { complexity, audio, ...(ffmpegCpuSec !== undefined ? { ffmpegCpuSec } : {}) };
  }
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
