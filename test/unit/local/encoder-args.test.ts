import { describe, expect, it } from 'vitest';
import type { Recipe, Rendition } from '../../../lib/core/types';
import { LocalFfmpegEncoder } from '../../../lib/media/encode';
import { aJob, aProfile } from '../../helpers/factories';

const rung = (over: Partial<Rendition> = {}): Rendition => ({
  id: '1080p-h264', format: 'hd', width: 1920, height: 1080, fps: 30, codec: 'h264', crf: 23, qvbrQuality: 8, maxBitrateKbps: 6000, bufferKbits: 12000,
  preset: 'slow', profile: 'high', gopSeconds: 2, closedGop: true, mandatory: true, ...over,
});
const task = (r: Rendition) => {
  const recipe: Recipe = { id: 'r', ladder: [r], audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 }, packaging: ['hls'], gopSeconds: 2, variants: [], activeVariant: 0, rationale: [] };
  return { job: aJob({ source: { uri: '/in/title.mp4' }, profile: aProfile({}, { width: 1920, height: 1080, durationSec: 60 }), recipe }), recipe, rendition: r, outputPrefix: '/out/j' };
};
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('LocalFfmpegEncoder encoder choice (no GPU needed: arguments only)', () => {
  it('renders H.264 and HEVC rungs for NVENC when hardware is nvenc, and labels results with the backend given', () => {
    const gpu = new LocalFfmpegEncoder({ hardware: 'nvenc', backend: 'batch-gpu' });
    expect(gpu.backend).toBe('batch-gpu');
    const h264 = gpu.encodeArgs(task(rung()), '/out/j/a.mp4');
    expect(valueOf(h264, '-c:v')).toBe('h264_nvenc');
    expect(valueOf(h264, '-preset')).toBe('p6');
    expect(h264).not.toContain('libx264');
    const hevc = gpu.encodeArgs(task(rung({ id: '2160p-hevc', codec: 'hevc', width: 3840, height: 2160, profile: 'main' })), '/out/j/b.mp4');
    expect(valueOf(hevc, '-c:v')).toBe('hevc_nvenc');
    expect(hevc.at(-1)).toBe('/out/j/b.mp4');
  });

  it('keeps VP9 and AV1 rungs on the CPU encoders (NVENC cannot produce them) and is CPU-only by default', () => {
    const gpu = new LocalFfmpegEncoder({ hardware: 'nvenc' });
    expect(valueOf(gpu.encodeArgs(task(rung({ id: '1080p-vp9', codec: 'vp9', profile: '0' })), '/o.mp4'), '-c:v')).toBe('libvpx-vp9');
    expect(valueOf(gpu.encodeArgs(task(rung({ id: '1080p-av1', codec: 'av1', profile: 'main' })), '/o.mp4'), '-c:v')).toBe('libaom-av1');
    const cpu = new LocalFfmpegEncoder();
    expect(cpu.backend).toBe('local');
    expect(valueOf(cpu.encodeArgs(task(rung()), '/o.mp4'), '-c:v')).toBe('libx264');
    expect(valueOf(cpu.encodeArgs(task(rung({ codec: 'hevc', profile: 'main' })), '/o.mp4'), '-c:v')).toBe('libx265');
  });
});
