import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateQc } from '../../../lib/core/qc';
import { chooseRecipe } from '../../../lib/core/recipes';
import { renderFfmpegArgs } from '../../../lib/core/recipes/ffmpeg';
import type { Recipe, Rendition, RenditionResult } from '../../../lib/core/types';
import { leversFor } from '../../../lib/core/value';
import { ffmpegPath } from '../../../lib/media/binaries';
import { probeHeights, probeHull, sampleWindows } from '../../../lib/media/hull-probe';
import { run } from '../../../lib/media/process';
import { FfmpegQualityMeter } from '../../../lib/media/quality';
import { synthesizeClip } from '../../../lib/media/synth';
import { aProfile } from '../../helpers/factories';

const value = { score: 70, tier: 'premium' as const, components: {}, levers: leversFor('premium', 70), policyVersion: 't' };

describe('hull probe and QC on a grainy title (real trial encodes, PSNR/SSIM)', () => {
  let dir: string;
  let source: string;
  let recipe: Recipe;
  const meter = new FfmpegQualityMeter({ disableVmaf: true });
  const profile = aProfile({ contentClass: 'film-grain' }, { width: 640, height: 360, fps: 25, durationSec: 2 });

  const encodeAndMeasure = async (r: Rendition): Promise<RenditionResult> => {
    const out = join(dir, `${r.id}-crf${r.crf}.mp4`);
    await run(ffmpegPath(), renderFfmpegArgs({ source, rendition: r, audio: null, output: { kind: 'mp4', path: out } }), { timeoutMs: 60_000 });
    return { renditionId: r.id, status: 'done', outputs: [out], quality: await meter.measure(source, out, { width: 640, height: 360 }) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'marquee-grain-'));
    source = join(dir, 'grain.mp4');
    await synthesizeClip('noisy', source, { width: 640, height: 360, durationSec: 2, fps: 25 });
    const hull = await probeHull(source, profile, { disableVmaf: true, durationSec: 2, segmentSec: 1, crfs: [24, 34], trialPreset: 'ultrafast', targetPreset: 'veryfast' });
    recipe = chooseRecipe({ jobId: 'grain', profile, value, formats: ['abr'], preset: 'veryfast', measuredHull: hull });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures trial points at every probe height and picks the ladder from them', () => {
    expect(recipe.rationale[0]).toMatch(/^measured hull: \d+ trial encodes \(ultrafast/);
    expect(recipe.ladder.length).toBeGreaterThanOrEqual(2);
    for (const r of recipe.ladder) expect(r.qualityFloor?.ssim).toBeDefined();
  });

  it('passes the grainy ladder at its low rungs (SSIM floors relative to the measured hull), and fails a crf 51 rendition', async () => {
    const ladder = recipe.ladder.filter((r) => r.codec === 'h264');
    const low = ladder[0]!;
    const top = ladder.at(-1)!;
    const results = [await encodeAndMeasure(low), await encodeAndMeasure(top)];
    const due = [low, top];
    const verdict = evaluateQc({ recipe, ladder: due, results });
    expect(verdict.reason).toBe('QC passed (2 renditions)');
    // The same grainy low rung judged without the hull's floors still passes on the ladder-relative rule.
    const bare = due.map(({ qualityFloor: _f, ...r }) => r);
    expect(evaluateQc({ recipe: { ...recipe, ladder: bare }, ladder: bare, results }).reason).toBe('QC passed (2 renditions)');
    const bad = await encodeAndMeasure({ ...top, crf: 51, maxBitrateKbps: 8, bufferKbits: 16 });
    const v = evaluateQc({ recipe, ladder: due, results: [results[0]!, bad] });
    expect(v.passed).toBe(false);
    expect(v.failures.some((f) => f.renditionId === top.id)).toBe(true);
  }, 60_000);
});

describe('hull probe sampling', () => {
  it('probes the source height and steps at least 12 % apart down to a third of it, never above the source', () => {
    expect(probeHeights(720)).toEqual([720, 540, 432, 360, 288]);
    expect(probeHeights(272)).toEqual([272, 234, 180, 144]);
    expect(probeHeights(144)).toEqual([144]);
    expect(probeHeights(2160, 1080)[0]).toBe(1080);
  });
  it('spreads 3 windows over the title and samples a title shorter than them whole', () => {
    expect(sampleWindows(4)).toEqual([[0, 2], [2, 2]]);
    expect(sampleWindows(20)).toEqual([[2.333333333333333, 2], [9, 2], [15.666666666666668, 2]]);
    expect(sampleWindows(60, 2, 3)).toEqual([[9, 2], [29, 2], [49, 2]]);
    expect(sampleWindows(1)).toEqual([[0, 1]]);
  });
});
