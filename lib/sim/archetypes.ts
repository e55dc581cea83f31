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
import type { ContentClass, ContentProfile, Recipe } from '../core/types';

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
      let p90Ratio = 1.4;
      for (const v of recipe.variants) {
        const r = { ...recipe, activeVariant: v.level };
        const pred = predictJob(r, profile, 'batch-cpu', model);
        secPerSecP50[v.level] = pred.wallSecP50 / profile.source.durationSec;
        if (v.level === 0 && pred.wallSecP50 > 0) p90Ratio = pred.wallSecP90 / pred.wallSecP50;
        normalised[v.level] = normalisedMinutesPerContentMinute(activeLadder(r));
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
      });
    }
  }
  return out;
}
