/**
 * Content archetypes: a content class at a source resolution, with its recipe and its predicted
 * cost per content second at every variant level — computed once through the real recipe engine
 * (`chooseRecipe`) and prediction model (`predictJob`) on a reference profile, then scaled by each
 * job's duration. That is the simulator's fast path to the same model at a million uploads a day.
 */
import { normalisedMinutesPerContentMinute } from '../core/cost';
import { predictJob, heuristicModel, type EncodeTimeModel } from '../core/prediction';
import { activeLadder, chooseRecipe } from '../core/recipes';
import { scoreValue } from '../core/value';
import type { ContentClass, ContentProfile, Recipe, Rendition } from '../core/types';

/** One rung of an archetype's active ladder with its share of the job's predicted work. */
export interface RungCost {
  rendition: Rendition;
  /** Reference wall seconds per content second (P50); the rungs of a level sum to `secPerSecP50[level]`. */
  secPerSec: number;
}

export interface Archetype {
  index: number;
  contentClass: ContentClass;
  height: number;
  profile: ContentProfile;
  recipe: Recipe;
  /** Predicted reference wall seconds per content second, P50, by variant level. */
  secPerSecP50: number[];
  /** P90 / P50 of the model for this archetype. */
  p90Ratio: number;
  /** MediaConvert normalised minutes per content minute, by variant level (active ladder). */
  normalisedPerMinute: number[];
  /** Normalised minutes of the full ladder (the FIFO-on-MediaConvert-Professional reference). */
  fullLadderNormalised: number;
  /** The active ladder's rungs and their cost, by variant level (what a pipeline splits into tasks). */
  rungs: RungCost[][];
}

/** Probe speed (ultrafast encode seconds per source second at 1080p-ish) by content class. */
const CLASS_PROBE: Record<ContentClass, number> = {
  static: 0.1,
  'talking-head': 0.18,
  screen: 0.12,
  animation: 0.22,
  general: 0.25,
  'high-motion': 0.34,
  'film-grain': 0.42,
};

export const CLASS_MIX: [ContentClass, number][] = [
  ['talking-head', 0.25],
  ['general', 0.3],
  ['high-motion', 0.12],
  ['screen', 0.1],
  ['animation', 0.08],
  ['static', 0.08],
  ['film-grain', 0.07],
];

export const RESOLUTION_MIX: [number, number][] = [
  [480, 0.1],
  [720, 0.25],
  [1080, 0.58],
  [2160, 0.07],
];

function profileFor(contentClass: ContentClass, height: number): ContentProfile {
  const width = Math.round((height * 16) / 9 / 2) * 2;
  return {
    source: {
      container: 'mov,mp4,m4a,3gp,3g2,mj2', sizeBytes: 0, durationSec: 60, width, height, rotation: 0, fps: 30,
      videoCodec: 'h264', pixelFormat: 'yuv420p', bitDepth: 8, hdr: false, interlaced: false, bitrateKbps: 8000,
      audio: { codec: 'aac', channels: 2, sampleRate: 48000 },
    },
    complexity: {
      spatialInfo: 50, temporalInfo: 20, sceneCutsPerMinute: 4, probeBitsPerPixel: 0.08, probeFps: 200,
      probeSecondsPerSecond: CLASS_PROBE[contentClass] * ((width * height) / (1920 * 1080)),
      sampledShare: 0.2,
    },
    audio: { kind: 'speech', channels: 2 },
    contentClass,
    difficulty: CLASS_PROBE[contentClass],
    analysisWallMs: 0,
  };
}

export function buildArchetypes(model: EncodeTimeModel = heuristicModel): Archetype[] {
  const value = scoreValue({ creatorTier: 'regular', expectedViews: 1000, monetized: false, premium: false, formats: ['abr'] });
  const out: Archetype[] = [];
  for (const [contentClass] of CLASS_MIX) {
    for (const [height] of RESOLUTION_MIX) {
      const profile = profileFor(contentClass, height);
      const recipe = chooseRecipe({ jobId: `arch-${contentClass}-${height}`, profile, value, formats: ['abr'] });
      const secPerSecP50: number[] = [];
      const normalised: number[] = [];
      const rungs: RungCost[][] = [];
      let p90Ratio = 1.4;
      for (const v of recipe.variants) {
        const r = { ...recipe, activeVariant: v.level };
        const pred = predictJob(r, profile, 'batch-cpu', model);
        secPerSecP50[v.level] = pred.wallSecP50 / profile.source.durationSec;
        if (v.level === 0 && pred.wallSecP50 > 0) p90Ratio = pred.wallSecP90 / pred.wallSecP50;
        normalised[v.level] = normalisedMinutesPerContentMinute(activeLadder(r));
        // Per-rung shares of the model's own per-rendition predictions, scaled to the job's total so
        // the monolithic and multi-stage shapes carry exactly the same encode work.
        const ladder = activeLadder(r);
        const per = new Map(pred.renditions.map((p) => [p.renditionId, p.wallSecP50]));
        const sum = ladder.reduce((a, x) => a + (per.get(x.id) ?? 0), 0);
        rungs[v.level] = ladder.map((x) => ({ rendition: x, secPerSec: sum > 0 ? ((per.get(x.id) ?? 0) / sum) * secPerSecP50[v.level]! : secPerSecP50[v.level]! / ladder.length }));
      }
      out.push({
        index: out.length,
        contentClass,
        height,
        profile,
        recipe,
        secPerSecP50,
        p90Ratio,
        normalisedPerMinute: normalised,
        fullLadderNormalised: normalisedMinutesPerContentMinute(recipe.ladder),
        rungs,
      });
    }
  }
  return out;
}
