import './zod-locale';
import * as z from 'zod/mini';
import { TIERS } from '../core/types';
import { ConfigError } from './errors';

/**
 * Read a handler's configuration once, at module scope, from the environment. Fails fast with a
 * message naming each bad variable.
 */
export function readEnv<S extends z.ZodMiniObject>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** A JSON-valued environment variable. */
export const jsonEnv = <T extends z.ZodMiniType>(inner: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s: string, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'must be JSON', input: s });
          return z.NEVER;
        }
      }),
    ),
    inner,
  );

/** `{"critical": "...", "premium": ..., "standard": ..., "bulk": ...}` */
export const tierMap = <T extends z.ZodMiniType>(value: T) => jsonEnv(z.object(Object.fromEntries(TIERS.map((t) => [t, value])) as Record<(typeof TIERS)[number], T>));

/** A non-empty string of at least `n` characters. */
export const minString = (n: number) => z.string().check(z.minLength(n));
/** An ARN-looking string. */
export const arn = () => z.string().check(z.startsWith('arn:'));
/** Slots per cloud backend (`{"mediaconvert": 20, "batch-gpu": 8}`). */
export const capacityEnv = () => jsonEnv(z.object({ mediaconvert: z.int().check(z.nonnegative()), 'batch-gpu': z.int().check(z.nonnegative()) }));
