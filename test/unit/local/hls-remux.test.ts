import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageHls } from '../../../lib/media/chunked';
import { hlsRemuxArgs } from '../../../lib/media/hls';

const dir = mkdtempSync(join(tmpdir(), 'mq-hls-remux-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valueOf = (args: readonly string[], flag: string) => args[args.indexOf(flag) + 1];

describe('hlsRemuxArgs', () => {
  it('stream-copies into MPEG-TS segments for H.264, a whole number of GOPs near 6 s', () => {
    const args = hlsRemuxArgs('/in/720p.mp4', '/out/hls/720p', { gopSeconds: 4, fmp4: false });
    expect(args.slice(0, 9)).toEqual(['-hide_banner', '-nostdin', '-y', '-i', '/in/720p.mp4', '-map', '0', '-c', 'copy']);
    expect(valueOf(args, '-hls_time')).toBe('8'); // 6 s rounds to 2 GOPs of 4 s
    expect(valueOf(args, '-hls_playlist_type')).toBe('vod');
    expect(args).not.toContain('-hls_segment_type');
    expect(valueOf(args, '-hls_segment_filename')).toBe('/out/hls/720p/seg-%05d.ts');
    expect(args.at(-1)).toBe('/out/hls/720p/index.m3u8');
  });

  it('writes fMP4 (CMAF) segments with an init segment for other codecs, and honours the segment target', () => {
    const args = hlsRemuxArgs('/in/1080p-hevc.mp4', '/out/hls/1080p-hevc', { gopSeconds: 2, fmp4: true, segmentSec: 4 });
    expect(valueOf(args, '-hls_time')).toBe('4');
    expect(valueOf(args, '-hls_segment_type')).toBe('fmp4');
    expect(valueOf(args, '-hls_fmp4_init_filename')).toBe('init.mp4');
    expect(valueOf(args, '-hls_segment_filename')).toBe('/out/hls/1080p-hevc/seg-%05d.m4s');
  });

  it('never makes a segment shorter than one GOP', () => {
    expect(valueOf(hlsRemuxArgs('/a.mp4', '/h', { gopSeconds: 10, fmp4: false }), '-hls_time')).toBe('10');
    expect(valueOf(hlsRemuxArgs('/a.mp4', '/h', { gopSeconds: 0, fmp4: false, segmentSec: 0 }), '-hls_time')).toBe('1');
  });
});

describe('packageHls', () => {
  it('runs ffmpeg with the shared remux arguments and returns the media playlist', async () => {
    const calls: string[][] = [];
    const out = join(dir, 'hls', '360p');
    const run = async (_bin: string, args: readonly string[]) => {
      calls.push([...args]);
      return { stdout: '', stderr: '', wallMs: 0 };
    };
    const playlist = await packageHls('/in/360p.mp4', out, { gopSeconds: 2, fmp4: false, ffmpeg: 'ffmpeg', run });
    expect(calls).toEqual([hlsRemuxArgs('/in/360p.mp4', out, { gopSeconds: 2, fmp4: false })]);
    expect(playlist).toBe(join(out, 'index.m3u8'));
  });
});
