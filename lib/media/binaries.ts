import { createRequire } from 'node:module';
import { accessSync, chmodSync, constants } from 'node:fs';

const require = createRequire(import.meta.url);

function ensureExecutable(path: string): string {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // npm 11 may skip the installer's postinstall chmod.
    try {
      chmodSync(path, 0o755);
    } catch {
      /* the spawn will report it */
    }
  }
  return path;
}

/** ffmpeg path: MARQUEE_FFMPEG, else the npm-shipped static build. */
export function ffmpegPath(): string {
  return process.env.MARQUEE_FFMPEG || ensureExecutable((require('@ffmpeg-installer/ffmpeg') as { path: string }).path);
}

/** ffprobe path: MARQUEE_FFPROBE, else the npm-shipped static build. */
export function ffprobePath(): string {
  return process.env.MARQUEE_FFPROBE || ensureExecutable((require('@ffprobe-installer/ffprobe') as { path: string }).path);
}
