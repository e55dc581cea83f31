import { describe, expect, it } from 'vitest';
import {
  CLASS_RULE,
  DEFAULT_SOURCE_LIMITS,
  audioKindOf,
  audioSignalStats,
  bitDepthOf,
  classifyContent,
  difficultyOf,
  differenceSd,
  frameFeatures,
  histogramDistance,
  lumaHistogram,
  meanSaturation,
  noiseSigma,
  parseEbur128Summary,
  parseRational,
  rejectionReason,
  rotationOf,
  samplingPlan,
  sobelStats,
  sourceInfoFromProbe,
  splitFrames,
} from '../../../lib/core/analysis';
import type { AudioFeatures } from '../../../lib/core/types';
import { seededRng } from '../../../lib/core/rng';
import { aComplexity, aSource } from '../../helpers/factories';
import { FRAME_H, FRAME_W, grayFrame } from '../../helpers/frames';

const W = FRAME_W;
const H = FRAME_H;
const frame = grayFrame;
const noAudio: AudioFeatures = { kind: 'none', channels: 0 };
const speech: AudioFeatures = { kind: 'speech', channels: 2 };

describe('rejectionReason', () => {
  it('accepts an ordinary HD source', () => {
    expect(rejectionReason(aSource())).toBeNull();
  });

  it.each([
    [{ width: 100_000, height: 100_000 }, /100000x100000 exceeds/],
    [{ width: 8192, height: 8192 }, /exceeds/], // within each side, over the pixel budget
    [{ width: 0, height: 0 }, /no decodable video/],
    [{ width: Number.NaN }, /no decodable video/],
    [{ width: 8, height: 8 }, /below 16x16/],
    [{ fps: 0 }, /frame rate 0 fps is outside/],
    [{ fps: Number.POSITIVE_INFINITY }, /frame rate Infinity/],
    [{ fps: 1000 }, /frame rate 1000 fps/],
    [{ durationSec: 10 * 86_400 }, /duration 864000 s exceeds/],
    [{ durationSec: 0 }, /duration is zero or unknown/],
    [{ durationSec: Number.NaN }, /duration is zero or unknown/],
  ])('rejects %j before any decode', (over, why) => {
    expect(rejectionReason(aSource(over))).toMatch(why);
  });

  it('honours custom limits', () => {
    expect(rejectionReason(aSource({ durationSec: 120 }), { ...DEFAULT_SOURCE_LIMITS, maxDurationSec: 60 })).toMatch(/exceeds the limit of 60 s/);
  });
});

