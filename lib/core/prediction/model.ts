/**
 * The learned encode-cost model: a versioned JSON artifact and its pure inference.
 *
 * For each measured x264 configuration `c` and each target (wall time, CPU time, output bytes) the
 * model predicts `ln(target_c)` from the probe encode in two stages:
 * 1. a ridge regression per configuration on the probe's log cost, bits per pixel, size and
 *    their squares (`linearRow`), and
 * 2. a low-rank correction: the residuals of stage 1 over all configurations are factored (SVD) into
 *    `k` video factors; a random forest per factor predicts it from the probe (`forestRow`), and
 *    the configuration's loading on the factors turns them back into a correction.
 * P90 adds the 90th percentile of the log error measured on held-out training videos.
 */
// zod/mini: tree-shakable, so Lambda bundles that plan (analyze) carry only these checks.
import * as z from 'zod/mini';
import { MarqueeError } from '../errors';
import { forestRow, linearRow, type ProbeObservation } from './features';
import { predictForest, type CompactForest } from './forest';

/** Current artifact format. Bump when the shape changes; `fromJSON` refuses other formats. */
export const COST_MODEL_FORMAT = 1;

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
  /** Loading of each configuration on each video factor. */
  basis: number[][];
  /** One forest per video factor, over `forestRow`. */
  forests: CompactForest[];
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
  targets: Record<Target, TargetModel>;
  /** Median probe CPU/wall ratio in training: stands in when a profile has no probe CPU time. */
  probeCpuPerWall: number;
  /** Training notes: data source, hyper-parameters, held-out scores. */
  notes: Record<string, string | number>;
}

const num = z.number().check(z.refine(Number.isFinite, 'must be finite'));
const int = z.number().check(z.int());
const treeSchema = z.object({ feature: z.array(int), threshold: z.array(num), right: z.array(int) });
const targetSchema = z.object({
  linear: z.array(z.array(num)),
  basis: z.array(z.array(num)),
  forests: z.array(z.object({ trees: z.array(treeSchema) })),
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
  for (const t of TARGETS) {
    const m = a.targets[t];
    if (m.linear.length !== n || m.basis.length !== n || m.q90.length !== n) throw new InvalidCostModelError(`invalid cost model: target ${t} does not cover the ${n} configurations`);
    if (m.basis.some((b) => b.length !== m.forests.length)) throw new InvalidCostModelError(`invalid cost model: target ${t} basis/forest mismatch`);
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
 * Bind a model to one probe: the forests (per-video factors) run once, then each configuration
 * costs three short dot products. The probe configuration itself returns the probe's own figures.
 */
export function costsForProbe(model: CostModelArtifact, probe: ProbeObservation): (configIndex: number) => ConfigCost {
  const lin = linearRow(probe);
  const fr = forestRow(probe);
  const factors = {} as Record<Target, number[]>;
  for (const t of TARGETS) factors[t] = model.targets[t].forests.map((f) => predictForest(f, fr));
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
