import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RejectedInputError } from '../../../lib/core/errors';
import type { ContentProfile, SourceInfo } from '../../../lib/core/types';
import { samplingPlan } from '../../../lib/core/analysis/sampling';
import { FfmpegContentAnalyzer, overviewLuma, PROBE_X264_PARAMS, probeEncodeSeconds, samplingArgs } from '../../../lib/media/analyze';
import { ffmpegPath } from '../../../lib/media/binaries';
import { captureRun, FrameAssembler } from '../../../lib/media/frames';
import { FfprobeProber } from '../../../lib/media/probe';
import { synthesizeClip, type SynthKind } from '../../../lib/media/synth';
import type { Prober } from '../../../lib/ports';
import { aSource } from '../../helpers/factories';

const dir = mkdtempSync(join(tmpdir(), 'marquee-analyze-'));
const CLIPS = join(import.meta.dirname, '../../../../shared/clips');
const analyzer = new FfmpegContentAnalyzer({ timeoutMs: 60_000 });
const profiles = new Map<string, ContentProfile>();
const clips: [SynthKind, 'speech' | 'music' | 'none'][] = [
  ['static', 'none'],
  ['motion', 'music'],
  ['talking', 'speech'],
  ['animation', 'music'],
  ['noisy', 'none'],
];

/** Kinds whose features used to move with the resolution (noise, motion, stillness), also made at 640×360. */
const larger: SynthKind[] = ['noisy', 'motion', 'talking', 'static'];

beforeAll(async () => {
  for (const [kind, audio] of clips) {
    const path = join(dir, `${kind}.mp4`);
    await synthesizeClip(kind, path, { width: 320, height: 180, durationSec: 4, audio });
    profiles.set(kind, await analyzer.analyze(path));
  }
  for (const kind of larger) {
    const path = join(dir, `${kind}-640.mp4`);
    const audio = clips.find(([k]) => k === kind)![1];
    await synthesizeClip(kind, path, { width: 640, height: 360, durationSec: 3, audio });
    profiles.set(`${kind}-640`, await analyzer.analyze(path));
  }
}, 180_000);

const p = (kind: string): ContentProfile => profiles.get(kind)!;

