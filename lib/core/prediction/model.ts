/**
 * The learned encode-cost model: a versioned JSON artifact and its pure inference.
 *
 * For each measured x264 configuration `c` and each target (wall time, CPU time, output bytes) the
 * model predicts `ln(target_c)` from the probe encode in two stages:
 * 1. a ridge regression per configuration on the probe's log cost, bits per pixel, size and
 *    their squares (`linearRow`), and
 * 2. a nearest-videos correction: the stage-1 residuals of the training videos (all configurations,
 *    compressed by SVD to `r` components) are stored; a probe's correction is the mean residual of
 *    the `k` training videos nearest to it in a weighted `neighbourRow` metric.
 * P90 adds the 90th percentile of the log error measured on held-out training videos.
 */
// zod/mini: tree-shakable, so Lambda bundles that plan (analyze) carry only these checks.
import * as z from 'zod/mini';
import { MarqueeError } from '../errors';
import { linearRow, neighbourRow, type ProbeObservation } from './features';

/** Current artifact format. Bump when the shape changes; `fromJSON` refuses other formats. */
export const COST_MODEL_FORMAT = 2;

/** The artifact failed validation (wrong format, truncated, or inconsistent). */
export class InvalidCostModelError extends MarqueeError {}

/** One measured configuration: its dataset id, option strings, and encoded option vector. */
export interface ConfigEntry {
  id: number;
  options: Record<string, string>;
  vector: number[];
}

/** Per-target parameters; every array is indexed by configuration (the order of `configs`). */
export interface TargetModel {
  /** Ridge coefficients per configuration, over `linearRow`. */
  linear: number[][];
  /** Loading of each configuration on each residual component (`r` per configuration). */
  basis: number[][];
  /** Per training video (the order of `neighbourRows`): its stage-1 residual as `r` component scores. */
  scores: number[][];
  /**
   * Neighbour metric: per `neighbourRow` feature, weight / training standard deviation (0 ignores
   * the feature). Distance = Σ (weight·(x − row))².
   */
  weight: number[];
  /** Neighbours averaged. */
  k: number;
  /** 90th percentile of the held-out log error, per configuration (≥ 0). */
  q90: number[];
}

export const TARGETS = ['wall', 'cpu', 'size'] as const;
export type Target = (typeof TARGETS)[number];

/** The serialisable model. */
export interface CostModelArtifact {
  kind: 'marquee-encode-cost-model';
  format: number;
  /** Human-readable version, e.g. `x264ugc-hybrid-s42-v1`; stamped on every prediction. */
  version: string;
  seed: number;
  trainVideos: number;
  /** Dataset id of the probe configuration (configuration 1). */
  probeConfigId: number;
  configs: ConfigEntry[];
  /** `neighbourRow` of every training video (stage 2 looks up the nearest ones). */
  neighbourRows: number[][];
  targets: Record<Target, TargetModel>;
  /** Median probe CPU/wall ratio in training: stands in when a profile has no probe CPU time. */
  probeCpuPerWall: number;
  /** Training notes: data source, hyper-parameters, held-out scores. */
  notes: Record<string, string | number>;
}

