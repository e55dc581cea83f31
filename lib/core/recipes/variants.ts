import type { RecipeVariant, Rendition } from '../types';

/** x264 presets from slowest to fastest, with wall-time relative to `medium` (x264 docs, typical). */
export const PRESET_SPEED: Record<string, number> = {
  veryslow: 0.25,
  slower: 0.4,
  slow: 0.65,
  medium: 1,
  fast: 1.25,
  faster: 1.6,
  veryfast: 2.6,
  superfast: 4,
  ultrafast: 6,
};

/** Mean VMAF lost vs `medium` at equal CRF/bitrate (negative = better). */
const PRESET_VMAF_COST: Record<string, number> = {
  veryslow: -1,
  slower: -0.8,
  slow: -0.5,
  medium: 0,
  fast: 0.3,
  faster: 0.8,
  veryfast: 2,
  superfast: 4,
  ultrafast: 7,
};

const speedOf = (preset: string): number => PRESET_SPEED[preset] ?? 1;
const costOf = (preset: string): number => PRESET_VMAF_COST[preset] ?? 0;

/** Encode work of a rung: pixels per second (the time predictor refines this). */
export const renditionWork = (r: Rendition): number => r.width * r.height * r.fps;

/**
 * The ladder of faster variants of a recipe, level 0 first. Deadline management switches to a
 * higher level when the predicted finish passes the deadline; each states its expected speed-up
 * (vs level 0) and its expected mean VMAF cost.
 */
export function buildVariants(ladder: readonly Rendition[], basePreset: string, passes: number): RecipeVariant[] {
  const variants: RecipeVariant[] = [
    { level: 0, name: 'full', description: `full quality: ${basePreset}, ${passes} pass(es)`, expectedSpeedup: 1, qualityCostVmaf: 0, accelerated: false, deferredRenditionIds: [], passes },
  ];
  const base = speedOf(basePreset);
  let level = 1;
  if (passes > 1) {
    variants.push({ level: level++, name: 'single-pass', description: 'one encoder pass instead of two', expectedSpeedup: 1.6, qualityCostVmaf: 0.5, accelerated: false, deferredRenditionIds: [], passes: 1 });
  }
  const faster = basePreset === 'veryfast' || speedOf(basePreset) >= speedOf('veryfast') ? 'superfast' : 'veryfast';
  const presetSpeedup = speedOf(faster) / base;
  const presetCost = Math.max(0, costOf(faster) - costOf(basePreset));
  const fewerPasses = passes > 1 ? 1.6 : 1;
  variants.push({
    level: level++,
    name: 'fast-preset',
    description: `x264 ${faster} instead of ${basePreset}, one pass`,
    expectedSpeedup: round(presetSpeedup * fewerPasses),
    qualityCostVmaf: round(presetCost + (passes > 1 ? 0.5 : 0)),
    accelerated: false,
    deferredRenditionIds: [],
    presetOverride: faster,
    passes: 1,
  });
  // MediaConvert accelerated transcoding splits the job across many instances (about 4× wall time);
  // locally the same level means the faster preset on more chunks.
  variants.push({
    level: level++,
    name: 'accelerated',
    description: 'accelerated transcoding (parallel segments) and the faster preset',
    expectedSpeedup: round(presetSpeedup * fewerPasses * 2.5),
    qualityCostVmaf: round(presetCost + (passes > 1 ? 0.5 : 0) + 0.3),
    accelerated: true,
    deferredRenditionIds: [],
    presetOverride: faster,
    passes: 1,
  });
  const deferred = ladder.filter((r) => !r.mandatory);
  if (deferred.length > 0) {
    const total = ladder.reduce((a, r) => a + renditionWork(r), 0);
    const now = total - deferred.reduce((a, r) => a + renditionWork(r), 0);
    variants.push({
      level,
      name: 'defer-low-value-rungs',
      description: `accelerated, faster preset, and ${deferred.map((r) => r.id).join(', ')} published later`,
      expectedSpeedup: round(presetSpeedup * fewerPasses * 2.5 * (total / Math.max(1, now))),
      qualityCostVmaf: round(presetCost + (passes > 1 ? 0.5 : 0) + 0.3),
      accelerated: true,
      deferredRenditionIds: deferred.map((r) => r.id),
      presetOverride: faster,
      passes: 1,
    });
  }
  return variants;
}

const round = (x: number): number => Math.round(x * 100) / 100;
