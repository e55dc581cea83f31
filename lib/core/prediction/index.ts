/**
 * Prediction: how long each rendition takes and what it needs, before encoding starts.
 *
 * - `learnedModel(fromJSON(artifact))` — the trained cost model (see `docs/prediction.md`);
 * - `heuristicModel` — the v0 stand-in, used when no artifact is loaded;
 * - `predictJob` — per rendition and the job total; `allocate` — resources from the prediction;
 * - `updateCalibration` — online per-backend correction from finished renditions.
 */
import type { ContentProfile, Prediction, Recipe, RenditionPrediction, Backend } from '../types';
import { activeLadder } from '../recipes';
import type { EncodeTimeModel } from './types';

export type { EncodeTimeModel } from './types';
export { allocate, DEFAULT_ALLOCATION_POLICY, type AllocationContext, type AllocationPolicy } from './allocation';
export { updateCalibration, calibrationFactors, DEFAULT_CALIBRATION, type Calibration, type CalibrationOptions, type CalibrationTerm, type TimePair } from './calibration';
export { learnedModel, probeFromProfile, probeForRendition, presetConfigIndex, CODEC_FACTORS, BACKEND_FACTORS, type LearnedModelOptions } from './learned';
export { fromJSON, toJSON, costsForProbe, configIndexById, InvalidCostModelError, COST_MODEL_FORMAT, type CostModelArtifact, type ConfigCost } from './model';
export type { ProbeObservation } from './features';

const PRESET_COST: Record<string, number> = {
  ultrafast: 0.25, superfast: 0.35, veryfast: 0.5, faster: 0.7, fast: 0.85, medium: 1, slow: 1.6, slower: 2.6, veryslow: 4.5,
};

/** v0 cost model: scales the analyzer's probe-encode speed by pixels and preset (no artifact needed). */
export const heuristicModel: EncodeTimeModel = {
  version: 'heuristic-v0',
  predictRenditions(recipe, profile, backend) {
    const src = profile.source;
    const srcPixels = src.width * src.height;
    // The probe is an ultrafast encode at source resolution; medium costs ~4x more per pixel.
    const probeSecPerSec = profile.complexity.probeSecondsPerSecond || 0.2;
    return activeLadder(recipe).map((r) => {
      const pixelShare = (r.width * r.height) / Math.max(1, srcPixels);
      const cost = (PRESET_COST[r.preset] ?? 1) / PRESET_COST.ultrafast!;
      const wall = Math.max(0.2, src.durationSec * probeSecPerSec * pixelShare * cost);
      return {
        renditionId: r.id,
        backend,
        wallSecP50: wall,
        wallSecP90: wall * 1.4,
        cpuSecP50: wall * 1.8,
        outputBytes: (r.maxBitrateKbps * 1000 * src.durationSec) / 8 / 2,
      };
    });
  },
};

/** Predict a whole job: per rendition, then the total if they run one after another. */
export function predictJob(recipe: Recipe, profile: ContentProfile, backend: Backend, model: EncodeTimeModel = heuristicModel): Prediction {
  const renditions = model.predictRenditions(recipe, profile, backend);
  const sum = (f: (r: RenditionPrediction) => number) => renditions.reduce((a, r) => a + f(r), 0);
  return {
    modelVersion: model.version,
    renditions,
    wallSecP50: sum((r) => r.wallSecP50),
    wallSecP90: sum((r) => r.wallSecP90),
    cpuSecP50: sum((r) => r.cpuSecP50),
  };
}
