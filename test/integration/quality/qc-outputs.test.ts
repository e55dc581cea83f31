import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRecipe } from '../../../lib/core/recipes';
import { renderFfmpegArgs } from '../../../lib/core/recipes/ffmpeg';
import type { Recipe, RenditionResult } from '../../../lib/core/types';
import { leversFor } from '../../../lib/core/value';
import { ffmpegPath } from '../../../lib/media/binaries';
import { checkHlsPlaylist, keyframeTimes, probeOutput, renditionFacts, verifyRenditions } from '../../../lib/media/output-checks';
import { run } from '../../../lib/media/process';
import { FfmpegQualityMeter } from '../../../lib/media/quality';
import { synthesizeClip } from '../../../lib/media/synth';
import { aProfile } from '../../helpers/factories';

describe('output checks and QC on real encodes', () => {
  let dir: string;
  let source: string;
  let recipe: Recipe;
  const results: RenditionResult[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'marquee-qc-'));
    source = join(dir, 'src.mp4');
    await synthesizeClip('animation', source, { width: 640, height: 360, durationSec: 4, fps: 25, audio: 'music' });
    const profile = aProfile({}, { width: 640, height: 360, fps: 25, durationSec: 4 });
    recipe = chooseRecipe({ jobId: 'qc', profile, value: { score: 70, tier: 'premium', components: {}, levers: leversFor('premium', 70), policyVersion: 't' }, formats: ['abr'], preset: 'ultrafast' });
    expect(recipe.ladder.length).toBeGreaterThanOrEqual(2);
    for (const r of recipe.ladder.slice(-2)) {
      const out = join(dir, `${r.id}.mp4`);
      await run(ffmpegPath(), renderFfmpegArgs({ source, rendition: r, audio: recipe.audio, output: { kind: 'mp4', path: out } }), { timeoutMs: 60_000 });
      results.push({ renditionId: r.id, status: 'done', outputs: [out] });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes renditions encoded from the recipe: streams, duration, size and aligned keyframes', async () => {
    const ladder = recipe.ladder.slice(-2);
    const { verdict, results: measured } = await verifyRenditions(source, recipe, ladder, results, { meter: new FfmpegQualityMeter({ disableVmaf: true }), width: 640, height: 360, sourceDurationSec: 4, sourceHasAudio: true });
    expect(verdict.reason).toBe('QC passed (2 renditions)');
    expect(measured.every((r) => r.quality && r.quality.psnr > 25)).toBe(true);
    const keys = await keyframeTimes(results[0]!.outputs[0]!);
    expect(keys).toEqual([0, 2]);
    expect(await probeOutput(results[0]!.outputs[0]!)).toMatchObject({ hasVideo: true, hasAudio: true });
  });

  it('fails a deliberately bad rendition (crf 51, tiny bitrate) with the rendition and its floor in the reason', async () => {
    const top = recipe.ladder.at(-1)!;
    const bad = { ...top, crf: 51, maxBitrateKbps: 8, bufferKbits: 16 };
    const out = join(dir, 'bad.mp4');
    await run(ffmpegPath(), renderFfmpegArgs({ source, rendition: bad, audio: recipe.audio, output: { kind: 'mp4', path: out } }), { timeoutMs: 60_000 });
    const { verdict } = await verifyRenditions(source, recipe, [top], [{ renditionId: top.id, status: 'done', outputs: [out] }], { meter: new FfmpegQualityMeter({ disableVmaf: true }), width: 640, height: 360, sourceDurationSec: 4, sourceHasAudio: true });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures[0]).toMatchObject({ renditionId: top.id, check: 'psnr-floor' });
    expect(verdict.reason).toMatch(new RegExp(`${top.id}: PSNR [\\d.]+ dB is below its floor`));
  });

  it('fails an output whose keyframes are not aligned with the ladder (scene-cut keyframes, other GOP)', async () => {
    const r = recipe.ladder.at(-1)!;
    const out = join(dir, 'misaligned.mp4');
    await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-y', '-i', source, '-vf', `scale=${r.width}:${r.height}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'aac', out], { timeoutMs: 60_000 });
    const facts = [await renditionFacts(results[0]!.renditionId, results[0]!.outputs), await renditionFacts(r.id, [out])];
    expect(facts[1]!.keyframeTimes).toEqual([0, 1.2, 2.4, 3.6]);
    const { evaluateQc } = await import('../../../lib/core/qc');
    const v = evaluateQc({ recipe, ladder: recipe.ladder.slice(-2), results, facts: [facts[0]!, { ...facts[1]!, renditionId: results[1]!.renditionId }] });
    expect(v.failures.map((f) => f.check)).toContain('keyframe-alignment');
  });

  it('validates an HLS playlist on disk, including its segments', async () => {
    const hls = join(dir, 'hls');
    mkdirSync(hls);
    const r = recipe.ladder[0]!;
    await run(ffmpegPath(), renderFfmpegArgs({ source, rendition: r, audio: null, output: { kind: 'hls', playlistPath: join(hls, 'index.m3u8'), segmentPattern: join(hls, 's%03d.ts'), segmentSeconds: 2 } }), { timeoutMs: 60_000 });
    expect(checkHlsPlaylist(join(hls, 'index.m3u8'))).toEqual({ valid: true, errors: [] });
    rmSync(join(hls, 's001.ts'));
    expect(checkHlsPlaylist(join(hls, 'index.m3u8')).errors).toEqual(['segment s001.ts is missing']);
    writeFileSync(join(hls, 'broken.m3u8'), '#EXTM3U\n');
    expect(checkHlsPlaylist(join(hls, 'broken.m3u8')).valid).toBe(false);
    expect(checkHlsPlaylist(join(hls, 'nope.m3u8')).errors[0]).toMatch(/does not exist/);
    const facts = await renditionFacts(r.id, [join(hls, 'index.m3u8')]);
    expect(facts.playlist!.valid).toBe(false);
  });
});