describe('FfmpegContentAnalyzer on clips of known content', () => {
  it('scores a still picture as less complex than fast motion on every measure', () => {
    const still = p('static').complexity;
    const moving = p('motion').complexity;
    expect(still.temporalInfo).toBeLessThan(1);
    expect(moving.temporalInfo).toBeGreaterThan(10);
    expect(still.probeBitsPerPixel).toBeLessThan(moving.probeBitsPerPixel / 5);
    expect(p('static').difficulty).toBeLessThan(p('motion').difficulty);
  });

  it.each([
    ['static', 'static'],
    ['motion', 'high-motion'],
    ['talking', 'talking-head'],
    ['animation', 'animation'],
    ['noisy', 'film-grain'],
  ])('classes the synthetic %s clip as %s', (kind, expected) => {
    expect(p(kind).contentClass).toBe(expected);
  });

  it.each(larger.map((k) => [k] as const))('classes the synthetic %s clip the same at 640×360 as at 320×180', (kind) => {
    expect(p(`${kind}-640`).contentClass).toBe(p(kind).contentClass);
  });

  it('measures motion and noise on scales that do not move with the resolution', () => {
    for (const kind of ['noisy', 'motion'] as const) {
      const small = p(kind).complexity;
      const big = p(`${kind}-640`).complexity;
      expect(Math.abs(big.noiseSigma! - small.noiseSigma!)).toBeLessThan(0.25 * small.noiseSigma!);
      expect(Math.abs(big.overviewTemporalInfo! - small.overviewTemporalInfo!)).toBeLessThan(0.25 * small.overviewTemporalInfo!);
    }
    expect(p('static').complexity).toMatchObject({ stillPairShare: 1, sceneCutsPerMinute: 0, cutScanShare: 1 });
    expect(p('motion').complexity.stillPairShare).toBe(0);
  });

  it('tells speech from music and measures loudness and channels', () => {
    expect(p('talking').audio).toMatchObject({ kind: 'speech', channels: 1 });
    expect(p('motion').audio).toMatchObject({ kind: 'music', channels: 1 });
    expect(p('static').audio).toEqual({ kind: 'none', channels: 0 });
    expect(p('talking').audio.loudnessLufs).toBeLessThan(-10);
    expect(p('talking').audio.loudnessLufs).toBeGreaterThan(-40);
  });

  it('fills the whole profile: sampled share, probe speed and source facts', () => {
    const prof = p('motion');
    expect(prof.source).toMatchObject({ width: 320, height: 180, fps: 25 });
    expect(prof.complexity.sampledShare).toBeGreaterThan(0.05);
    expect(prof.complexity.sampledShare).toBeLessThanOrEqual(1);
    expect(prof.complexity.probeFps).toBeGreaterThan(0);
    expect(prof.complexity.probeSecondsPerSecond).toBeCloseTo(25 / prof.complexity.probeFps, 2);
    expect(prof.complexity.sampledFrames).toBeGreaterThan(10);
    expect(prof.analysisWallMs).toBeGreaterThan(0);
  });

  it('samples a long title by seeking, scanning 10 s + 5% of the rest around the windows, with colour and audio intact', async () => {
    const path = join(dir, 'long.mp4');
    await synthesizeClip('animation', path, { width: 192, height: 108, durationSec: 40, audio: 'speech' });
    const prof = await analyzer.analyze(path);
    expect(prof.complexity.cutScanShare).toBeGreaterThan(0.2);
    expect(prof.complexity.cutScanShare).toBeLessThan(0.35); // 10.5 s of 40
    expect(prof.complexity.sampledShare).toBeCloseTo(0.1, 1);
    // every branch of the shared split keeps the source's chroma (a gray branch once leaked into all)
    expect(prof.complexity.saturation).toBeGreaterThan(50);
    expect(prof.complexity.sceneCutsPerMinute).toBe(0);
    expect(prof.audio.kind).toBe('speech');
  }, 60_000);

  it('probes with exactly the x264 options of dataset configuration 1', () => {
    expect(PROBE_X264_PARAMS).toBe(
      'cabac=0:ref=1:deblock=0:analyse=none:me=dia:subme=0:mixed-refs=0:merange=16:trellis=0:8x8dct=0:fast-pskip=1:chroma-qp-offset=0:bframes=0:weightp=0:scenecut=0:mbtree=0:qpmax=69:aq-mode=0',
    );
    expect(probeEncodeSeconds('bench: 10 user 0 sys 1500 real encode_video 0.0 \nbench: 1 user 0 sys 500 real flush_video 0.0 \nbench: 1 user 0 sys 900 real encode_video 1.0 ')).toBeCloseTo(0.002, 6);
    expect(probeEncodeSeconds('nothing')).toBeUndefined();
  });
});

describe('overview filter chain', () => {
  it('area-scales only the luma plane of YUV and leaves the range stretch to the level map', () => {
    const limited = overviewLuma(aSource({ pixelFormat: 'yuv420p', width: 1280, height: 720 }), 256, 144);
    expect(limited.filters).toBe('extractplanes=y,scale=256:144:flags=area,format=gray');
    expect(limited.levels?.[235]).toBe(255);
    expect(overviewLuma(aSource({ pixelFormat: 'yuvj420p', width: 1280, height: 720 }), 256, 144).levels).toBeUndefined();
    expect(overviewLuma(aSource({ pixelFormat: 'yuv420p10le', colorRange: 'pc', width: 1280, height: 720 }), 256, 144).levels).toBeUndefined();
  });

  it('keeps the plain gray conversion for RGB and for a source already at the overview size', () => {
    expect(overviewLuma(aSource({ pixelFormat: 'rgb24', width: 1280, height: 720 }), 256, 144)).toEqual({ filters: 'scale=256:144:flags=area,format=gray' });
    expect(overviewLuma(aSource({ pixelFormat: 'yuv420p', width: 176, height: 144 }), 176, 144).levels).toBeUndefined();
  });
});