const num = z.number().check(z.refine(Number.isFinite, 'must be finite'));
const int = z.number().check(z.int());
const targetSchema = z.object({
  linear: z.array(z.array(num)),
  basis: z.array(z.array(num)),
  scores: z.array(z.array(num)),
  weight: z.array(num.check(z.gte(0))),
  k: int.check(z.positive()),
  q90: z.array(num.check(z.gte(0))),
});
const artifactSchema = z.object({
  kind: z.literal('marquee-encode-cost-model'),
  format: z.literal(COST_MODEL_FORMAT),
  version: z.string().check(z.minLength(1)),
  seed: int,
  trainVideos: int.check(z.positive()),
  probeConfigId: int,
  configs: z.array(z.object({ id: int, options: z.record(z.string(), z.string()), vector: z.array(num) })).check(z.minLength(1)),
  neighbourRows: z.array(z.array(num)).check(z.minLength(1)),
  targets: z.object({ wall: targetSchema, cpu: targetSchema, size: targetSchema }),
  probeCpuPerWall: num.check(z.positive()),
  notes: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** Parse and validate an artifact (already `JSON.parse`d, or a JSON string). Pure: no file access. */
export function fromJSON(input: unknown): CostModelArtifact {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (cause) {
      throw new InvalidCostModelError('cost model is not valid JSON', { cause });
    }
  }
  const parsed = artifactSchema.safeParse(data);
  if (!parsed.success) throw new InvalidCostModelError(`invalid cost model: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const a = parsed.data as CostModelArtifact;
  const n = a.configs.length;
  const videos = a.neighbourRows.length;
  const features = a.neighbourRows[0]!.length;
  if (a.neighbourRows.some((r) => r.length !== features)) throw new InvalidCostModelError('invalid cost model: neighbour rows differ in length');
  for (const t of TARGETS) {
    const m = a.targets[t];
    if (m.linear.length !== n || m.basis.length !== n || m.q90.length !== n) throw new InvalidCostModelError(`invalid cost model: target ${t} does not cover the ${n} configurations`);
    const r = m.basis[0]!.length;
    if (m.scores.length !== videos || m.scores.some((s) => s.length !== r) || m.basis.some((b) => b.length !== r)) throw new InvalidCostModelError(`invalid cost model: target ${t} basis/scores mismatch`);
    if (m.weight.length !== features) throw new InvalidCostModelError(`invalid cost model: target ${t} weights do not match the neighbour features`);
  }
  if (!a.configs.some((c) => c.id === a.probeConfigId)) throw new InvalidCostModelError(`invalid cost model: probe configuration ${a.probeConfigId} missing`);
  return a;
}

/** Serialise an artifact (stable key order: the one it was built with). */
export function toJSON(model: CostModelArtifact): string {
  return JSON.stringify(model);
}

/** Predicted cost of one configuration on one probe, before codec/backend factors. */
export interface ConfigCost {
  wallSecP50: number;
  wallSecP90: number;
  cpuSecP50: number;
  cpuSecP90: number;
  bytes: number;
}

/**
 * Indices of the `k` rows nearest to `x` under the weighted squared distance (ties: lower index),
 * by insertion into a short sorted list: O(rows · k) with k ≈ 15, no allocation per row.
 */
export function nearestRows(rows: readonly (readonly number[])[], x: readonly number[], weight: readonly number[], k: number): number[] {
  const idx: number[] = [];
  const dist: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let d = 0;
    for (let j = 0; j < weight.length; j++) {
      const e = weight[j]! * ((x[j] ?? 0) - row[j]!);
      d += e * e;
    }
    if (idx.length === k && d >= dist[k - 1]!) continue;
    let p = Math.min(idx.length, k - 1);
    while (p > 0 && dist[p - 1]! > d) {
      dist[p] = dist[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    dist[p] = d;
    idx[p] = i;
  }
  return idx;
}

/** Stage 2 for one target: the mean component scores of the probe's nearest training videos. */
function neighbourCorrection(model: CostModelArtifact, m: TargetModel, x: readonly number[]): number[] {
  const near = nearestRows(model.neighbourRows, x, m.weight, Math.min(m.k, model.neighbourRows.length));
  const r = m.basis[0]?.length ?? 0;
  const u = new Array<number>(r).fill(0);
  for (const i of near) for (let f = 0; f < r; f++) u[f]! += m.scores[i]![f]! / near.length;
  return u;
}

/**
 * Bind a model to one probe: the nearest training videos are found once per target, then each
 * configuration costs three short dot products. The probe configuration returns the probe's own figures.
 */
export function costsForProbe(model: CostModelArtifact, probe: ProbeObservation): (configIndex: number) => ConfigCost {
  const lin = linearRow(probe);
  const nr = neighbourRow(probe);
  const factors = {} as Record<Target, number[]>;
  for (const t of TARGETS) factors[t] = neighbourCorrection(model, model.targets[t], nr);
  const probeIndex = model.configs.findIndex((c) => c.id === model.probeConfigId);
  const logPred = (t: Target, c: number): number => {
    const m = model.targets[t];
    const w = m.linear[c]!;
    let y = 0;
    for (let j = 0; j < w.length; j++) y += w[j]! * (lin[j] ?? 0);
    const b = m.basis[c]!;
    const u = factors[t];
    for (let k = 0; k < b.length; k++) y += b[k]! * u[k]!;
    return y;
  };
  return (c) => {
    if (c === probeIndex) {
      return { wallSecP50: probe.wallSec, wallSecP90: probe.wallSec, cpuSecP50: probe.cpuSec, cpuSecP90: probe.cpuSec, bytes: probe.bytes };
    }
    if (c < 0 || c >= model.configs.length) throw new RangeError(`configuration index ${c} out of range`);
    const lw = logPred('wall', c);
    const lc = logPred('cpu', c);
    return {
      wallSecP50: Math.exp(lw),
      wallSecP90: Math.exp(lw + model.targets.wall.q90[c]!),
      cpuSecP50: Math.exp(lc),
      cpuSecP90: Math.exp(lc + model.targets.cpu.q90[c]!),
      bytes: Math.exp(logPred('size', c)),
    };
  };
}

/** Index of a configuration by its dataset id, or -1. */
export function configIndexById(model: CostModelArtifact, id: number): number {
  return model.configs.findIndex((c) => c.id === id);
}
