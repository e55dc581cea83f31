import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeFailedError } from '../../../lib/core/errors';
import type { Recipe, Rendition } from '../../../lib/core/types';
import { ffmpegPath } from '../../../lib/media/binaries';
import { EncodeCancelledError, inspectHlsOutput, LocalFfmpegEncoder } from '../../../lib/media/encode';
import { run } from '../../../lib/media/process';
import { aJob, aProfile } from '../../helpers/factories';
import { tempDir, tinyClip } from './helpers';

const root = tempDir('encoder');
let source: string;
beforeAll(async () => {
  mkdirSync(join(root, 'in'), { recursive: true });
  source = await tinyClip(join(root, 'in'), 'src', 'animation', undefined, { durationSec: 2, audio: 'music' });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rung = (over: Partial<Rendition> = {}): Rendition => ({
  id: '90p-h264', format: 'mobile', width: 160, height: 90, fps: 25, codec: 'h264', crf: 28, qvbrQuality: 7, maxBitrateKbps: 300, bufferKbits: 600,
  preset: 'veryfast', profile: 'main', gopSeconds: 1, closedGop: true, mandatory: true, ...over,
});
const recipe = (ladder: Rendition[], packaging: Recipe['packaging']): Recipe => ({
  id: 'r', ladder, audio: { codec: 'aac', bitrateKbps: 64, channels: 2, sampleRate: 48000 }, packaging, gopSeconds: 1, variants: [], activeVariant: 0, rationale: [],
});
const task = (r: Rendition, packaging: Recipe['packaging'], out: string) => {
  const rec = recipe([r], packaging);
  return { job: aJob({ id: 'j', source: { uri: source }, profile: aProfile({}, { width: 160, height: 90, durationSec: 2, fps: 25 }), recipe: rec }), recipe: rec, rendition: r, outputPrefix: out };
};

describe('LocalFfmpegEncoder', () => {
  it('writes an MP4 and a VOD HLS rendition, reports CPU time and progress', async () => {
    const out = join(root, 'h264');
    const progress: number[] = [];
    const res = await new LocalFfmpegEncoder({ threads: 1 }).encode(task(rung(), ['hls', 'mp4'], out), { onProgress: (p) => progress.push(p.fraction) });
    expect(res).toMatchObject({ renditionId: '90p-h264', status: 'done', backend: 'local', outputs: [join(out, '90p-h264.mp4'), join(out, 'hls', '90p-h264', 'index.m3u8')] });
    expect(res.cpuSec).toBeGreaterThan(0);
    expect(res.bytes).toBeGreaterThan(1000);
    expect(progress.at(-1)).toBe(1);
    const hls = await inspectHlsOutput(res.outputs[1]!);
    expect(hls.problems).toEqual([]);
    expect(hls.segments).toBeGreaterThanOrEqual(1);
    expect(readdirSync(out).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('packages HEVC as fMP4 HLS segments', async () => {
    const out = join(root, 'hevc');
    const res = await new LocalFfmpegEncoder({ threads: 1 }).encode(task(rung({ id: '90p-hevc', codec: 'hevc', profile: 'main', crf: 30 }), ['hls'], out));
    expect(res.outputs).toEqual([join(out, 'hls', '90p-hevc', 'index.m3u8')]);
    const playlist = readFileSync(res.outputs[0]!, 'utf8');
    expect(playlist).toMatch(/#EXT-X-MAP:URI="init\.mp4"/);
    expect(playlist).toMatch(/seg-00000\.m4s/);
    expect(existsSync(join(out, '90p-hevc.mp4'))).toBe(false);
    await run(ffmpegPath(), ['-v', 'error', '-nostdin', '-i', res.outputs[0]!, '-f', 'null', '-'], { timeoutMs: 30_000 });
  });

  it('cancels on abort and leaves no output behind', async () => {
    const out = join(root, 'cancel');
    const controller = new AbortController();
    const encoding = new LocalFfmpegEncoder({ threads: 1 }).encode(task(rung({ preset: 'veryslow' }), ['hls', 'mp4'], out), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    setTimeout(() => controller.abort(), 300);
    await expect(encoding).rejects.toBeInstanceOf(EncodeCancelledError);
    expect(existsSync(join(out, '90p-h264.mp4'))).toBe(false);
    expect(readdirSync(out).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('fails with the timeout in the reason when ffmpeg runs too long', async () => {
    const out = join(root, 'timeout');
    const encoder = new LocalFfmpegEncoder({ threads: 1, timeoutMs: () => 1 });
    await expect(encoder.encode(task(rung(), ['mp4'], out))).rejects.toThrow(EncodeFailedError);
    await expect(encoder.encode(task(rung(), ['mp4'], out))).rejects.toThrow(/timed out after 0 s/);
    expect(readdirSync(out)).toEqual([]);
  });
});