describe('sampling run after a seek', () => {
  it('hands each decoded frame to the overview once when a stretch starts between two frames', async () => {
    // 25 fps: a stretch from 1.167 s keeps its first frame at 1.2 s, a gap of 0.8 frame that a
    // constant-rate muxer fills with a copy of that frame, which then reads as a still pair
    const path = join(dir, 'seek-gap.mp4');
    await synthesizeClip('animation', path, { width: 160, height: 90, durationSec: 4 });
    const probed = await new FfprobeProber().probe(path);
    const source = { ...probed, durationSec: 40 }; // a long title: one seek per stretch
    const plan = { ...samplingPlan(source), windows: [1.467, 2.833].map((startSec) => ({ startSec, durationSec: 0.4 })), overview: [1.167, 2.533].map((startSec) => ({ startSec, durationSec: 1 })), audio: null };
    const run = samplingArgs(path, source, plan, false);
    const res = await captureRun(ffmpegPath(), run.args, { timeoutMs: 60_000, extraPipes: run.windowFds.length + run.overviewFds.length + run.cropFds.length, maxBytesPerPipe: 64 << 20 });
    const bytes = plan.overviewWidth * plan.overviewHeight;
    for (const fd of run.overviewFds) {
      const overview = res.pipes[fd - 2]!;
      const frames = Array.from({ length: Math.floor(overview.length / bytes) }, (_, i) => overview.subarray(i * bytes, (i + 1) * bytes));
      expect(frames).toHaveLength(25);
      // testsrc2 moves every frame: no two consecutive frames are equal
      frames.slice(1).forEach((f, i) => expect(Buffer.compare(f, frames[i]!)).not.toBe(0));
    }
  });
});

describe('FrameAssembler', () => {
  it('cuts a byte stream into whole frames across chunk boundaries and holds a partial tail', () => {
    const frames: number[][] = [];
    const asm = new FrameAssembler(4, (f) => frames.push([...f]));
    asm.push(Buffer.from([1, 2, 3]));
    asm.push(Buffer.from([4, 5, 6, 7, 8, 9, 10]));
    expect(frames).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    asm.push(Buffer.from([11, 12]));
    expect(frames).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  });

  it('assembles a frame that spans several chunks', () => {
    const frames: number[][] = [];
    const asm = new FrameAssembler(5, (f) => frames.push([...f]));
    for (const b of [[1], [2, 3], [4], [5, 6]]) asm.push(Buffer.from(b));
    expect(frames).toEqual([[1, 2, 3, 4, 5]]);
  });
});

