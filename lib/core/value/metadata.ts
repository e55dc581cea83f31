import { z } from 'zod';
import { CREATOR_TIERS, OUTPUT_FORMATS, type BusinessMetadata } from '../types';

/**
 * Business metadata as it arrives: a sidecar JSON manifest or S3 `x-amz-meta-*` headers (all strings).
 * Strings are coerced where the meaning is unambiguous; anything else is a validation error that names
 * the field, so the upload is REJECTED with a reason a person can act on.
 */
const MAX_VIEWS = 1e11;
// eslint-disable-next-line no-control-regex -- we are detecting control characters on purpose
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);
const numberish = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?(e\d+)?$/i, 'must be a number').transform(Number)]);
const deadline = z.union([
  z.number().int().positive(),
  z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time').transform((s) => Date.parse(s)),
]);
const formats = z
  .union([z.array(z.enum(OUTPUT_FORMATS)), z.string().max(100).transform((s) => s.split(',').map((f) => f.trim()))])
  .pipe(z.array(z.enum(OUTPUT_FORMATS)).min(1, 'must name at least one format').max(OUTPUT_FORMATS.length));

export const businessMetadataSchema = z
  .object({
    creatorTier: z.enum(CREATOR_TIERS).default('regular'),
    expectedViews: numberish.pipe(z.number().min(0, 'must not be negative').max(MAX_VIEWS, `must be at most ${MAX_VIEWS}`)).default(0),
    monetized: boolish.default(false),
    premium: boolish.default(false),
    deadline: deadline.optional(),
    formats: formats.default(['abr']),
    trending: numberish.pipe(z.number().min(0).max(1)).optional(),
    title: z.string().max(500, 'must be at most 500 characters').refine((s) => !new RegExp(CONTROL_CHARS.source).test(s), 'must not contain control characters').optional(),
  })
  .strict();

export type MetadataResult = { ok: true; metadata: BusinessMetadata } | { ok: false; reason: string };

/** Validate raw business metadata; never throws. */
export function parseBusinessMetadata(raw: unknown): MetadataResult {
  const parsed = businessMetadataSchema.safeParse(raw ?? {});
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
