import type { Backend, ContentProfile, Recipe, RenditionPrediction } from '../types';

/**
 * A cost model: per rendition of a recipe, predicted wall/CPU time (P50, P90) and output bytes on a
 * backend. `version` is stamped on every `Prediction`.
 */
export interface EncodeTimeModel {
  version: string;
  predictRenditions(recipe: Recipe, profile: ContentProfile, backend: Backend): RenditionPrediction[];
}
