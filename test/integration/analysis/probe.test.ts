import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RejectedInputError } from '../../../lib/core/errors';
import { ffmpegPath } from '../../../lib/media/binaries';
import { FfprobeProber, inputArgs, isRawStream } from '../../../lib/media/probe';
import { run } from '../../../lib/media/process';
import { synthesizeClip } from '../../../lib/media/synth';

const dir = mkdtempSync(join(tmpdir(), 'marquee-probe-'));
const at = (name: string) => join(dir, name);
const prober = new FfprobeProber({ timeoutMs: 15_000 });
const CLIPS = join(import.meta.dirname, '../../../../shared/clips');

async function rejection(path: string, p = prober): Promise<string> {
  const err = await p.probe(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RejectedInputError);
  return (err as Error).message;
}

/** Overwrite the 4-byte box type `from` (first occurrence) with `to`. */
function patchBox(src: string, dst: string, patches: [string, string][]): void {
  const buf = readFileSync(src);
  for (const [from, to] of patches) {
    const i = buf.indexOf(Buffer.from(from, 'latin1'));
    expect(i).toBeGreaterThan(0);
    buf.write(to, i, 'latin1');
  }
  writeFileSync(dst, buf);
}

beforeAll(async () => {
  await synthesizeClip('animation', at('ok.mp4'), { width: 160, height: 120, durationSec: 2, audio: 'speech' });
  const ff = ffmpegPath();
  // moov at the end (no faststart): cutting the tail loses the index
  await run(ff, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x120:r=25:d=2', '-c:v', 'libx264', '-preset', 'ultrafast', at('tail-index.mp4')]);
  await run(ff, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=1', '-c:a', 'aac', at('audio-only.m4a')]);
  await run(ff, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x120:r=25:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', at('ok.mkv')]);
});

describe('FfprobeProber', () => {
  it('normalises a real MP4 with audio into SourceInfo', async () => {
    const s = await prober.probe(at('ok.mp4'));
    expect(s).toMatchObject({ width: 160, height: 120, fps: 25, videoCodec: 'h264', pixelFormat: 'yuv420p', bitDepth: 8, hdr: false, interlaced: false, rotation: 0 });
    expect(s.durationSec).toBeCloseTo(2, 1);
    expect(s.sizeBytes).toBeGreaterThan(0);
    expect(s.audio).toMatchObject({ codec: 'aac', channels: 1 });
    expect(s.container).toContain('mp4');
  });

  it('rejects a zero-byte upload as incomplete', async () => {
    writeFileSync(at('empty.mp4'), '');
    expect(await rejection(at('empty.mp4'))).toMatch(/empty \(0 bytes\)/);
  });

  it('rejects a file that is not media', async () => {
    writeFileSync(at('notes.mp4'), 'this is a text file, not a video\n'.repeat(50));
    expect(await rejection(at('notes.mp4'))).toMatch(/not a readable media file/);
  });

  it('rejects a file whose header is garbage (corrupted)', async () => {
    const buf = readFileSync(at('ok.mp4'));
    buf.fill(0x5a, 0, 4096);
    writeFileSync(at('corrupt-head.mp4'), buf);
    expect(await rejection(at('corrupt-head.mp4'))).toMatch(/not a readable media file|no video stream|not a media file/);
  });

  it('rejects a truncated MP4 whose index survived (faststart) by comparing it with the bytes present', async () => {
    const buf = readFileSync(at('ok.mp4'));
    writeFileSync(at('truncated.mp4'), buf.subarray(0, Math.floor(buf.length * 0.4)));
    expect(await rejection(at('truncated.mp4'))).toMatch(/truncated/);
  });

  it('rejects a truncated MP4 that lost its index', async () => {
    const buf = readFileSync(at('tail-index.mp4'));
    writeFileSync(at('truncated-tail.mp4'), buf.subarray(0, Math.floor(buf.length * 0.6)));
    expect(await rejection(at('truncated-tail.mp4'))).toMatch(/moov atom not found|not a readable media file/);
  });

  it('rejects an audio-only upload as having no video stream', async () => {
    expect(await rejection(at('audio-only.m4a'))).toMatch(/no video stream: the file only has audio/);
  });

  it('rejects an unsupported codec', async () => {
    // A FourCC no decoder knows: ffprobe reports the stream with no codec name.
    patchBox(at('ok.mp4'), at('codec.mp4'), [['avc1', 'zzzz'], ['avcC', 'zzzC']]);
    expect(await rejection(at('codec.mp4'))).toMatch(/unsupported video codec|not a readable media file/);
  });

  it('rejects a header claiming a ten-day duration before any decode', async () => {
    const buf = readFileSync(at('ok.mkv'));
    const i = buf.indexOf(Buffer.from([0x44, 0x89])); // Matroska Segment Info Duration (ms)
    expect(i).toBeGreaterThan(0);
    const len = buf[i + 2]! & 0x7f;
    if (len === 8) buf.writeDoubleBE(864_000_000, i + 3);
    else buf.writeFloatBE(864_000_000, i + 3);
    writeFileSync(at('ten-days.mkv'), buf);
    expect(await rejection(at('ten-days.mkv'))).toMatch(/duration 864000 s exceeds/);
  });

  it('rejects a header claiming 100000x100000 pixels', async () => {
    writeFileSync(at('huge.y4m'), Buffer.concat([Buffer.from('YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n'), Buffer.alloc(1000)]));
    expect(await rejection(at('huge.y4m'))).toMatch(/100000x100000|not a readable media file/);
  });

  it('kills an ffprobe that hangs and rejects the file after the timeout', async () => {
    const script = at('hanging-ffprobe.sh');
    writeFileSync(script, '#!/bin/sh\n# exec: the sleeping process is the one run() kills, as with a real ffprobe\nexec sleep 30\n');
    chmodSync(script, 0o755);
    const started = performance.now();
    const msg = await rejection(at('ok.mp4'), new FfprobeProber({ bin: script, timeoutMs: 400 }));
    expect(msg).toMatch(/did not finish within 400 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a named pipe instead of blocking on it', async () => {
    execFileSync('mkfifo', [at('pipe.mp4')]);
    expect(await rejection(at('pipe.mp4'))).toMatch(/not a regular file/);
  });

  it('rejects a missing file with its path', async () => {
    expect(await rejection(at('missing.mp4'))).toMatch(/source not found/);
  });

  it('passes a frame rate before -i for raw elementary streams only', () => {
    expect(isRawStream('/x/flower.h264')).toBe(true);
    expect(isRawStream('https://b/k.mp4?X-Amz=1')).toBe(false);
    expect(inputArgs('/x/flower.h264', { container: 'h264', fps: 30 })).toEqual(['-r', '30', '-i', '/x/flower.h264']);
    expect(inputArgs('/x/a.mp4', { container: 'mov,mp4', fps: 25 })).toEqual(['-i', '/x/a.mp4']);
  });

  it.skipIf(!existsSync(join(CLIPS, 'flower_720p_300f.h264')))('reads a raw Annex-B stream: 30 fps from its VUI, duration from its packets', async () => {
    const s = await prober.probe(join(CLIPS, 'flower_720p_300f.h264'));
    expect(s).toMatchObject({ container: 'h264', fps: 30, frameCount: 300, width: 1280, height: 720 });
    expect(s.durationSec).toBeCloseTo(10, 5);
  });
});
