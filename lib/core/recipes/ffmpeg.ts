import { MarqueeError } from '../errors';
import type { AudioProfile, Rendition } from '../types';

/** Output container for one rendition. `fmp4` HLS segments are CMAF (shared with DASH). */
export type FfmpegOutput =
  | { kind: 'mp4'; path: string }
  | { kind: 'hls'; playlistPath: string; segmentPattern: string; segmentSeconds: number; fmp4?: boolean };

/** ffmpeg encoder names per codec, on CPU and on NVIDIA GPUs (the Batch GPU worker). */
export const ENCODERS = {
  cpu: { h264: 'libx264', hevc: 'libx265', vp9: 'libvpx-vp9', av1: 'libaom-av1' },
  nvenc: { h264: 'h264_nvenc', hevc: 'hevc_nvenc' },
} as const;

/** NVENC presets p1 (fastest) .. p7 (best) for an x264 preset name. */
const NVENC_PRESET: Record<string, string> = {
  ultrafast: 'p1', superfast: 'p1', veryfast: 'p2', faster: 'p3', fast: 'p4', medium: 'p5', slow: 'p6', slower: 'p7', veryslow: 'p7',
};
/** libvpx-vp9 / libaom `-cpu-used` for an x264 preset name (higher is faster). */
const CPU_USED: Record<string, number> = {
  ultrafast: 8, superfast: 7, veryfast: 6, faster: 5, fast: 4, medium: 3, slow: 2, slower: 1, veryslow: 0,
};
/** x265 understands these x264 tunes; the others (film, stillimage) have no x265 equivalent. */
const X265_TUNES = new Set(['grain', 'animation', 'psnr', 'ssim', 'fastdecode', 'zerolatency']);

/**
 * x264 tunes whose point is keeping visible texture (film: faces and skin; grain: film grain): their
 * psycho-visual settings stay. Every other rendition turns psy-rd off and lowers adaptive quantisation
 * (see `x264PerceptualArgs`).
 */
const TEXTURE_TUNES = new Set(['film', 'grain']);

/**
 * Psycho-visual flags for an x264 rendition: `-psy 0 -aq-strength 0.3` unless its tune keeps texture.
 * psy-rd spends bits to keep noise-like detail energy, and AQ strength 1 moves bits into flat areas;
 * in moving, animated or synthetic pictures that detail is masked (motion) or absent, and VMAF — the
 * metric the ladder is chosen and verified on — scores the bits better spent on fidelity. Measured on
 * the ladder bench's clips (docs/recipes-and-qc.md): AQ strength 0.6 → 0.4 → 0.3 improved BD-rate vs
 * Apple at equal CRFs on every clip tried (bigbuckbunny, flower, foreman, bikes, carphone); 0.2 and AQ
 * off were no better on foreman and bikes.
 */
export function x264PerceptualArgs(tune: string | undefined): string[] {
  return tune && TEXTURE_TUNES.has(tune) ? [] : ['-psy', '0', '-aq-strength', '0.3'];
}

/** A codec that this renderer cannot produce on the chosen accelerator. */
export class UnsupportedEncoderError extends MarqueeError {}

export interface FfmpegRenderInput {
  source: string;
  rendition: Rendition;
  audio: AudioProfile | null;
  output: FfmpegOutput;
  threads?: number;
  /** `nvenc` renders h264_nvenc/hevc_nvenc for the GPU Batch worker; default CPU encoders. */
  accelerator?: 'cpu' | 'nvenc';
  /** Input options placed before `-i` (e.g. `-r 30` for a raw `.h264` elementary stream). */
  inputArgs?: readonly string[];
  /** Encode only the first N seconds. */
  durationSec?: number;
  /** Deinterlace (yadif) before scaling. */
  deinterlace?: boolean;
}

/** Keyframe interval in frames: the same for every rung of a ladder, so segments align. */
export function gopFrames(r: Pick<Rendition, 'gopSeconds' | 'fps'>): number {
  return Math.max(1, Math.round(r.gopSeconds * r.fps));
}

/**
 * Render one rendition to an ffmpeg argument array (never a shell string): capped constant quality
 * (CRF/CQ with a VBV peak cap), fixed closed GOPs with keyframes forced at the same timestamps on
 * every rung (ABR alignment), no scene-cut keyframes, and the output container last.
 */
