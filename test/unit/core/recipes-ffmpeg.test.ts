import { describe, expect, it } from 'vitest';
import { chooseRecipe } from '../../../lib/core/recipes';
import { gopFrames, renderFfmpegArgs, UnsupportedEncoderError, x264PerceptualArgs } from '../../../lib/core/recipes/ffmpeg';
import type { Rendition, ValueScore } from '../../../lib/core/types';
import { leversFor } from '../../../lib/core/value';
import { aProfile } from '../../helpers/factories';

const value: ValueScore = { score: 95, tier: 'critical', components: {}, levers: leversFor('critical', 95), policyVersion: 't' };
const recipe = chooseRecipe({ jobId: 'j', profile: aProfile({ contentClass: 'animation' }, { fps: 30 }), value, formats: ['abr'], codecs: ['hevc', 'vp9', 'av1'] });
const of = (codec: Rendition['codec']) => recipe.ladder.find((r) => r.codec === codec && r.height >= 360)!;
const mp4 = { kind: 'mp4' as const, path: '/out/x.mp4' };
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('renderFfmpegArgs', () => {
  it('renders capped-CRF x264 with the recipe tune, fixed closed GOPs and forced keyframes, output last', () => {
    const r = of('h264');
    const args = renderFfmpegArgs({ source: '/in/a.mp4', rendition: r, audio: recipe.audio, output: mp4, threads: 2 });
    expect(argAfter(args, '-c:v')).toBe('libx264');
    expect(argAfter(args, '-crf')).toBe(String(r.crf));
    expect(argAfter(args, '-maxrate')).toBe(`${r.maxBitrateKbps}k`);
    expect(argAfter(args, '-bufsize')).toBe(`${r.bufferKbits}k`);
    expect(argAfter(args, '-tune')).toBe('animation');
    expect(argAfter(args, '-g')).toBe('60');
    expect(argAfter(args, '-keyint_min')).toBe('60');
    expect(argAfter(args, '-sc_threshold')).toBe('0');
    expect(argAfter(args, '-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(argAfter(args, '-vf')).toBe(`scale=${r.width}:${r.height}:flags=bicubic,format=yuv420p`);
    expect(argAfter(args, '-threads')).toBe('2');
    expect(argAfter(args, '-c:a')).toBe('aac');
    expect(args.at(-1)).toBe('/out/x.mp4');
  });

  it('turns psy-rd off and lowers AQ strength for x264 rungs except texture-keeping tunes (film, grain)', () => {
    const h264 = of('h264');
    const animated = renderFfmpegArgs({ source: '/in/a.mp4', rendition: h264, audio: null, output: mp4 });
    expect(argAfter(animated, '-psy')).toBe('0');
    expect(argAfter(animated, '-aq-strength')).toBe('0.3');
    // The flags follow -tune, so they override the tune's own psy/AQ defaults.
    expect(animated.indexOf('-psy')).toBeGreaterThan(animated.indexOf('-tune'));
    for (const tune of ['film', 'grain']) {
      const args = renderFfmpegArgs({ source: '/in/a.mp4', rendition: { ...h264, tune }, audio: null, output: mp4 });
      expect(args).not.toContain('-psy');
      expect(args).not.toContain('-aq-strength');
      expect(argAfter(args, '-tune')).toBe(tune);
    }
    expect(x264PerceptualArgs(undefined)).toEqual(['-psy', '0', '-aq-strength', '0.3']);
    expect(renderFfmpegArgs({ source: '/in/a.mp4', rendition: of('hevc'), audio: null, output: mp4 })).not.toContain('-psy');
  });

  it('renders x265 with keyframe params in -x265-params and hvc1 tagging, dropping tunes x265 lacks', () => {
    const r = { ...of('hevc'), tune: 'stillimage' };
    const args = renderFfmpegArgs({ source: '/in/a.mp4', rendition: r, audio: null, output: mp4 });
    expect(argAfter(args, '-c:v')).toBe('libx265');
    expect(argAfter(args, '-x265-params')).toBe('keyint=60:min-keyint=60:scenecut=0:open-gop=0:log-level=error');
    expect(args).not.toContain('-tune');
    expect(argAfter(args, '-tag:v')).toBe('hvc1');
    expect(args).toContain('-an');
    expect(renderFfmpegArgs({ source: 's', rendition: { ...r, tune: 'grain' }, audio: null, output: mp4 })).toContain('grain');
  });

  it('renders VP9 and AV1 as constrained quality with the peak as ceiling and a speed from the preset', () => {
    const vp9 = renderFfmpegArgs({ source: 's', rendition: of('vp9'), audio: null, output: mp4 });
    expect(argAfter(vp9, '-c:v')).toBe('libvpx-vp9');
    expect(argAfter(vp9, '-b:v')).toBe(`${of('vp9').maxBitrateKbps}k`);
    expect(argAfter(vp9, '-cpu-used')).toBe('2'); // critical → slow
    const av1 = renderFfmpegArgs({ source: 's', rendition: of('av1'), audio: null, output: mp4 });
    expect(argAfter(av1, '-c:v')).toBe('libaom-av1');
    expect(argAfter(av1, '-cpu-used')).toBe('4');
  });

  it('renders NVENC variants for the GPU worker and refuses codecs NVENC cannot encode', () => {
    const h = renderFfmpegArgs({ source: 's', rendition: of('h264'), audio: null, output: mp4, accelerator: 'nvenc' });
    expect(argAfter(h, '-c:v')).toBe('h264_nvenc');
    expect(argAfter(h, '-preset')).toBe('p6');
    expect(argAfter(h, '-rc')).toBe('vbr');
    expect(argAfter(h, '-cq')).toBe(String(of('h264').crf));
    expect(argAfter(h, '-g')).toBe('60');
    expect(argAfter(h, '-no-scenecut')).toBe('1');
    const hevc = renderFfmpegArgs({ source: 's', rendition: of('hevc'), audio: null, output: mp4, accelerator: 'nvenc' });
    expect(argAfter(hevc, '-c:v')).toBe('hevc_nvenc');
    expect(() => renderFfmpegArgs({ source: 's', rendition: of('vp9'), audio: null, output: mp4, accelerator: 'nvenc' })).toThrow(UnsupportedEncoderError);
  });

  it('renders HLS (fMP4/CMAF segments when asked), raw-stream input rate, trims, deinterlace, loudness and 10-bit', () => {
    const r = { ...of('hevc'), profile: 'main10' };
    const audio = { ...recipe.audio!, loudnessTarget: -16 };
    const args = renderFfmpegArgs({
      source: '/in/a.h264',
      rendition: r,
      audio,
      inputArgs: ['-r', '30'],
      durationSec: 4,
      deinterlace: true,
      output: { kind: 'hls', playlistPath: '/o/p.m3u8', segmentPattern: '/o/s%03d.m4s', segmentSeconds: 6, fmp4: true },
    });
    expect(args.slice(3, 7)).toEqual(['-r', '30', '-i', '/in/a.h264']);
    expect(argAfter(args, '-t')).toBe('4');
    expect(argAfter(args, '-vf')).toBe(`yadif,scale=${r.width}:${r.height}:flags=bicubic,format=yuv420p10le`);
    expect(argAfter(args, '-af')).toBe('loudnorm=I=-16:TP=-1.5:LRA=11');
    expect(argAfter(args, '-hls_segment_type')).toBe('fmp4');
    expect(argAfter(args, '-hls_time')).toBe('6');
    expect(args.at(-1)).toBe('/o/p.m3u8');
  });

  it('computes the same GOP in frames for every rung of a ladder', () => {
    expect(new Set(recipe.ladder.map(gopFrames))).toEqual(new Set([60]));
    expect(gopFrames({ gopSeconds: 2, fps: 29.97 })).toBe(60);
  });
});
