/**
 * FALLBACK content profile for the ladder bench, used only while the analysis engineer's
 * lib/media/analyze.ts is not committed. It measures what the recipe engine reads:
 * - probe bits per pixel: x264 at CRF 23 with the fastest configuration of the x264 encode-times
 *   dataset (the analyzer's documented probe), over the first seconds, at the source size;
 * - SI / TI (ITU-T P.910: max over frames of the std of the Sobel magnitude / of the frame difference)
 *   on up to 50 consecutive luma frames, and scene cuts per minute from ffmpeg's scene score;
 * - the content class by the v0 rule in lib/core/analysis (static / high-motion / general).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyContent, difficultyOf } from '../../lib/core/analysis';
import type { ComplexityFeatures, ContentProfile, SourceInfo } from '../../lib/core/types';
import { ffmpegPath } from '../../lib/media/binaries';
import { run } from '../../lib/media/process';

const PROBE_PARAMS = 'cabac=0:ref=1:deblock=0:analyse=none:me=dia:subme=0:mixed-refs=0:merange=16:trellis=0:8x8dct=0:fast-pskip=1:chroma-qp-offset=0:bframes=0:weightp=0:scenecut=0:mbtree=0:qpmax=69:aq-mode=0';

function rawInput(path: string, source: SourceInfo): string[] {
  return /\.(h264|264|h265|hevc)$/i.test(path) ? ['-r', String(source.fps), '-i', path] : ['-i', path];
}

async function grayFrames(path: string, source: SourceInfo, n: number): Promise<{ frames: Uint8Array[]; w: number; h: number }> {
  const w = source.width - (source.width % 2);
  const h = source.height - (source.height % 2);
  const args = ['-hide_banner', '-nostdin', '-v', 'error', ...rawInput(path, source), '-frames:v', String(n), '-vf', `scale=${w}:${h},format=gray`, '-f', 'rawvideo', '-'];
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'ignore'] });
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg gray decode exited ${code}`))));
  });
  const all = Buffer.concat(chunks);
  const size = w * h;
  const frames: Uint8Array[] = [];
  for (let off = 0; off + size <= all.length; off += size) frames.push(all.subarray(off, off + size));
  return { frames, w, h };
}

function std(values: Float64Array | number[]): number {
  let s = 0;
  let s2 = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
  }
  const n = values.length || 1;
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
}

function sobelStd(f: Uint8Array, w: number, h: number): number {
  const mags = new Float64Array((w - 2) * (h - 2));
  let k = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = f[i - w + 1]! + 2 * f[i + 1]! + f[i + w + 1]! - f[i - w - 1]! - 2 * f[i - 1]! - f[i + w - 1]!;
      const gy = f[i + w - 1]! + 2 * f[i + w]! + f[i + w + 1]! - f[i - w - 1]! - 2 * f[i - w]! - f[i - w + 1]!;
      mags[k++] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return std(mags);
}

export async function fallbackProfile(path: string, source: SourceInfo, seconds = 5): Promise<ContentProfile> {
  const started = performance.now();
  const { frames, w, h } = await grayFrames(path, source, 50);
  let si = 0;
  let ti = 0;
  frames.forEach((f, i) => {
    si = Math.max(si, sobelStd(f, w, h));
    if (i > 0) {
      const prev = frames[i - 1]!;
      const d = new Float64Array(f.length);
      for (let j = 0; j < f.length; j++) d[j] = f[j]! - prev[j]!;
      ti = Math.max(ti, std(d));
    }
  });
  const dur = Math.min(seconds, source.durationSec || seconds);
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'marquee-probe-'));
  const out = join(dir, 'probe.h264');
  await run(ffmpegPath(), ['-hide_banner', '-nostdin', ...rawInput(path, source), '-t', String(dur), '-an', '-c:v', 'libx264', '-crf', '23', '-x264-params', PROBE_PARAMS, '-f', 'h264', out], { timeoutMs: 10 * 60_000 });
  const probeSec = (performance.now() - t0) / 1000;
  const bits = statSync(out).size * 8;
  rmSync(dir, { recursive: true, force: true });
  const frameCount = Math.max(1, Math.round(dur * source.fps));
  const scenes = await run(ffmpegPath(), ['-hide_banner', '-nostdin', ...rawInput(path, source), '-t', String(dur), '-vf', "select='gt(scene,0.4)',showinfo", '-f', 'null', '-'], { timeoutMs: 10 * 60_000 });
  const cuts = (scenes.stderr.match(/Parsed_showinfo.*n:\s*\d+/g) ?? []).length;
  const complexity: ComplexityFeatures = {
    spatialInfo: si,
    temporalInfo: ti,
    sceneCutsPerMinute: (cuts / dur) * 60,
    probeBitsPerPixel: bits / (source.width * source.height * frameCount),
    probeFps: frameCount / probeSec,
    probeSecondsPerSecond: probeSec / dur,
    sampledShare: Math.min(1, dur / (source.durationSec || dur)),
  };
  const audio = { kind: source.audio ? ('music' as const) : ('none' as const), channels: source.audio?.channels ?? 0 };
  return { source, complexity, audio, contentClass: classifyContent(complexity, audio), difficulty: difficultyOf(complexity), analysisWallMs: Math.round(performance.now() - started) };
}
