import type { Allocation, Backend, ContentProfile, Prediction, Recipe, RenditionPrediction } from '../types';
import { activeLadder } from '../recipes';

/**
 * v0 cost model: scales the analyzer's probe-encode speed by pixels and preset.
 * The prediction issue replaces it with a learned, versioned model (same function shape).
 */
export interface EncodeTimeModel {
  version: string;
  predictRenditions(recipe: Recipe, profile: ContentProfile, backend: Backend): RenditionPrediction[];
}

const PRESET_COST: Record<string, number> = {
  ultrafast: 0.25, superfast: 0.35, veryfast: 0.5, faster: 0.7, fast: 0.85, medium: 1, slow: 1.6, slower: 2.6, veryslow: 4.5,
};

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

/** v0 allocation: one slot per job locally; the prediction issue maps predictions to real resources. */
export function allocate(prediction: Prediction, backend: Backend): Allocation {
  return {
    backend,
    vcpus: 2,
    memoryMiB: 4096,
    gpus: 0,
    accelerated: false,
    chunks: 1,
    slots: 1,
    reasons: [`v0: one slot; predicted ${prediction.wallSecP50.toFixed(1)}s P50`],
  };
}