describe('sourceInfoFromProbe', () => {
  const video = {
    codec_type: 'video',
    codec_name: 'hevc',
    width: 3840,
    height: 2160,
    pix_fmt: 'yuv420p10le',
    r_frame_rate: '60000/1001',
    avg_frame_rate: '60000/1001',
    color_transfer: 'smpte2084',
    color_primaries: 'bt2020',
    color_range: 'tv',
    field_order: 'progressive',
    bit_rate: '20000000',
    duration: '10.0',
    nb_frames: '599',
  };
  const audio = { codec_type: 'audio', codec_name: 'eac3', channels: 6, channel_layout: '5.1(side)', sample_rate: '48000', bit_rate: '640000' };
  const format = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.010000', size: '26000000', bit_rate: '20779220' };

  it('normalises an HDR10 HEVC 4K source with 5.1 audio', () => {
    const r = sourceInfoFromProbe({ streams: [video, audio], format });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.source).toMatchObject({
      width: 3840,
      height: 2160,
      videoCodec: 'hevc',
      bitDepth: 10,
      hdr: true,
      colorTransfer: 'smpte2084',
      colorPrimaries: 'bt2020',
      colorRange: 'tv',
      interlaced: false,
      rotation: 0,
      frameCount: 599,
      sizeBytes: 26_000_000,
      bitrateKbps: 20779,
      audio: { codec: 'eac3', channels: 6, channelLayout: '5.1(side)', sampleRate: 48000 },
    });
    expect(r.source.fps).toBeCloseTo(59.94, 2);
    expect(r.source.durationSec).toBeCloseTo(10.01, 3);
  });

  it('recognises HLG, interlacing, and a phone video rotated by its display matrix', () => {
    const r = sourceInfoFromProbe({
      streams: [{ ...video, width: 1920, height: 1080, color_transfer: 'arib-std-b67', field_order: 'tt', side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }],
      format,
    });
    expect(r.ok && r.source).toMatchObject({ hdr: true, interlaced: true, rotation: 90, width: 1080, height: 1920 });
  });

  it('reads the legacy rotate tag and prefers the average frame rate of variable-rate video', () => {
    const r = sourceInfoFromProbe({ streams: [{ ...video, tags: { rotate: '180' }, r_frame_rate: '90000/1', avg_frame_rate: '30/1' }], format });
    expect(r.ok && r.source).toMatchObject({ rotation: 180, fps: 30 });
  });

  it('halves the VUI tick rate of a raw H.264 stream and takes its duration from the packet count', () => {
    const r = sourceInfoFromProbe({ streams: [{ ...video, codec_name: 'h264', pix_fmt: 'yuv420p', r_frame_rate: '60/1', avg_frame_rate: '25/1', nb_read_packets: '300', bit_rate: undefined, duration: undefined }], format: { format_name: 'h264', size: '3000000' } });
    expect(r.ok && r.source).toMatchObject({ fps: 30, durationSec: 10, frameCount: 300, container: 'h264', bitDepth: 8 });
    expect(r.ok && r.raw).toBe(true);
  });

  it('falls back to the configured rate for a raw stream without timing', () => {
    const r = sourceInfoFromProbe({ streams: [{ ...video, codec_name: 'h264', r_frame_rate: '0/0', avg_frame_rate: '0/0', nb_read_packets: '50', bit_rate: undefined }], format: { format_name: 'h264' } }, { rawFps: 25, sizeBytes: 1000 });
    expect(r.ok && r.source).toMatchObject({ fps: 25, durationSec: 2, sizeBytes: 1000 });
  });

  it.each([
    [{ streams: [], format: { format_name: 'tty' } }, /not a media file: no audio or video streams/],
    [{ streams: [audio], format }, /no video stream: the file only has audio/],
    [{ streams: [{ ...video, disposition: { attached_pic: 1 } }, audio], format }, /no video stream/],
    [{ streams: [{ ...video, codec_name: 'cinepak_x' }], format }, /unsupported video codec "cinepak_x"/],
    [{ streams: [{ ...video, codec_name: undefined }], format }, /unsupported video codec "unknown"/],
    [{ streams: [video, audio], format: { ...format, size: '2000000' } }, /file is truncated/],
    ['not an object', /not a media file/],
    [{ streams: 'nope' }, /not a media file/],
  ])('explains why %j is unusable', (json, why) => {
    const r = sourceInfoFromProbe(json);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(why);
  });

  it('parses rationals and bit depths defensively', () => {
    expect(parseRational('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRational('25')).toBe(25);
    expect(parseRational('0/0')).toBe(0);
    expect(parseRational('x/y')).toBe(0);
    expect(parseRational(undefined)).toBe(0);
    expect(bitDepthOf('yuv420p')).toBe(8);
    expect(bitDepthOf('yuv422p10le')).toBe(10);
    expect(bitDepthOf('gray12le')).toBe(12);
    expect(bitDepthOf('nv12', 10)).toBe(10);
    expect(bitDepthOf(undefined)).toBe(8);
    expect(rotationOf({ side_data_list: [{ rotation: 90 }] })).toBe(270);
  });
});

describe('samplingPlan', () => {
  it('takes a short clip whole', () => {
    const p = samplingPlan(aSource({ durationSec: 2, width: 1920, height: 1080 }));
    expect(p.windows).toEqual([{ startSec: 0, durationSec: 2 }]);
    expect(p.sampledShare).toBe(1);
    expect([p.analysisWidth, p.analysisHeight]).toEqual([640, 360]);
  });

  it('spreads 3–5 short windows over the title and samples a shrinking share of longer titles', () => {
    const plans = [10, 60, 3600].map((d) => samplingPlan(aSource({ durationSec: d })));
    expect(plans.map((p) => p.windows.length)).toEqual([3, 4, 5]);
    expect(plans[0]!.sampledShare).toBeCloseTo(0.12, 2);
    expect(plans[2]!.sampledShare).toBeLessThan(0.01);
    for (const [i, p] of plans.entries()) {
      const d = [10, 60, 3600][i]!;
      for (const w of p.windows) expect(w.startSec + w.durationSec).toBeLessThanOrEqual(d + 1e-9);
      expect(p.windows[0]!.startSec).toBeGreaterThan(0);
    }
    expect(plans[2]!.audio).toEqual({ startSec: 360, durationSec: 20 });
  });

  it('never upscales and keeps the frame size even', () => {
    const p = samplingPlan(aSource({ width: 175, height: 143, durationSec: 4, audio: null }));
    expect([p.analysisWidth, p.analysisHeight]).toEqual([176, 144]);
    expect(p.audio).toBeNull();
  });
});

describe('frame features', () => {
  const rng = seededRng(7);
  const flat = frame(() => 128);
  const edges = frame((x) => (x < W / 2 ? 20 : 230));
  const ramp = frame((x) => x * 3);
  const noisy = () => frame(() => 128 + (rng.next() - 0.5) * 60);

  it('measures no spatial information in a flat picture and a lot across a hard edge', () => {
    expect(sobelStats(flat, W, H)).toEqual({ sd: 0, flatShare: 1 });
    const e = sobelStats(edges, W, H);
    expect(e.sd).toBeGreaterThan(100);
    expect(e.flatShare).toBeGreaterThan(0.9);
    expect(sobelStats(new Uint8Array(4), 2, 2)).toEqual({ sd: 0, flatShare: 1 });
  });

  it('estimates noise on noisy frames and not on gradients or edges', () => {
    expect(noiseSigma(ramp, W, H)).toBeLessThan(0.5);
    expect(noiseSigma(edges, W, H)).toBeLessThan(3);
    expect(noiseSigma(noisy(), W, H)).toBeGreaterThan(10);
    expect(noiseSigma(new Uint8Array(4), 2, 2)).toBe(0);
  });

  it('computes TI from frame differences, counts a scene cut and keeps it out of TI', () => {
    const shifted = frame((x) => (x < W / 2 + 4 ? 20 : 230));
    const dark = frame(() => 10);
    const f = frameFeatures([[edges, shifted, dark], [flat, flat]], W, H);
    expect(f.sceneCuts).toBe(1);
    expect(f.pairs).toBe(2);
    expect(f.frames).toBe(5);
    expect(f.tiMax).toBeCloseTo(differenceSd(edges, shifted), 6);
    expect(f.tiMean).toBeCloseTo(differenceSd(edges, shifted) / 2, 6);
    expect(f.siMax).toBeGreaterThan(f.siMean);
    expect(f.dominantLevelShare).toBeGreaterThan(0.5);
  });

  it('reports zeros for no frames', () => {
    expect(frameFeatures([], W, H)).toMatchObject({ siMax: 0, tiMax: 0, frames: 0, sceneCuts: 0, noiseSigma: 0 });
    expect(differenceSd(new Uint8Array(0), new Uint8Array(0))).toBe(0);
  });

  it('measures chroma saturation as the distance from neutral grey', () => {
    expect(meanSaturation(new Uint8Array([128, 128]), new Uint8Array([128, 128]))).toBe(0);
    expect(meanSaturation(new Uint8Array([128 + 30]), new Uint8Array([128 + 40]))).toBe(50);
    expect(meanSaturation(new Uint8Array(0), new Uint8Array(0))).toBe(0);
  });

  it('splits a byte stream into whole frames and drops a partial tail', () => {
    const buf = new Uint8Array(W * H * 2 + 10);
    expect(splitFrames(buf, W, H)).toHaveLength(2);
    expect(splitFrames(buf, 0, H)).toEqual([]);
  });

  it('histograms differ across a cut and not across noise', () => {
    expect(histogramDistance(lumaHistogram(flat), lumaHistogram(frame(() => 10)))).toBe(2);
    expect(histogramDistance(lumaHistogram(noisy()), lumaHistogram(noisy()))).toBeLessThan(0.2);
  });
});

describe('audio features', () => {
  const RATE = 8000;
  const pcm = (seconds: number, fn: (t: number) => number) => Int16Array.from({ length: seconds * RATE }, (_, i) => Math.round(fn(i / RATE) * 32767));

  it('hears a syllabic, pausing signal as speech', () => {
    const s = audioSignalStats(pcm(4, (t) => Math.max(0, Math.sin(2 * Math.PI * 3 * t)) * 0.5 * Math.sin(2 * Math.PI * 220 * t)), RATE);
    expect(s.lowEnergyRatio).toBeGreaterThan(0.3);
    expect(audioKindOf(s)).toBe('speech');
  });

  it('hears a sustained chord as music', () => {
    const s = audioSignalStats(pcm(4, (t) => 0.3 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 554 * t))), RATE);
    expect(s.lowEnergyRatio).toBeLessThan(0.1);
    expect(audioKindOf(s)).toBe('music');
  });

  it('hears near-digital silence and an empty track as silence', () => {
    expect(audioKindOf(audioSignalStats(pcm(2, (t) => 0.00001 * Math.sin(t)), RATE))).toBe('silence');
    const empty = audioSignalStats(new Int16Array(0), RATE);
    expect(empty.frames).toBe(0);
    expect(audioKindOf(empty)).toBe('silence');
  });

  it('reads integrated loudness from the ebur128 summary', () => {
    const stderr = '[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -23.4 LUFS\n    Threshold: -33.5 LUFS\n';
    expect(parseEbur128Summary(stderr)).toBe(-23.4);
    expect(parseEbur128Summary('no summary')).toBeUndefined();
    expect(parseEbur128Summary('Integrated loudness:\n I: -inf LUFS')).toBeUndefined();
  });
});

