import { ffmpegPath } from './binaries';
import { run } from './process';

/**
 * Synthetic clips of visibly different content, made with ffmpeg's own sources (no downloads).
 * Used by the sample workload of `npm start` and by tests that need real video of known character.
 */
export const SYNTH_KINDS = ['static', 'slides', 'animation', 'talking', 'noisy', 'motion'] as const;
export type SynthKind = (typeof SYNTH_KINDS)[number];

export interface SynthOptions {
  width?: number;
  height?: number;
  durationSec?: number;
  fps?: number;
  /** Add an audio track: speech-like (modulated tone), music-like (chord) or none. */
  audio?: 'speech' | 'music' | 'none';
  timeoutMs?: number;
}

function videoSource(kind: SynthKind, w: number, h: number, fps: number, d: number): string {
  const size = `s=${w}x${h}:r=${fps}:d=${d}`;
  switch (kind) {
    case 'static': // one still picture held: SMPTE bars never move
      return `smptehdbars=${size}`;
    case 'slides': // screen-like: sharp flat colours and text-like edges, changing every 2 s
      return `testsrc=${size},select='not(mod(n\\,${fps * 2}))',setpts=N/FRAME_RATE/TB,fps=${fps},hue=s=0`;
    case 'animation': // flat regions, smooth motion
      return `testsrc2=${size}`;
    case 'talking': // mostly still frame with a small moving region
      return `mandelbrot=s=${w}x${h}:r=${fps}:end_scale=0.99:start_scale=1,trim=duration=${d}`;
    case 'noisy': // film-grain-like: temporal noise over a picture
      return `testsrc2=${size},noise=alls=40:allf=t+u`;
    case 'motion': // fast global motion and detail
      return `mandelbrot=s=${w}x${h}:r=${fps}:end_scale=0.001:start_scale=3,trim=duration=${d},hue=H=2*PI*t:s=1.5`;
  }
}

/** Render a synthetic clip to an H.264 MP4 at `outPath`. */
export async function synthesizeClip(kind: SynthKind, outPath: string, opts: SynthOptions = {}): Promise<void> {
  const w = opts.width ?? 640;
  const h = opts.height ?? 360;
  const fps = opts.fps ?? 25;
  const d = opts.durationSec ?? 4;
  const audio = opts.audio ?? 'none';
  const args = ['-hide_banner', '-nostdin', '-y', '-f', 'lavfi', '-i', videoSource(kind, w, h, fps, d)];
  if (audio === 'speech') args.push('-f', 'lavfi', '-i', `sine=f=220:d=${d},volume='0.5+0.5*sin(2*PI*3*t)':eval=frame`);
  if (audio === 'music') args.push('-f', 'lavfi', '-i', `sine=f=440:d=${d}`);
  args.push('-t', String(d), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p');
  if (audio !== 'none') args.push('-c:a', 'aac', '-b:a', '96k', '-shortest');
  args.push('-movflags', '+faststart', outPath);
  await run(ffmpegPath(), args, { timeoutMs: opts.timeoutMs ?? 120_000 });
}
