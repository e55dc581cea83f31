/**
 * Full-reference quality measurement with ffmpeg: PSNR and SSIM always, VMAF when a model is
 * configured. Both pictures are brought to the reference's display resolution (the distorted one
 * upscaled with bicubic), as a viewer would see them on a screen of the source's size.
 *
 * The npm ffmpeg (4.1) ships libvmaf 1.3.7, which needs `model_path=` to a `.pkl` model; without one
 * Marquee measures PSNR/SSIM only.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncodeFailedError } from '../core/errors';
import type { QualityScores } from '../core/types';
import type { QualityMeter } from '../ports';
import { ffmpegPath } from './binaries';
import { ProcessError, run } from './process';

/** Scores plus the detail a report or QC may want. */
export interface QualityReport extends QualityScores {
  /** Luma PSNR (dB); `psnr` is the same figure (the usual convention for BD-rate on PSNR). */
  psnrY: number;
  /** PSNR over all planes, as ffmpeg's `average:` figure. */
  psnrAll: number;
  /** 5th-percentile per-frame VMAF (the worst moments), when VMAF ran. */
  vmafP5?: number;
  /** Frames compared. */
  frames: number;
  wallMs: number;
}

export interface MeasureOptions {
  width: number;
  height: number;
  signal?: AbortSignal;
  /**
   * Frame rate to read a raw elementary-stream reference at (`.h264`/`.264`/`.hevc`/`.265`/`.yuv`
   * carry no timing; ffmpeg would assume 25). Ignored for containers.
   */
  referenceFps?: number;
  /** Resample the distorted stream to this rate before comparing (when a rendition changed the rate). */
  fps?: number;
  /** Compare only the first N seconds. */
  durationSec?: number;
}

export interface FfmpegQualityMeterOptions {
  /** Path to a libvmaf `.pkl` model; else env `MARQUEE_VMAF_MODEL`; when neither, no VMAF. */
  vmafModelPath?: string;
  /** Kill a measurement after this long (default 10 minutes). */
  timeoutMs?: number;
  /** libvmaf worker threads (0 = libvmaf decides). */
  threads?: number;
  /** Keep VMAF off even when a model is found (fast PSNR/SSIM-only checks). */
  disableVmaf?: boolean;
  /** Compute VMAF on every Nth frame only (libvmaf `n_subsample`; default 1 = every frame). */
  vmafSubsample?: number;
}

/** A measurement that failed: ffmpeg error, timeout, or output it could not parse. */
export class QualityMeasurementError extends EncodeFailedError {}

const RAW_STREAM = /\.(h264|264|h265|265|hevc|yuv|ivf)$/i;

/** Parse ffmpeg's psnr/ssim/libvmaf summary lines from stderr. Exported for tests. */
export function parseQualityStderr(stderr: string): { psnrY?: number; psnrAll?: number; ssim?: number; vmaf?: number } {
  const num = (s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    if (/^inf/i.test(s)) return 100; // identical pictures: cap PSNR at 100 dB
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  };
  const psnr = /PSNR y:(\S+) u:\S+ v:\S+ average:(\S+)/.exec(stderr);
  const ssim = /SSIM Y:\S+ .*All:(\S+)/.exec(stderr);
  const vmaf = /VMAF score[:=]\s*=?\s*([\d.]+)/.exec(stderr);
  return { psnrY: num(psnr?.[1]), psnrAll: num(psnr?.[2]), ssim: num(ssim?.[1]), vmaf: num(vmaf?.[1]) };
}

/** Per-frame VMAF values from a libvmaf 1.3.x JSON log. Exported for tests. */
export function parseVmafLog(json: string): number[] {
  const log = JSON.parse(json) as { frames?: { metrics?: { vmaf?: number } }[] };
  return (log.frames ?? []).map((f) => f.metrics?.vmaf).filter((v): v is number => typeof v === 'number');
}

function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.floor((p / 100) * (sorted.length - 1))));
  return sorted[idx];
}

/** Resolve the VMAF model: explicit option, else `MARQUEE_VMAF_MODEL`; undefined when neither exists. */
export function resolveVmafModel(explicit?: string): string | undefined {
  const path = explicit ?? process.env.MARQUEE_VMAF_MODEL;
  return path && existsSync(path) ? path : undefined;
}

/**
 * The ffmpeg filter graph: both inputs re-timed from zero, scaled to the display size, split to
 * psnr, ssim and (optionally) libvmaf. Distorted is input 0 (libvmaf's "main"), reference input 1.
 */
