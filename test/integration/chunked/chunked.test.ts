import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeFailedError } from '../../../lib/core/errors';
import { planChunks } from '../../../lib/core/pipeline';
import { renderFfmpegArgs } from '../../../lib/core/recipes/ffmpeg';
import type { AudioProfile, Rendition } from '../../../lib/core/types';
import { ffmpegPath } from '../../../lib/media/binaries';
import { chunkArgs, concatList, encodeChunked, perFramePsnr, probeVideo, type Runner } from '../../../lib/media/chunked';
import { run, ProcessError } from '../../../lib/media/process';
import { synthesizeClip } from '../../../lib/media/synth';

const W = 320;
const H = 180;
const FPS = 25;
const DURATION = 4;

const rendition: Rendition = {
  id: '180p-h264', format: 'mobile', width: W, height: H, fps: FPS, codec: 'h264', crf: 23, qvbrQuality: 7,
  maxBitrateKbps: 800, bufferKbits: 1600, preset: 'veryfast', profile: 'high', gopSeconds: 0.4, closedGop: true, mandatory: true,
};
const audio: AudioProfile = { codec: 'aac', bitrateKbps: 96, channels: 2, sampleRate: 48000 };
const joinWindowMin = (psnr: number[]): number => Math.min(...chunks.slice(1).flatMap((c) => [-2, -1, 0, 1, 2].map((d) => psnr[c.startFrame + d]!)));
const chunks = planChunks(DURATION, rendition.gopSeconds, FPS, { targetChunkSec: 1.4, minChunkSec: 1, maxChunks: 3 });

let dir: string;
let source: string;
let single: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'marquee-chunked-'));
  source = join(dir, 'source.mp4');
  single = join(dir, 'single.mp4');
  // testsrc2 moves every frame: a dropped or repeated frame at a join shows as a PSNR collapse.
  await synthesizeClip('animation', source, { width: W, height: H, durationSec: DURATION, fps: FPS, audio: 'speech' });
  await run(ffmpegPath(), renderFfmpegArgs({ source, rendition, audio, output: { kind: 'mp4', path: single } }), { timeoutMs: 60_000 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chunked encoding with real ffmpeg', () => {
  it('plans three chunks on GOP boundaries', () => {
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.startFrame % 10 === 0)).toBe(true);
  });

  it('joins to the single-pass encode\'s duration and frame count, with no glitch at the joins', async () => {
    const out = join(dir, 'chunked.mp4');
    const res = await encodeChunked({ source, rendition, audio, outPath: out, chunks, workDir: join(dir, 'work-ok') });
    const ref = await probeVideo(single);
    expect(res.attempts).toEqual([1, 1, 1]);
    expect(res.frames).toBe(ref.frames);
    expect(res.frames).toBe(DURATION * FPS);
    expect(Math.abs(res.durationSec - ref.durationSec)).toBeLessThan(1 / FPS);

    const psnrChunked = await perFramePsnr(source, out, { width: W, height: H, workDir: dir });
    const psnrSingle = await perFramePsnr(source, single, { width: W, height: H, workDir: dir });
    expect(psnrChunked).toHaveLength(DURATION * FPS);
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    expect(Math.abs(mean(psnrChunked) - mean(psnrSingle))).toBeLessThan(0.5);
    // Around every join (two frames either side), each frame is as faithful as the single pass's.
    // Around every join (two frames either side) no frame is worse than the single pass's worst
    // frame: a dropped, repeated or damaged frame on moving content costs 10+ dB. (A chunk's first
    // IDR is ~2 dB below the single pass's mid-stream IDR, which mbtree favours: not a glitch.)
    expect(joinWindowMin(psnrChunked)).toBeGreaterThan(Math.min(...psnrSingle) - 1);
    for (const c of chunks.slice(1)) {
      for (let f = c.startFrame - 2; f <= c.startFrame + 2; f++) expect(Math.abs(psnrChunked[f]! - psnrSingle[f]!)).toBeLessThan(3);
    }
  });

  it('the join check catches a chunk that starts two frames late (negative control)', async () => {
    const late = chunks.map((c) => (c.index === 1 ? { ...c, startSec: c.startSec + 2 / FPS } : c));
    const out = join(dir, 'glitched.mp4');
    await encodeChunked({ source, rendition, audio: null, outPath: out, chunks: late, workDir: join(dir, 'work-late') });
    const psnrGlitched = await perFramePsnr(source, out, { width: W, height: H, workDir: dir });
    const psnrSingle = await perFramePsnr(source, single, { width: W, height: H, workDir: dir });
    expect(joinWindowMin(psnrGlitched)).toBeLessThan(Math.min(...psnrSingle) - 5);
  });

  it('a failure of one chunk re-encodes that chunk only', async () => {
    const calls: string[] = [];
    let failed = false;
    const flaky: Runner = async (bin, args, opts) => {
      const ss = args[args.indexOf('-ss') + 1];
      if (args.includes('-ss')) calls.push(ss!);
      if (ss === chunks[1]!.startSec.toFixed(6) && !failed) {
        failed = true;
        throw new ProcessError('ffmpeg exited with code 1', 1, 'simulated crash', false, false);
      }
      return run(bin, args, opts);
    };
    const res = await encodeChunked({ source, rendition, audio: null, outPath: join(dir, 'retried.mp4'), chunks, workDir: join(dir, 'work-retry'), run: flaky });
    expect(res.attempts).toEqual([1, 2, 1]);
    expect(calls.filter((s) => s === chunks[0]!.startSec.toFixed(6))).toHaveLength(1);
    expect(calls.filter((s) => s === chunks[1]!.startSec.toFixed(6))).toHaveLength(2);
    expect(calls.filter((s) => s === chunks[2]!.startSec.toFixed(6))).toHaveLength(1);
    expect(res.frames).toBe(DURATION * FPS);
  });

  it('gives up with EncodeFailedError when a chunk keeps failing', async () => {
    const broken: Runner = async (bin, args, opts) => {
      if (args.includes('-ss') && args[args.indexOf('-ss') + 1] === chunks[2]!.startSec.toFixed(6)) throw new ProcessError('boom', 1, '', false, false);
      return run(bin, args, opts);
    };
    await expect(encodeChunked({ source, rendition, audio: null, outPath: join(dir, 'broken.mp4'), chunks, workDir: join(dir, 'work-broken'), run: broken, maxAttempts: 2 })).rejects.toThrow(EncodeFailedError);
  });
});

describe('chunk arguments', () => {
  it('seek before the input, count frames exactly and force keyframes on the GOP grid', () => {
    const args = chunkArgs({ source: 's.mp4', rendition, chunk: chunks[1]!, outPath: 'c.mp4' });
    expect(args.indexOf('-ss')).toBeLessThan(args.indexOf('-i'));
    expect(args[args.indexOf('-frames:v') + 1]).toBe(String(chunks[1]!.frames));
    expect(args[args.indexOf('-force_key_frames') + 1]).toBe('expr:eq(mod(n,10),0)');
    expect(args).toContain('-an');
  });

  it('quote paths with quotes in the concat list', () => {
    expect(concatList(["/a/it's.mp4", '/b.mp4'])).toBe("file '/a/it'\\''s.mp4'\nfile '/b.mp4'\n");
  });
});
