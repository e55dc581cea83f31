/**
 * Hull probe: measure a title's rate–quality hull with cheap trial encodes before its ladder is
 * chosen (per-title encoding as Netflix's convex-hull / dynamic optimizer does it, scaled down).
 *
 * 1. Sample 3 short segments of the title (evenly spread; a shorter title whole) and cut each once
 *    to a lossless intermediate at the source size.
 * 2. Encode every candidate resolution (the source height and ≈0.75× steps down, never above the
 *    source, never more than 1.6 octaves down (a third of the height), never below 144p) at 3 CRFs with a fast preset (faster),
 *    exactly as the ladder's renditions are rendered (`renderFfmpegArgs`: same GOP, tune, scaler).
 * 3. Measure each trial at the source's display size (VMAF when a model is configured, on every
 *    Nth frame; PSNR and SSIM always).
 * 4. Measure once how the recipe's real preset differs from the trial preset (one encode at the
 *    source size, middle CRF): a rate factor and a quality offset, applied to every trial point.
 *
 * The pure part (`lib/core/recipes/hull.ts`) turns the points into a ladder.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANDIDATE_HEIGHTS } from '../core/recipes/ladder';
import { renderFfmpegArgs } from '../core/recipes/ffmpeg';
import type { MeasuredHull, TrialPoint } from '../core/recipes/hull';
import type { ContentProfile, Rendition } from '../core/types';
import { ffmpegPath } from './binaries';
import { inputArgs as probeInputArgs } from './probe';
import { run } from './process';
import { FfmpegQualityMeter } from './quality';

export interface HullProbeOptions {
  /** Part of the title to sample from (default: the whole source duration). */
  durationSec?: number;
  /** Length of each sampled segment (default 2 s). */
  segmentSec?: number;
  /** At most this many segments (default 3: 6 s of the title, or all of a shorter title). */
  maxSegments?: number;
  /** CRFs of the trial encodes (default 20, 27, 34). */
  crfs?: number[];
  /** Preset of the trial encodes (default faster: mb-tree and B-frames like medium, so the offset is small). */
  trialPreset?: string;
  /** Preset the recipe will encode with; the probe measures its offset from the trial preset (default medium). */
  targetPreset?: string;
  /** Largest candidate height (default the source's, capped at 1080 unless raised). */
  maxHeight?: number;
  /** VMAF model (else `MARQUEE_VMAF_MODEL`; PSNR/SSIM only when none). */
  vmafModelPath?: string;
  disableVmaf?: boolean;
  /** VMAF on every Nth frame (default 3; the mean of a 6 s sample barely moves). */
  vmafSubsample?: number;
  threads?: number;
  signal?: AbortSignal;
  /** Progress lines. */
  onTrial?: (p: TrialPoint & { preset: string }) => void;
}

/**
 * Candidate heights of the probe: the source, then the candidate heights at least 12 % apart, down to
 * max(144, H/3). (Down to H/4 the probe spent 6 of its 22 trials on a 720p title at 234p and 180p,
 * which never reached the hull: 360p at the same rate measured better on every 720p bench clip.)
 */
export function probeHeights(sourceHeight: number, maxHeight = Math.min(sourceHeight, 1080)): number[] {
  const top = Math.min(sourceHeight, maxHeight);
  const lowest = Math.min(top, Math.max(144, sourceHeight / 3));
  const out = [top];
  for (const h of [...CANDIDATE_HEIGHTS].filter((x) => x < top && x >= lowest).reverse()) {
    if (h <= out[out.length - 1]! * 0.88) out.push(h);
  }
  if (out[out.length - 1]! > lowest * 1.25 && lowest >= 144) out.push(2 * Math.round(lowest / 2));
  return out;
}

/**
 * Evenly spread sample windows [start, length] over a title: `maxSegments` windows of `segmentSec`,
 * or fewer when the title is shorter (a title shorter than the windows is sampled whole). A single
 * 2 s window of a short title misses part of its content: on foreman (4 s) the middle 2 s put the
 * resolution crossover a rung too high.
 */
