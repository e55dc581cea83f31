import type { AudioProfile, Rendition } from '../types';

/** Output container for one rendition. */
export type FfmpegOutput = { kind: 'mp4'; path: string } | { kind: 'hls'; playlistPath: string; segmentPattern: string; segmentSeconds: number };

/**
 * Render one rendition to an ffmpeg argument array (never a shell string). v0: libx264 only;
 * the recipes issue adds x265/VP9/NVENC.
 */
export function renderFfmpegArgs(input: {
  source: string;
  rendition: Rendition;
  audio: AudioProfile | null;
  output: FfmpegOutput;
  threads?: number;
}): string[] {
  const r = input.rendition;
  const gop = Math.max(1, Math.round(r.gopSeconds * r.fps));
  const args = ['-hide_banner', '-nostdin', '-y', '-i', input.source, '-map', '0:v:0'];
  if (input.audio) args.push('-map', '0:a:0?');
  args.push(
    '-vf', `scale=${r.width}:${r.height}:flags=bicubic,format=yuv420p`,
    '-r', String(r.fps),
    '-c:v', 'libx264',
    '-preset', r.preset,
    '-crf', String(r.crf),
    '-maxrate', `${r.maxBitrateKbps}k`,
    '-bufsize', `${r.bufferKbits}k`,
    '-profile:v', r.profile,
    '-g', String(gop),
    '-keyint_min', String(gop),
    '-sc_threshold', '0',
  );
  if (input.threads) args.push('-threads', String(input.threads));
  if (input.audio) args.push('-c:a', 'aac', '-b:a', `${input.audio.bitrateKbps}k`, '-ac', String(input.audio.channels), '-ar', String(input.audio.sampleRate));
  else args.push('-an');
  if (input.output.kind === 'mp4') {
    args.push('-movflags', '+faststart', '-f', 'mp4', input.output.path);
  } else {
    args.push(
      '-f', 'hls',
      '-hls_time', String(input.output.segmentSeconds),
      '-hls_playlist_type', 'vod',
      '-hls_segment_filename', input.output.segmentPattern,
      input.output.playlistPath,
    );
  }
  return args;
}