describe('FfmpegContentAnalyzer on hostile input', () => {
  const lying = (source: SourceInfo): Prober => ({ probe: async () => source });

  it('rejects absurd header values from any prober before decoding', async () => {
    const a = new FfmpegContentAnalyzer({ prober: lying(aSource({ width: 100_000, height: 100_000 })), ffmpeg: '/nonexistent/ffmpeg' });
    await expect(a.analyze(join(dir, 'static.mp4'))).rejects.toThrow(/100000x100000/);
  });

  it('kills a sampling run that does not finish and rejects the file', async () => {
    // A header claiming 30 fps over a 2-minute title, on a decoder that never ends (a sleeping stand-in).
    const script = join(dir, 'slow-ffmpeg.sh');
    const { writeFileSync, chmodSync } = await import('node:fs');
    writeFileSync(script, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(script, 0o755);
    const a = new FfmpegContentAnalyzer({ prober: lying(aSource({ durationSec: 120 })), ffmpeg: script, timeoutMs: 300 });
    const started = performance.now();
    await expect(a.analyze(join(dir, 'static.mp4'))).rejects.toThrow(RejectedInputError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects a file whose frames cannot be decoded', async () => {
    const { writeFileSync } = await import('node:fs');
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    const a = new FfmpegContentAnalyzer({ prober: lying(aSource({ durationSec: 4, width: 320, height: 180, fps: 25, audio: null })) });
    await expect(a.analyze(junk)).rejects.toThrow(RejectedInputError);
  });
});

describe.skipIf(!existsSync(CLIPS))('FfmpegContentAnalyzer on the shared real clips', () => {
  const real = async (name: string) => analyzer.analyze(join(CLIPS, name));

  it.skipIf(!existsSync(join(CLIPS, 'screen_pdf_1024x768_50f.mp4')))('tells the screen recording apart from camera footage', async () => {
    const screen = await real('screen_pdf_1024x768_50f.mp4');
    expect(screen.contentClass).toBe('screen');
    for (const camera of ['foreman_cif_352x288_299f.mp4', 'bikes_640x272_motion_scenecuts.mp4']) {
      if (!existsSync(join(CLIPS, camera))) continue;
      const prof = await real(camera);
      expect(prof.contentClass).not.toBe('screen');
      expect(prof.contentClass).not.toBe('animation');
      expect(prof.complexity.dominantLevelShare!).toBeLessThan(screen.complexity.dominantLevelShare! / 3);
    }
  });

  it.skipIf(!existsSync(join(CLIPS, 'bigbuckbunny_720p_animation.mp4')))('tells the animation apart from camera footage', async () => {
    expect((await real('bigbuckbunny_720p_animation.mp4')).contentClass).toBe('animation');
    if (existsSync(join(CLIPS, 'foreman_cif_352x288_299f.mp4'))) expect((await real('foreman_cif_352x288_299f.mp4')).contentClass).not.toBe('animation');
  });

  it.skipIf(!existsSync(join(CLIPS, 'bikes_640x272_motion_scenecuts.mp4')))('finds the scene cuts of the clip that has them, and none in single shots', async () => {
    // bikes: 10 s with 5 visible cuts (frames 30, 76, 137, 187, 242); its manifest is the only one that lists cuts
    const bikes = await real('bikes_640x272_motion_scenecuts.mp4');
    expect(bikes.complexity.cutScanShare).toBe(1);
    expect(bikes.complexity.sceneCutsPerMinute).toBeGreaterThanOrEqual(24);
    expect(bikes.complexity.sceneCutsPerMinute).toBeLessThanOrEqual(36);
    expect(bikes.contentClass).toBe('high-motion');
    for (const single of ['foreman_cif_352x288_299f.mp4', 'carphone_qcif_talkinghead.mp4']) {
      if (existsSync(join(CLIPS, single))) expect((await real(single)).complexity.sceneCutsPerMinute).toBe(0);
    }
  });

  it.skipIf(!existsSync(join(CLIPS, 'carphone_qcif_talkinghead.mp4')))('recognises the talking head of Carphone without any audio', async () => {
    const carphone = await real('carphone_qcif_talkinghead.mp4');
    expect(carphone.audio.kind).toBe('none');
    expect(carphone.contentClass).toBe('talking-head');
    expect(carphone.complexity.centreMotionConcentration).toBeGreaterThan(1.35);
  });

  it.skipIf(!existsSync(join(CLIPS, 'flower_720p_300f.h264')))('analyses a raw Annex-B stream at its own frame rate', async () => {
    const prof = await real('flower_720p_300f.h264');
    expect(prof.source.fps).toBe(30);
    expect(prof.complexity.sampledFrames).toBeGreaterThan(20);
    expect(prof.complexity.probeBitsPerPixel).toBeGreaterThan(0);
  });
});