export function sampleWindows(durationSec: number, segmentSec = 2, maxSegments = 3): [number, number][] {
  const seg = Math.min(segmentSec, durationSec);
  const n = Math.max(1, Math.min(maxSegments, Math.ceil(durationSec / seg - 1e-6)));
  return Array.from({ length: n }, (_, i) => {
    const centre = ((i + 0.5) / n) * durationSec;
    return [Math.max(0, Math.min(durationSec - seg, centre - seg / 2)), seg] as [number, number];
  });
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** Measure the title's rate–quality hull with trial encodes of sampled segments. */
export async function probeHull(sourcePath: string, profile: ContentProfile, opts: HullProbeOptions = {}): Promise<MeasuredHull> {
  const started = performance.now();
  const { width: W, height: H } = Math.abs(profile.source.rotation) % 180 === 90 ? { width: profile.source.height, height: profile.source.width } : profile.source;
  const fps = Math.min(60, profile.source.fps > 0 ? profile.source.fps : 30);
  const duration = opts.durationSec ?? profile.source.durationSec ?? 10;
  const windows = sampleWindows(duration, opts.segmentSec ?? 2, opts.maxSegments ?? 3);
  const crfs = opts.crfs ?? [20, 27, 34];
  const trialPreset = opts.trialPreset ?? 'faster';
  const targetPreset = opts.targetPreset ?? 'medium';
  const meter = new FfmpegQualityMeter({ ...(opts.vmafModelPath ? { vmafModelPath: opts.vmafModelPath } : {}), disableVmaf: opts.disableVmaf, vmafSubsample: opts.vmafSubsample ?? 3 });
  const dir = mkdtempSync(join(tmpdir(), 'marquee-hull-'));
  try {
    // 1. Lossless intermediates of the sampled segments, at the display size (ffmpeg applies rotation).
    const segments: { path: string; sec: number }[] = [];
    for (const [i, [start, len]] of windows.entries()) {
      // MP4, not Matroska: Matroska rounds timestamps to 1 ms, and at 30000/1001 fps the quality
      // filters then pair a trial's frame n with the reference's frame n−1 (carphone measured ~10
      // VMAF / 7 dB PSNR too low, which pushed its ladder off).
      const path = join(dir, `seg${i}.mp4`);
      await run(
        ffmpegPath(),
        ['-hide_banner', '-nostdin', '-y', ...probeInputArgs(sourcePath, profile.source), '-ss', String(start), '-i', sourcePath, '-t', String(len), '-map', '0:v:0', '-an',
          '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', path],
        { timeoutMs: 10 * 60_000, signal: opts.signal },
      );
      segments.push({ path, sec: len });
    }
    const sampledSec = segments.reduce((a, s) => a + s.sec, 0);
    const template = (height: number, crf: number, preset: string): Rendition => ({
      id: `trial-${height}p-crf${crf}-${preset}`,
      format: 'abr',
      width: even((W * height) / H),
      height,
      fps,
      codec: 'h264',
      crf,
      qvbrQuality: 7,
      maxBitrateKbps: 0,
      bufferKbits: 0,
      preset,
      profile: 'high',
      gopSeconds: 2,
      closedGop: true,
      mandatory: false,
    });
    // 2–3. Trial encode + measure, summed over the segments.
    const trial = async (height: number, crf: number, preset: string): Promise<TrialPoint> => {
      const r = template(height, crf, preset);
      let bits = 0;
      let frames = 0;
      const acc = { vmaf: 0, psnr: 0, ssim: 0 };
      let hasVmaf = true;
      for (const [i, seg] of segments.entries()) {
        const out = join(dir, `${r.id}-${i}.mp4`);
        await run(ffmpegPath(), renderFfmpegArgs({ source: seg.path, rendition: r, audio: null, output: { kind: 'mp4', path: out }, threads: opts.threads ?? 2 }), { timeoutMs: 10 * 60_000, signal: opts.signal });
        bits += statSync(out).size * 8;
        const q = await meter.measure(seg.path, out, { width: W, height: H, ...(opts.signal ? { signal: opts.signal } : {}) });
        const n = Math.max(1, Math.round(seg.sec * fps));
        frames += n;
        acc.psnr += q.psnr * n;
        acc.ssim += q.ssim * n;
        if (q.vmaf === undefined) hasVmaf = false;
        else acc.vmaf += q.vmaf * n;
        rmSync(out, { force: true });
      }
      const p: TrialPoint = { width: r.width, height, crf, kbps: bits / sampledSec / 1000, psnr: acc.psnr / frames, ssim: acc.ssim / frames, ...(hasVmaf ? { vmaf: acc.vmaf / frames } : {}) };
      opts.onTrial?.({ ...p, preset });
      return p;
    };
    const points: TrialPoint[] = [];
    const heights = probeHeights(H, opts.maxHeight ?? Math.min(H, 1080));
    for (const h of heights) for (const crf of crfs) points.push(await trial(h, crf, trialPreset));
    // 4. Offset of the target preset, once, at the top height and the middle CRF.
    let presetRateFactor = 1;
    let presetQualityOffset = 0;
    if (targetPreset !== trialPreset) {
      const mid = crfs[Math.floor(crfs.length / 2)]!;
      const ref = points.find((p) => p.height === heights[0] && p.crf === mid)!;
      const tgt = await trial(heights[0]!, mid, targetPreset);
      presetRateFactor = tgt.kbps / ref.kbps;
      presetQualityOffset = tgt.vmaf !== undefined && ref.vmaf !== undefined ? tgt.vmaf - ref.vmaf : tgt.psnr - ref.psnr;
    }
    return { points, trialPreset, targetPreset, presetRateFactor, presetQualityOffset, sampledSec, costSec: (performance.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
