/**
 * Workload generator: uploads over simulated days with a diurnal curve, optional bursts (a season
 * drop), a content and resolution mix, log-normal durations and business metadata whose value
 * score sets the tier. Deterministic per seed, generated minute by minute so a million uploads a
 * day never sit in memory at once. Each upload carries its own noise draws, so every policy sees
 * exactly the same jobs with the same run-time noise and first-attempt fate.
 */
import { normal, seededRng, type Rng } from '../core/rng';
import type { BusinessMetadata, CreatorTier } from '../core/types';
import { CLASS_MIX, RESOLUTION_MIX, type Archetype } from './archetypes';

export interface Burst {
  /** Start, seconds from the beginning of the simulation. */
  atSec: number;
  count: number;
  /** Window over which the burst arrives, seconds. */
  spreadSec: number;
  durationMin: number;
  label: string;
}

export interface WorkloadSpec {
  uploadsPerDay: number;
  days: number;
  seed: number;
  /** Diurnal amplitude: rate = mean × (1 + amplitude × cos(2π(h − peakHour)/24)). */
  diurnalAmplitude: number;
  peakHour: number;
  /** Median content duration, minutes, and the log-normal sigma. */
  medianDurationMin: number;
  durationSigma: number;
  maxDurationMin: number;
  bursts: Burst[];
}

export const DEFAULT_WORKLOAD: WorkloadSpec = {
  uploadsPerDay: 10_000,
  days: 7,
  seed: 42,
  diurnalAmplitude: 0.6,
  peakHour: 20,
  medianDurationMin: 3.5,
  durationSigma: 1.0,
  maxDurationMin: 90,
  bursts: [],
};

/** A season drop: `count` episodes of `durationMin` from a partner studio within ten minutes. */
export function seasonDrop(atSec: number, count = 40, durationMin = 45): Burst {
  return { atSec, count, spreadSec: 600, durationMin, label: 'season-drop' };
}

export interface Upload {
  index: number;
  atMs: number;
  archetype: number;
  durationSec: number;
  metadata: BusinessMetadata;
  /** Standard normal draw for run-time noise. */
  noiseZ: number;
  /** Uniform draws deciding the first attempt's crash / stuck fate. */
  crashU: number;
  stuckU: number;
  burst?: string;
}

function pick<T>(rng: Rng, mix: readonly [T, number][]): T {
  let u = rng.next() * mix.reduce((a, [, w]) => a + w, 0);
  for (const [v, w] of mix) {
    u -= w;
    if (u <= 0) return v;
  }
  return mix[mix.length - 1]![0];
}

function poisson(rng: Rng, lambda: number): number {
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rng)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > l);
  return k - 1;
}

const CREATORS: [CreatorTier, number][] = [
  ['new', 0.3],
  ['regular', 0.42],
  ['partner', 0.2],
  ['star', 0.08],
];

function metadataFor(rng: Rng): BusinessMetadata {
  const creatorTier = pick(rng, CREATORS);
  const boost = { new: 0, regular: 0.6, partner: 1.2, star: 1.8 }[creatorTier];
  const expectedViews = Math.round(Math.pow(10, 3 + boost + 1.0 * normal(rng)));
  const monetized = rng.next() < (creatorTier === 'partner' || creatorTier === 'star' ? 0.8 : creatorTier === 'regular' ? 0.35 : 0.1);
  const premium = rng.next() < (creatorTier === 'star' ? 0.25 : 0.02);
  const trending = rng.next() < 0.04 ? 0.5 + rng.next() * 0.5 : 0;
  return { creatorTier, expectedViews, monetized, premium, formats: ['abr'], ...(trending ? { trending } : {}) };
}

/** Diurnal rate multiplier at a time of day (mean 1 over a day). */
export function diurnalFactor(spec: WorkloadSpec, atSec: number): number {
  const h = (atSec / 3600) % 24;
  return 1 + spec.diurnalAmplitude * Math.cos((2 * Math.PI * (h - spec.peakHour)) / 24);
}

/** Whether a time falls in the daily peak window (peak hour ± 2 h). */
export function inPeakWindow(spec: WorkloadSpec, atSec: number): boolean {
  const h = (atSec / 3600) % 24;
  const d = Math.abs(h - spec.peakHour);
  return Math.min(d, 24 - d) <= 2;
}

/**
 * Generate the uploads of one simulated minute (`minute` counted from 0). Bursts are emitted in the
 * minutes they cover. Deterministic: the same spec and minute always yield the same uploads.
 */
export class WorkloadGenerator {
  private rng: Rng;
  private next = 0;
  private resIndex: Map<number, number>;

  constructor(
    readonly spec: WorkloadSpec,
    private readonly archetypes: readonly Archetype[],
  ) {
    this.rng = seededRng(spec.seed);
    this.resIndex = new Map(RESOLUTION_MIX.map(([h], i) => [h, i]));
  }

  get totalMinutes(): number {
    return this.spec.days * 1440;
  }

  private archetypeIndex(rng: Rng): number {
    const cls = pick(rng, CLASS_MIX);
    const h = pick(rng, RESOLUTION_MIX);
    const ci = CLASS_MIX.findIndex(([c]) => c === cls);
    return ci * RESOLUTION_MIX.length + this.resIndex.get(h)!;
  }

  /** Uploads arriving in minute `m` (call with m = 0, 1, 2… in order). */
  minute(m: number): Upload[] {
    const rng = this.rng;
    const s = this.spec;
    const startSec = m * 60;
    const lambda = (s.uploadsPerDay / 1440) * diurnalFactor(s, startSec + 30);
    const n = poisson(rng, lambda);
    const out: Upload[] = [];
    for (let i = 0; i < n; i++) {
      const archetype = this.archetypeIndex(rng);
      const dur = Math.min(s.maxDurationMin, Math.max(0.25, s.medianDurationMin * Math.exp(s.durationSigma * normal(rng))));
      out.push({
        index: this.next++,
        atMs: (startSec + rng.next() * 60) * 1000,
        archetype: Math.min(archetype, this.archetypes.length - 1),
        durationSec: dur * 60,
        metadata: metadataFor(rng),
        noiseZ: normal(rng),
        crashU: rng.next(),
        stuckU: rng.next(),
      });
    }
    for (const b of s.bursts) {
      const from = b.atSec;
      const to = b.atSec + b.spreadSec;
      if (to <= startSec || from >= startSec + 60) continue;
      const perMin = b.count / Math.max(1, b.spreadSec / 60);
      const k = Math.round(perMin);
      for (let i = 0; i < k; i++) {
        const archetype = (CLASS_MIX.findIndex(([c]) => c === 'general') * RESOLUTION_MIX.length + this.resIndex.get(1080)!) | 0;
        out.push({
          index: this.next++,
          atMs: (Math.max(from, startSec) + rng.next() * Math.min(60, to - Math.max(from, startSec))) * 1000,
          archetype,
          durationSec: b.durationMin * 60 * (0.9 + 0.2 * rng.next()),
          metadata: { creatorTier: 'partner', expectedViews: 200_000, monetized: true, premium: true, formats: ['abr'], title: b.label },
          noiseZ: normal(rng),
          crashU: rng.next(),
          stuckU: rng.next(),
          burst: b.label,
        });
      }
    }
    out.sort((a, b) => a.atMs - b.atMs);
    return out;
  }
}