export function renderFfmpegArgs(input: FfmpegRenderInput): string[] {
  const r = input.rendition;
  const accel = input.accelerator ?? 'cpu';
  const gop = gopFrames(r);
  const args = ['-hide_banner', '-nostdin', '-y', ...(input.inputArgs ?? []), '-i', input.source, '-map', '0:v:0'];
  if (input.audio) args.push('-map', '0:a:0?');
  if (input.durationSec) args.push('-t', String(input.durationSec));
  const pixFmt = r.profile === 'main10' || r.profile === '2' ? 'yuv420p10le' : 'yuv420p';
  const filters = [...(input.deinterlace ? ['yadif'] : []), `scale=${r.width}:${r.height}:flags=bicubic`, `format=${pixFmt}`];
  args.push('-vf', filters.join(','), '-r', String(r.fps));
  args.push(...videoCodecArgs(r, accel, gop));
  // Keyframes at exact multiples of the GOP duration on every rung and codec.
  args.push('-force_key_frames', `expr:gte(t,n_forced*${r.gopSeconds})`);
  if (input.threads) args.push('-threads', String(input.threads));
  if (input.audio) {
    args.push('-c:a', 'aac', '-b:a', `${input.audio.bitrateKbps}k`, '-ac', String(input.audio.channels), '-ar', String(input.audio.sampleRate));
    if (input.audio.loudnessTarget !== undefined) args.push('-af', `loudnorm=I=${input.audio.loudnessTarget}:TP=-1.5:LRA=11`);
  } else {
    args.push('-an');
  }
  if (input.output.kind === 'mp4') {
    args.push('-movflags', '+faststart', '-f', 'mp4', input.output.path);
  } else {
    args.push(
      '-f', 'hls',
      '-hls_time', String(input.output.segmentSeconds),
      '-hls_playlist_type', 'vod',
      ...(input.output.fmp4 ? ['-hls_segment_type', 'fmp4'] : []),
      '-hls_segment_filename', input.output.segmentPattern,
      input.output.playlistPath,
    );
  }
  return args;
}

function videoCodecArgs(r: Rendition, accel: 'cpu' | 'nvenc', gop: number): string[] {
  const cap = ['-maxrate', `${r.maxBitrateKbps}k`, '-bufsize', `${r.bufferKbits}k`];
  if (accel === 'nvenc') {
    if (r.codec !== 'h264' && r.codec !== 'hevc') throw new UnsupportedEncoderError(`no NVENC encoder for ${r.codec} (rendition ${r.id})`);
    return [
      '-c:v', ENCODERS.nvenc[r.codec],
      '-preset', NVENC_PRESET[r.preset] ?? 'p5',
      '-tune', 'hq',
      '-rc', 'vbr', '-cq', String(r.crf), '-b:v', '0', ...cap,
      '-profile:v', r.profile,
      '-g', String(gop), '-strict_gop', '1', '-no-scenecut', '1', '-forced-idr', '1',
      '-bf', '3', '-spatial-aq', '1', '-temporal-aq', '1',
    ];
  }
  switch (r.codec) {
    case 'h264':
      return [
        '-c:v', ENCODERS.cpu.h264,
        '-preset', r.preset,
        ...(r.tune ? ['-tune', r.tune] : []),
        ...x264PerceptualArgs(r.tune),
        '-crf', String(r.crf), ...cap,
        '-profile:v', r.profile,
        '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
        ...(r.closedGop ? ['-flags', '+cgop'] : []),
      ];
    case 'hevc': {
      const params = [`keyint=${gop}`, `min-keyint=${gop}`, 'scenecut=0', `open-gop=${r.closedGop ? 0 : 1}`, 'log-level=error'];
      return [
        '-c:v', ENCODERS.cpu.hevc,
        '-preset', r.preset,
        ...(r.tune && X265_TUNES.has(r.tune) ? ['-tune', r.tune] : []),
        '-crf', String(r.crf), ...cap,
        '-profile:v', r.profile,
        '-x265-params', params.join(':'),
        '-tag:v', 'hvc1',
      ];
    }
    case 'vp9':
      // Constrained quality: CRF with the peak as the bitrate ceiling.
      return [
        '-c:v', ENCODERS.cpu.vp9,
        '-crf', String(r.crf), '-b:v', `${r.maxBitrateKbps}k`,
        '-deadline', 'good', '-cpu-used', String(CPU_USED[r.preset] ?? 3), '-row-mt', '1',
        '-profile:v', r.profile === '2' ? '2' : '0',
        '-g', String(gop), '-keyint_min', String(gop),
      ];
    case 'av1':
      return [
        '-c:v', ENCODERS.cpu.av1,
        // libaom 1.0 (ffmpeg 4.1) rejects a VBV cap with -b:v 0: constrained quality with the peak as ceiling.
        '-crf', String(r.crf), '-b:v', `${r.maxBitrateKbps}k`,
        '-cpu-used', String(Math.max(4, CPU_USED[r.preset] ?? 6)), '-row-mt', '1', '-strict', 'experimental',
        '-g', String(gop), '-keyint_min', String(gop),
      ];
  }
}
