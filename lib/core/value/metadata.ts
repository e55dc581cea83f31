import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { CREATOR_TIERS, OUTPUT_FORMATS, type BusinessMetadata } from '../types';

/**
 * Business metadata as it arrives: a sidecar JSON manifest or S3 `x-amz-meta-*` headers (all strings).
 * Strings are coerced where the meaning is unambiguous; anything else is a validation error that names
 * the field, so the upload is REJECTED with a reason a person can act on.
 */
const MAX_VIEWS = 1e11;
// eslint-disable-next-line no-control-regex -- we are detecting control characters on purpose
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

// zod/mini (tree-shakable: the Analyze Lambda carries only these checks) with the English messages
// classic zod loads by default.
z.config(en());

const boolish = z.union([z.boolean(), z.pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']), z.transform((v: 'true' | 'false' | '1' | '0' | 'yes' | 'no') => ['true', '1', 'yes'].includes(v)))]);
const numberish = z.union([z.number(), z.pipe(z.string().check(z.trim(), z.regex(/^-?\d+(\.\d+)?(e\d+)?$/i, 'must be a number')), z.transform(Number))]);
const deadline = z.union([
  z.number().check(z.int(), z.gt(0)),
  z.pipe(
    z.string().check(
      z.maxLength(40),
      z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time'),
    ),
    z.transform((s: string) => Date.parse(s)),
  ),
]);
const formats = z.pipe(
  z.union([z.array(z.enum(OUTPUT_FORMATS)), z.pipe(z.string().check(z.maxLength(100)), z.transform((s: string) => s.split(',').map((f) => f.trim())))]),
  z.array(z.enum(OUTPUT_FORMATS)).check(z.minLength(1, 'must name at least one format'), z.maxLength(OUTPUT_FORMATS.length)),
);

export const businessMetadataSchema = z.strictObject({
  creatorTier: z._default(z.enum(CREATOR_TIERS), 'regular'),
  expectedViews: z._default(z.pipe(numberish, z.number().check(z.gte(0, 'must not be negative'), z.lte(MAX_VIEWS, `must be at most ${MAX_VIEWS}`))), 0),
  monetized: z._default(boolish, false),
  premium: z._default(boolish, false),
  deadline: z.optional(deadline),
  formats: z._default(formats, ['abr']),
  trending: z.optional(z.pipe(numberish, z.number().check(z.gte(0), z.lte(1)))),
  title: z.optional(
    z.string().check(
      z.maxLength(500, 'must be at most 500 characters'),
      z.refine((s) => !new RegExp(CONTROL_CHARS.source).test(s), 'must not contain control characters'),
    ),
  ),
});

export type MetadataResult = { ok: true; metadata: BusinessMetadata } | { ok: false; reason: string };

const S3_PREFIX = 'x-amz-meta-';
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Canonical field names by their spelling folded to lower-case letters and digits (S3 lower-cases keys). */
const CANONICAL = new Map(
  [...Object.keys(businessMetadataSchema.shape), 'deadlineAt', 'monetised', 'views', 'creator'].map((k) => [k.toLowerCase().replace(/[^a-z0-9]/g, ''), k]),
);
const ALIASES = new Map([
  ['deadlineAt', 'deadline'],
  ['monetised', 'monetized'],
  ['views', 'expectedViews'],
  ['creator', 'creatorTier'],
]);
const printable = (k: string): string => JSON.stringify(k.replace(CONTROL_CHARS, '?').slice(0, 60));

/**
 * Map keys as they arrive to the schema's field names: `x-amz-meta-creator-tier`, `creator_tier` and
 * `creatorTier` are one field. A key with a path (`../`), a control character or an absurd length
 * is refused outright. Unknown keys under the S3 prefix are ignored (other tools set their own);
 * unknown keys in a sidecar are errors (a typo should not silently lose a field).
 */
function normaliseKeys(raw: Record<string, unknown>): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, v] of Object.entries(raw)) {
    const s3 = key.toLowerCase().startsWith(S3_PREFIX);
    const bare = s3 ? key.slice(S3_PREFIX.length) : key;
    if (!SAFE_KEY.test(bare) || bare.includes('..'))
      return { ok: false, reason: `invalid metadata — key ${printable(key)} is not allowed (letters, digits, '-', '_' and '.' only, at most 64 characters)` };
    const found = CANONICAL.get(bare.toLowerCase().replace(/[^a-z0-9]/g, ''));
    const field = found ? (ALIASES.get(found) ?? found) : undefined;
    if (!field) {
      if (s3) continue;
      out[bare] = v; // the strict schema names it
      continue;
    }
    if (field in out) return { ok: false, reason: `invalid metadata — field ${field} is given twice (as ${printable(key)})` };
    out[field] = v;
  }
  return { ok: true, value: { ...out } };
}

/**
 * Validate raw business metadata (a sidecar manifest object or S3 `x-amz-meta-*` headers); never throws.
 * Absent fields get validated defaults (regular creator, 0 views, not monetised, not premium, `abr`).
 */
export function parseBusinessMetadata(raw: unknown): MetadataResult {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw)))
    return { ok: false, reason: `invalid metadata — expected an object of fields, got ${Array.isArray(raw) ? 'an array' : typeof raw}` };
  const keyed = normaliseKeys((raw ?? {}) as Record<string, unknown>);
  if (!keyed.ok) return keyed;
  const parsed = businessMetadataSchema.safeParse(keyed.value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ')
      .replace(CONTROL_CHARS, '?')
      .slice(0, 600);
    return { ok: false, reason: `invalid metadata — ${issues}` };
  }
  const { deadline: deadlineAt, ...rest } = parsed.data;
  const metadata: BusinessMetadata = { ...rest };
  if (deadlineAt !== undefined) metadata.deadlineAt = deadlineAt;
  return { ok: true, metadata };
}
