import { describe, expect, it } from 'vitest';
import { codecsAttribute, masterPlaylist } from '../../../lib/media/hls';
import { lastProgressTime } from '../../../lib/media/encode';
import type { Rendition } from '../../../lib/core/types';

const rung = (height: number, maxBitrateKbps: number, over: Partial<Rendition> = {}): Rendition => ({
  id: `${height}p-h264`, format: 'hd', width: Math.round((height * 16) / 9 / 2) * 2, height, fps: 30, codec: 'h264', crf: 23, qvbrQuality: 7,
  maxBitrateKbps, bufferKbits: maxBitrateKbps * 2, preset: 'medium', profile: 'high', gopSeconds: 2, closedGop: true, mandatory: false, ...over,
});

describe('masterPlaylist', () => {
  it('lists variants highest bandwidth first, with resolution, codecs and the audio bitrate in BANDWIDTH', () => {
    const text = masterPlaylist(
      [
        { rendition: rung(360, 800), uri: '360p-h264/index.m3u8' },
        { rendition: rung(1080, 6000), uri: '1080p-h264/index.m3u8', averageBandwidth: 4_100_000 },
      ],
      { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 },
    );
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('#EXTM3U');
    expect(lines[3]).toBe('#EXT-X-STREAM-INF:BANDWIDTH=6128000,AVERAGE-BANDWIDTH=4100000,RESOLUTION=1920x1080,FRAME-RATE=30.000,CODECS="avc1.640028,mp4a.40.2"');
    expect(lines[4]).toBe('1080p-h264/index.m3u8');
    expect(lines[5]).toContain('BANDWIDTH=928000');
    expect(lines[6]).toBe('360p-h264/index.m3u8');
  });
});

describe('codecsAttribute', () => {
  it('derives the H.264 profile and level from the rendition, without audio when there is none', () => {
    expect(codecsAttribute(rung(360, 800, { profile: 'main' }), null)).toBe('avc1.4d401e');
    expect(codecsAttribute(rung(2160, 16000, { fps: 60 }), null)).toBe('avc1.640033');
  });
});

describe('lastProgressTime', () => {
  it('reads the latest time= position of an ffmpeg stats chunk', () => {
    expect(lastProgressTime('frame=  10 fps=0.0 q=28.0 size=0kB time=00:00:00.40 bitrate=\rframe=  50 time=00:01:02.50 bitrate=')).toBeCloseTo(62.5);
    expect(lastProgressTime('Press [q] to stop')).toBeUndefined();
  });
});
