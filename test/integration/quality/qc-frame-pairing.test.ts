import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../../lib/media/binaries';
import { run } from '../../../lib/media/process';
import { FfmpegQualityMeter } from '../../../lib/media/quality';

/**
 * Matroska stores timestamps in milliseconds, so a 29.97 fps source's frames sit up to 0.5 ms off
 * the 1001/30000 grid; paired by raw timestamp, ffmpeg compares many rendition frames with the
 * previous source frame and a good encode measures ~20 dB too low.
 */
describe('quality meter frame pairing on a 29.97 fps Matroska source', () => {
  let dir: string;
  let source: string;
  let rendition: string;
  const meter = new FfmpegQualityMeter({ disableVmaf: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'marquee-pairing-'));
    source = join(dir, 'src.mkv');
    rendition = join(dir, 'out.mp4');
    await run(ffmpegPath(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30000/1001', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '8', '-pix_fmt', 'yuv420p', source], { timeoutMs: 60_000 });
    await run(ffmpegPath(), ['-v', 'error', '-i', source, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', rendition], { timeoutMs: 60_000 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures a good encode as good when both streams are re-timed to the source frame rate', async () => {
    const q = await meter.measure(source, rendition, { width: 320, height: 240, fps: 30000 / 1001 });
    expect(q.psnr).toBeGreaterThan(38);
  });

  it('(why the frame rate is passed) pairing by raw timestamps under-rates the same encode', async () => {
    const paired = await meter.measure(source, rendition, { width: 320, height: 240, fps: 30000 / 1001 });
    const raw = await meter.measure(source, rendition, { width: 320, height: 240 });
    expect(raw.psnr).toBeLessThan(paired.psnr - 5);
  });
});
