/**
 * Training the encode-cost model (pure and deterministic for a seed): ridge regression per
 * configuration with `ml-matrix`, an SVD of the residuals into video factors, and one
 * `ml-random-forest` regression forest per factor. File reading lives in `lib/local/training`.
 */
import { Matrix, SVD, solve } from 'ml-matrix';
import { RandomForestRegression } from 'ml-random-forest';
import { seededRng } from '../rng';
import { MarqueeError } from '../errors';
import { forestRow, linearRow, type ProbeObservation } from './features';
import { compactTree, roundSig, type CartNode, type CompactForest } from './forest';
import { COST_MODEL_FORMAT, costsForProbe, type ConfigEntry, type CostModelArtifact, type Target, type TargetModel } from './model';
import { encodeOptions } from './options';

/** The training set is unusable (too few videos, configurations that differ between videos…). */
export class TrainingDataError extends MarqueeError {}

/** One measured encode of one video with one configuration. */
export interface MeasuredEncode {
  configId: number;
  options: Record<string, string>;
  wallSec: number;
  cpuSec: number;
  bytes: number;
}

/** One video of the dataset with all its measured configurations. */
export interface MeasuredVideo {
  name: string;
  category?: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  encodes: MeasuredEncode[];
}

/** Hyper-parameters of `fitCostModel`. */
export interface FitOptions {
  seed: number;
  /** Video factors modelled by forests, for wall/CPU time and for size. */
  factors: number;
  sizeFactors: number;
  trees: number;
  maxDepth: number;
  minNumSamples: number;
  maxFeatures: number;
  /** Ridge penalty of the per-configuration regressions. */
  lambda: number;
  /** Share of training videos held out to measure the P90 error (then refit on all). */
  holdoutShare: number;
  probeConfigId: number;
  /** Version label; default derived from the seed and sizes. */
  version?: string;
  notes?: Record<string, string | number>;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = {
  seed: 42,
  factors: 6,
  sizeFactors: 3,
  trees: 12,
  maxDepth: 6,
  minNumSamples: 4,
  maxFeatures: 0.7,
  lambda: 0.3,
  holdoutShare: 0.2,
  probeConfigId: 1,
};

/** The probe encode of a measured video: its configuration-1 encode. */
export function probeOf(video: MeasuredVideo, probeConfigId = 1): ProbeObservation {
  const p = video.encodes.find((e) => e.configId === probeConfigId);
  if (!p) throw new TrainingDataError(`${video.name}: no probe configuration ${probeConfigId}`);
  return { wallSec: p.wallSec, cpuSec: p.cpuSec, bytes: p.bytes, frames: video.frames, width: video.width, height: video.height, fps: video.fps };
}

const targetValue = (e: MeasuredEncode, t: Target): number => (t === 'wall' ? e.wallSec : t === 'cpu' ? e.cpuSec : e.bytes);
const LOG_FLOOR = 1e-3;

/** What `ml-random-forest` serialises (under `baseModel` for the regression forest). */
interface ForestJson {
  indexes: number[][];
  estimators: { root: CartNode }[];
}

/** Configurations measured for every video, ordered by id. */
function commonConfigs(videos: readonly MeasuredVideo[]): ConfigEntry[] {
  const first = videos[0]!;
  const ids = first.encodes.map((e) => e.configId).filter((id) => videos.every((v) => v.encodes.some((e) => e.configId === id)));
  return [...new Set(ids)].sort((a, b) => a - b).map((id) => {
    const options = first.encodes.find((e) => e.configId === id)!.options;
    return { id, options, vector: encodeOptions(options) };
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Fit one target: ridge per configuration, then forests on the leading residual factors. */
function fitTarget(videos: readonly MeasuredVideo[], configs: readonly ConfigEntry[], target: Target, k: number, opt: FitOptions, seed: number): TargetModel {
  const probes = videos.map((v) => probeOf(v, opt.probeConfigId));
  const X = new Matrix(probes.map(linearRow));
  const byId = videos.map((v) => new Map(v.encodes.map((e) => [e.configId, e])));
  const Y = new Matrix(byId.map((m) => configs.map((c) => Math.log(Math.max(LOG_FLOOR, targetValue(m.get(c.id)!, target))))));
  const XtX = X.transpose().mmul(X);
  for (let j = 1; j < XtX.columns; j++) XtX.set(j, j, XtX.get(j, j) + opt.lambda);
  const W = solve(XtX, X.transpose().mmul(Y)); // features × configs
  const R = Y.clone().sub(X.mmul(W));
  const kk = Math.max(0, Math.min(k, videos.length - 1, configs.length));
  const forests: CompactForest[] = [];
  const basis = configs.map(() => new Array<number>(kk).fill(0));
  if (kk > 0) {
    const svd = new SVD(R, { autoTranspose: true });
    const U = svd.leftSingularVectors;
    const V = svd.rightSingularVectors;
    const s = svd.diagonal;
    const F = probes.map(forestRow);
    for (let f = 0; f < kk; f++) {
      // Fix the SVD's sign ambiguity so the same data always gives the same artifact.
      let sign = 1;
      let big = 0;
      for (let c = 0; c < configs.length; c++) if (Math.abs(V.get(c, f)) > Math.abs(big)) big = V.get(c, f);
      if (big < 0) sign = -1;
      const y = videos.map((_, i) => sign * U.get(i, f) * (s[f] ?? 0));
      const rf = new RandomForestRegression({
        nEstimators: opt.trees,
        maxFeatures: opt.maxFeatures,
        replacement: false,
        seed: seed + 97 * f,
        noOOB: true,
        treeOptions: { maxDepth: opt.maxDepth, minNumSamples: opt.minNumSamples },
      });
      rf.train(F, y);
      const raw = rf.toJSON() as unknown as { baseModel?: ForestJson } & ForestJson;
      const json = raw.baseModel ?? raw;
      forests.push({ trees: json.estimators.map((e, i) => compactTree(JSON.parse(JSON.stringify(e.root)) as CartNode, json.indexes[i])) });
      for (let c = 0; c < configs.length; c++) basis[c]![f] = roundSig(sign * V.get(c, f), 6);
    }
  }
  return {
    linear: configs.map((_, c) => X.columns > 0 ? Array.from({ length: X.columns }, (_, j) => roundSig(W.get(j, c), 7)) : []),
    basis,
    forests,
    q90: configs.map(() => 0),
  };
}

function fitAll(videos: readonly MeasuredVideo[], configs: ConfigEntry[], opt: FitOptions): Record<Target, TargetModel> {
  return {
    wall: fitTarget(videos, configs, 'wall', opt.factors, opt, opt.seed),
    cpu: fitTarget(videos, configs, 'cpu', opt.factors, opt, opt.seed + 1),
    size: fitTarget(videos, configs, 'size', opt.sizeFactors, opt, opt.seed + 2),
  };
}

/** Split videos into two groups by a seeded shuffle (no video in both). */
export function splitVideos<T>(videos: readonly T[], share: number, seed: number): { train: T[]; test: T[] } {
  const rng = seededRng(seed);
  const order = videos.map((v, i) => ({ v, i, r: rng.next() })).sort((a, b) => a.r - b.r || a.i - b.i);
  const n = Math.round(videos.length * share);
  const test = new Set(order.slice(0, n).map((o) => o.i));
  return { train: videos.filter((_, i) => !test.has(i)), test: videos.filter((_, i) => test.has(i)) };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return quantile(s, 0.5);
}

/**
 * Fit the cost model from measured videos. Deterministic for a given seed and input order.
 * P90 margins come from a held-out share of the training videos; the final model is refit on all.
 */
export function fitCostModel(videos: readonly MeasuredVideo[], options: Partial<FitOptions> = {}): CostModelArtifact {
  const opt = { ...DEFAULT_FIT_OPTIONS, ...options };
  if (videos.length < 4) throw new TrainingDataError(`need at least 4 videos to train, got ${videos.length}`);
  const configs = commonConfigs(videos);
  if (configs.length < 2) throw new TrainingDataError('videos share fewer than 2 measured configurations');
  if (!configs.some((c) => c.id === opt.probeConfigId)) throw new TrainingDataError(`probe configuration ${opt.probeConfigId} not measured for every video`);

  const base = {
    kind: 'marquee-encode-cost-model' as const,
    format: COST_MODEL_FORMAT,
    version: opt.version ?? `x264-hybrid-k${opt.factors}-t${opt.trees}-s${opt.seed}`,
    seed: opt.seed,
    probeConfigId: opt.probeConfigId,
    configs,
    probeCpuPerWall: roundSig(median(videos.map((v) => probeOf(v, opt.probeConfigId)).map((p) => p.cpuSec / Math.max(LOG_FLOOR, p.wallSec))), 5),
  };

  // P90: fit on part, measure the log error on the held-out videos, per configuration.
  const { train, test } = splitVideos(videos, opt.holdoutShare, opt.seed + 7);
  const q90: Record<Target, number[]> = { wall: configs.map(() => 0), cpu: configs.map(() => 0), size: configs.map(() => 0) };
  if (train.length >= 4 && test.length >= 2) {
    const inner: CostModelArtifact = { ...base, trainVideos: train.length, targets: fitAll(train, configs, opt), notes: {} };
    const errs = { wall: configs.map(() => [] as number[]), cpu: configs.map(() => [] as number[]) };
    for (const v of test) {
      const cost = costsForProbe(inner, probeOf(v, opt.probeConfigId));
      const m = new Map(v.encodes.map((e) => [e.configId, e]));
      configs.forEach((c, i) => {
        const e = m.get(c.id)!;
        const p = cost(i);
        errs.wall[i]!.push(Math.log(Math.max(LOG_FLOOR, e.wallSec) / p.wallSecP50));
        errs.cpu[i]!.push(Math.log(Math.max(LOG_FLOOR, e.cpuSec) / p.cpuSecP50));
      });
    }
    for (const t of ['wall', 'cpu'] as const) {
      const pooled = quantile(errs[t].flat().sort((a, b) => a - b), 0.9);
      q90[t] = errs[t].map((e) => roundSig(Math.max(0, 0.5 * quantile([...e].sort((a, b) => a - b), 0.9) + 0.5 * pooled), 4));
    }
  }
  const targets = fitAll(videos, configs, opt);
  targets.wall.q90 = q90.wall;
  targets.cpu.q90 = q90.cpu;
  targets.size.q90 = q90.size;
  return {
    ...base,
    trainVideos: videos.length,
    targets,
    notes: { method: 'per-config ridge on log probe features + RF on SVD residual factors', factors: opt.factors, trees: opt.trees, maxDepth: opt.maxDepth, lambda: opt.lambda, ...opt.notes },
  };
}
