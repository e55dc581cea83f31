import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { InvalidPolicyError } from '../errors';
import { CREATOR_TIERS, TIERS, type CreatorTier, type Tier } from '../types';

/**
 * The value policy: how business signals become a 0..100 score, how scores become tiers, the default
 * turnaround per tier, and the aging bound. Shipped defaults below; a deployment overrides any part
 * with a JSON file (`marquee run --value-policy`) or CDK context (`-c valuePolicy=...`), validated by
 * `parseValuePolicy`.
 */
export interface ValueWeights {
  /** Points for the creator's status. */
  creator: Record<CreatorTier, number>;
  /** Points per decade of expected first-week views (log10 scale)… */
  viewsPerDecade: number;
  /** …capped at this many points. */
  viewsCap: number;
  monetized: number;
  premium: number;
  /** Points at trending = 1 (the signal is 0..1). */
  trending: number;
  /** Points for a publish deadline that is due now, falling linearly to 0 at the freshness horizon. */
  freshness: number;
}

export interface ValuePolicy {
  version: string;
  weights: ValueWeights;
  /** Minimum score for each tier; anything below `standard` is bulk. */
  thresholds: { critical: number; premium: number; standard: number };
  /** Default turnaround per tier when the upload carries no deadline, in minutes. */
  defaultDeadlineMinutes: Record<Tier, number>;
  /**
   * Aging: a queued job of tier T is promoted one tier for every `agingStepMinutes[T]` it has
   * waited, so it waits at most `rank(T) × agingStepMinutes[T]` behind higher tiers (see
   * `agingBoundMinutes`). Critical's step is unused (0).
   */
  agingStepMinutes: Record<Tier, number>;
  /** Deadlines further away than this earn no freshness points. */
  freshnessHorizonMinutes: number;
}

export const DEFAULT_VALUE_POLICY: ValuePolicy = {
  version: 'v1',
  weights: {
    creator: { new: 0, regular: 10, partner: 25, star: 40 },
    viewsPerDecade: 5,
    viewsCap: 30,
    monetized: 10,
    premium: 20,
    trending: 10,
    freshness: 10,
  },
  thresholds: { critical: 85, premium: 60, standard: 30 },
  defaultDeadlineMinutes: { critical: 30, premium: 120, standard: 480, bulk: 1440 },
  agingStepMinutes: { critical: 0, premium: 30, standard: 60, bulk: 120 },
  freshnessHorizonMinutes: 360,
};

// zod/mini (tree-shakable: the Lambdas that score and schedule carry only these checks) with the
// English messages classic zod loads by default.
z.config(en());

const points = z.number().check(z.gte(0), z.lte(100));
const minutes = z.number().check(z.gt(0), z.lte(30 * 24 * 60));
const tierRecord = <T extends z.ZodMiniType>(v: T) => z.strictObject({ critical: v, premium: v, standard: v, bulk: v });

export const valuePolicySchema = z.strictObject({
  version: z.string().check(z.minLength(1), z.maxLength(40), z.regex(/^[\w.-]+$/, 'must be letters, digits, dot, dash or underscore')),
  weights: z.strictObject({
    creator: z.strictObject(Object.fromEntries(CREATOR_TIERS.map((c) => [c, points])) as Record<CreatorTier, typeof points>),
    viewsPerDecade: points,
    viewsCap: points,
    monetized: points,
    premium: points,
    trending: points,
    freshness: points,
  }),
  thresholds: z
    .strictObject({ critical: points, premium: points, standard: points })
    .check(z.refine((t) => t.critical > t.premium && t.premium > t.standard, 'must satisfy critical > premium > standard')),
  defaultDeadlineMinutes: tierRecord(minutes).check(
    z.refine((d) => TIERS.every((t, i) => i === 0 || d[t] >= d[TIERS[i - 1]!]), 'must not give a lower tier a shorter turnaround than a higher one'),
  ),
  agingStepMinutes: z.strictObject({ critical: z.number().check(z.gte(0), z.lte(7 * 24 * 60)), premium: minutes, standard: minutes, bulk: minutes }),
  freshnessHorizonMinutes: minutes,
});

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ValuePolicyOverride = DeepPartial<ValuePolicy>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeInto(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = mergeInto(base[k], v);
  }
  return out;
}

/**
 * Validate a policy override (a parsed object or JSON text) merged over `base` (the shipped defaults).
 * Any part may be left out. Throws InvalidPolicyError naming every offending field.
 */
export function parseValuePolicy(input: unknown, base: ValuePolicy = DEFAULT_VALUE_POLICY): ValuePolicy {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new InvalidPolicyError(`value policy is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) throw new InvalidPolicyError('value policy must be a JSON object');
  const merged = mergeInto(base, raw ?? {});
  const parsed = valuePolicySchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidPolicyError(`invalid value policy — ${issues}`.slice(0, 1000));
  }
  return parsed.data;
}