describe('classifyContent', () => {
  const c = aComplexity;
  it.each([
    ['static', c({ temporalInfoMean: 0.1, sceneCutsPerMinute: 0, flatShare: 0.9 }), noAudio],
    ['screen', c({ temporalInfoMean: 5, flatShare: 0.45, dominantLevelShare: 0.55, noiseSigma: 4 }), noAudio],
    ['animation', c({ temporalInfoMean: 16, flatShare: 0.85, dominantLevelShare: 0.1, noiseSigma: 0.8 }), noAudio],
    ['animation', c({ temporalInfoMean: 6, flatShare: 0.03, saturation: 25, noiseSigma: 1.1 }), speech],
    ['high-motion', c({ temporalInfoMean: 25, flatShare: 0.0, saturation: 25, noiseSigma: 6 }), noAudio],
    ['film-grain', c({ temporalInfoMean: 24, flatShare: 0.0002, noiseSigma: 12.5 }), noAudio],
    ['high-motion', c({ temporalInfoMean: 17, flatShare: 0.06, noiseSigma: 0.6 }), noAudio],
    ['high-motion', c({ temporalInfoMean: 3, sceneCutsPerMinute: 30, flatShare: 0.06 }), noAudio],
    ['talking-head', c({ temporalInfoMean: 1, flatShare: 0.17, noiseSigma: 3 }), speech],
    ['general', c({ temporalInfoMean: 6.7, flatShare: 0.01, noiseSigma: 1.2 }), noAudio],
  ] as const)('classes %s content', (expected, complexity, audio) => {
    expect(classifyContent(complexity, audio)).toBe(expected);
  });

  it('falls back to the P.910 maxima on profiles without the newer features', () => {
    expect(classifyContent(c({ temporalInfo: 0.2, sceneCutsPerMinute: 0 }), noAudio)).toBe('static');
    expect(classifyContent(c({ temporalInfo: CLASS_RULE.highMotionTi + 1 }), noAudio)).toBe('high-motion');
  });
});

describe('difficultyOf', () => {
  it('rises with the probe encode’s bits per pixel and with motion, within 0..1', () => {
    const easy = difficultyOf(aComplexity({ probeBitsPerPixel: 0.012, temporalInfoMean: 0 }));
    const mid = difficultyOf(aComplexity({ probeBitsPerPixel: 0.12, temporalInfoMean: 5 }));
    const hard = difficultyOf(aComplexity({ probeBitsPerPixel: 3, temporalInfoMean: 40 }));
    expect(easy).toBeLessThan(0.1);
    expect(mid).toBeGreaterThan(easy);
    expect(hard).toBe(1);
    expect(difficultyOf(aComplexity({ probeBitsPerPixel: Number.NaN }))).toBeGreaterThanOrEqual(0);
  });
});
