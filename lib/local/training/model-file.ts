/**
 * The committed cost-model artifact on disk (`models/encode-time-model.json`): reading and writing
 * at the edge; parsing and validation are the core's pure `fromJSON`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fromJSON, learnedModel, toJSON, type Calibration, type CostModelArtifact, type EncodeTimeModel } from '../../core/prediction';

/** Where `npm run train` writes the model and the runtime looks for it. */
export const DEFAULT_MODEL_PATH = resolve(import.meta.dirname, '../../../models/encode-time-model.json');

/** Read and validate an artifact. Throws `InvalidCostModelError` on a bad file. */
export function readCostModel(path = DEFAULT_MODEL_PATH): CostModelArtifact {
  return fromJSON(readFileSync(path, 'utf8'));
}

/** Write an artifact (creating the folder). */
export function writeCostModel(model: CostModelArtifact, path = DEFAULT_MODEL_PATH): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, toJSON(model) + '\n');
}

/** The learned model when the artifact exists, else `undefined` (callers fall back to the heuristic). */
export function loadEncodeTimeModel(path = DEFAULT_MODEL_PATH, calibration?: Calibration): EncodeTimeModel | undefined {
  return existsSync(path) ? learnedModel(readCostModel(path), { calibration }) : undefined;
}