export function qualityFilterGraph(o: { width: number; height: number; vmafModel?: string; vmafLog?: string; threads?: number; fps?: number; subsample?: number }): string {
  const n = o.vmafModel ? 3 : 2;
  const fps = o.fps ? `fps=${o.fps},` : '';
  const prep = `setpts=PTS-STARTPTS,scale=${o.width}:${o.height}:flags=bicubic,format=yuv420p`;
  const labels = (p: string) => Array.from({ length: n }, (_, i) => `[${p}${i}]`).join('');
  const parts = [
    `[0:v]${fps}${prep},split=${n}${labels('d')}`,
    `[1:v]${o.fps ? `fps=${o.fps},` : ''}${prep},split=${n}${labels('r')}`,
    `[d0][r0]psnr=eof_action=endall`,
    `[d1][r1]ssim=eof_action=endall`,
  ];
  if (o.vmafModel) {
    const esc = (p: string) => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'");
    const opts = [`model_path=${esc(o.vmafModel)}`, ...(o.vmafLog ? ['log_fmt=json', `log_path=${esc(o.vmafLog)}`] : []), ...(o.threads ? [`n_threads=${o.threads}`] : []), ...(o.subsample && o.subsample > 1 ? [`n_subsample=${o.subsample}`] : []), 'eof_action=endall'];
    parts.push(`[d2][r2]libvmaf=${opts.join(':')}`);
  }
  return parts.join(';');
}

/** QualityMeter over the npm ffmpeg: PSNR + SSIM, and VMAF when a model path is configured. */
export class FfmpegQualityMeter implements QualityMeter {
  readonly vmafModel: string | undefined;
  private readonly timeoutMs: number;
  private readonly threads: number;
  private readonly subsample: number;

  constructor(opts: FfmpegQualityMeterOptions = {}) {
    this.vmafModel = opts.disableVmaf ? undefined : resolveVmafModel(opts.vmafModelPath);
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    this.threads = opts.threads ?? 0;
    this.subsample = opts.vmafSubsample ?? 1;
  }

  /** Compare `distorted` with `reference` at `width`×`height` (the reference's display size). */
  async measure(reference: string, distorted: string, opts: MeasureOptions): Promise<QualityReport> {
    const dir = this.vmafModel ? mkdtempSync(join(tmpdir(), 'marquee-vmaf-')) : undefined;
    const vmafLog = dir ? join(dir, 'vmaf.json') : undefined;
    try {
      const args = ['-hide_banner', '-nostdin', '-i', distorted];
      if (opts.referenceFps && RAW_STREAM.test(reference)) args.push('-r', String(opts.referenceFps));
      args.push('-i', reference);
      if (opts.durationSec) args.push('-t', String(opts.durationSec));
      args.push(
        '-lavfi',
        qualityFilterGraph({ width: opts.width, height: opts.height, vmafModel: this.vmafModel, vmafLog, threads: this.threads, fps: opts.fps, subsample: this.subsample }),
        '-f', 'null', '-',
      );
      let stderr: string;
      let wallMs: number;
      try {
        ({ stderr, wallMs } = await run(ffmpegPath(), args, { timeoutMs: this.timeoutMs, signal: opts.signal }));
      } catch (err) {
        const why = err instanceof ProcessError ? `${err.message}: ${err.stderrTail.trim().split('\n').slice(-2).join(' ')}` : String(err);
        throw new QualityMeasurementError(`quality measurement of ${distorted} failed (${why})`, { cause: err });
      }
      const parsed = parseQualityStderr(stderr);
      if (parsed.psnrY === undefined || parsed.ssim === undefined) {
        throw new QualityMeasurementError(`quality measurement of ${distorted}: no PSNR/SSIM in ffmpeg output`);
      }
      const frames = Number(/frame=\s*(\d+)(?![\s\S]*frame=)/.exec(stderr)?.[1] ?? 0);
      const report: QualityReport = { psnr: parsed.psnrY, psnrY: parsed.psnrY, psnrAll: parsed.psnrAll ?? parsed.psnrY, ssim: parsed.ssim, frames, wallMs };
      if (this.vmafModel) {
        const perFrame = vmafLog && existsSync(vmafLog) ? parseVmafLog(readFileSync(vmafLog, 'utf8')) : [];
        const mean = parsed.vmaf ?? (perFrame.length ? perFrame.reduce((a, b) => a + b, 0) / perFrame.length : undefined);
        if (mean === undefined) throw new QualityMeasurementError(`quality measurement of ${distorted}: VMAF configured but no score in ffmpeg output`);
        report.vmaf = mean;
        report.vmafP5 = percentile(perFrame, 5);
      }
      return report;
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}
