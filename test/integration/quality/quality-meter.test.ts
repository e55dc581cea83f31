import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../../lib/media/binaries';
import { run } from '../../../lib/media/process';
import { FfmpegQualityMeter, parseQualityStderr, parseVmafLog, qualityFilterGraph, QualityMeasurementError } from '../../../lib/media/quality';
import { synthesizeClip } from '../../../lib/media/synth';

const VMAF_MODEL = process.env.MARQUEE_VMAF_MODEL ?? join(import.meta.dirname, '../../../../shared/vmaf/vmaf_v0.6.1.pkl');

async function encodeAt(src: string, out: string, w: number, h: number, crf: number): Promise<void> {
  await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-y', '-i', src, '-vf', `scale=${w}:${h}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', String(crf), out], { timeoutMs: 60_000 });
}

describe('FfmpegQualityMeter', () => {
  let dir: string;
  let source: string;
  let good: string;
  let bad: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'marquee-quality-'));
    source = join(dir, 'src.mp4');
    good = join(dir, 'good.mp4');
    bad = join(dir, 'bad.mp4');
    await synthesizeClip('animation', source, { width: 320, height: 180, durationSec: 2 });
    await encodeAt(source, good, 320, 180, 18);
    await encodeAt(source, bad, 160, 90, 51);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores a near-lossless rendition far above a crf 51 quarter-size one (PSNR, SSIM)', async () => {
    const meter = new FfmpegQualityMeter({ disableVmaf: true });
    const hi = await meter.measure(source, good, { width: 320, height: 180 });
    const lo = await meter.measure(source, bad, { width: 320, height: 180 });
    expect(hi.vmaf).toBeUndefined();
    expect(hi.psnr).toBeGreaterThan(35);
    expect(hi.ssim).toBeGreaterThan(0.95);
    expect(lo.psnr).toBeLessThan(hi.psnr - 8);
    expect(lo.ssim).toBeLessThan(hi.ssim);
    expect(hi.frames).toBe(50);
  });

  it.skipIf(!existsSync(VMAF_MODEL))('adds VMAF (mean and 5th percentile) when a model path is configured', async () => {
    const meter = new FfmpegQualityMeter({ vmafModelPath: VMAF_MODEL });
    const hi = await meter.measure(source, good, { width: 320, height: 180 });
    const lo = await meter.measure(source, bad, { width: 320, height: 180 });
    expect(hi.vmaf).toBeGreaterThan(80);
    expect(lo.vmaf).toBeLessThan(hi.vmaf! - 20);
    expect(lo.vmafP5).toBeLessThanOrEqual(lo.vmaf! + 1e-9);
  });

  it('fails with a named error when ffmpeg cannot read the rendition', async () => {
    const meter = new FfmpegQualityMeter({ disableVmaf: true });
    await expect(meter.measure(source, join(dir, 'missing.mp4'), { width: 320, height: 180 })).rejects.toBeInstanceOf(QualityMeasurementError);
  });

  it('gives up after its timeout', async () => {
    const meter = new FfmpegQualityMeter({ disableVmaf: true, timeoutMs: 1 });
    await expect(meter.measure(source, good, { width: 320, height: 180 })).rejects.toThrow(/timed out/);
  });
});

describe('quality output parsing', () => {
  it('reads psnr, ssim and vmaf summary lines, capping identical pictures at 100 dB', () => {
    const stderr = [
      '[libvmaf @ 0x1] VMAF score: 31.331372',
      '[Parsed_ssim_9 @ 0x2] SSIM Y:0.806020 (7.122438) U:0.951476 (13.140475) V:0.959703 (13.947246) All:0.855877 (8.412661)',
      '[Parsed_psnr_8 @ 0x3] PSNR y:inf u:38.344455 v:37.868736 average:28.167440 min:27.027193 max:29.607296',
    ].join('\n');
    expect(parseQualityStderr(stderr)).toEqual({ psnrY: 100, psnrAll: 28.16744, ssim: 0.855877, vmaf: 31.331372 });
  });

  it('reads per-frame VMAF from a libvmaf 1.3 JSON log', () => {
    expect(parseVmafLog(JSON.stringify({ frames: [{ metrics: { vmaf: 40 } }, { metrics: { vmaf: 60 } }, { metrics: {} }] }))).toEqual([40, 60]);
  });

  it('escapes the model path for the filter graph and resamples both inputs when asked', () => {
    const g = qualityFilterGraph({ width: 1280, height: 720, vmafModel: '/m:odel.pkl', fps: 30 });
    expect(g).toContain('model_path=/m\\:odel.pkl');
    expect(g).toContain('[0:v]fps=30,');
    expect(g.split(';')).toHaveLength(5);
  });
});
