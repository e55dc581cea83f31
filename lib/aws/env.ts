import { z } from 'zod';
import { TIERS } from '../core/types';
import { ConfigError } from './errors';

/**
 * Read a handler's configuration once, at module scope, from the environment. Fails fast with a
 * message naming each bad variable.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** A JSON-valued environment variable. */
export const jsonEnv = <T extends z.ZodType>(inner: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(inner);

/** `{"critical": "...", "premium": ..., "standard": ..., "bulk": ...}` */
export const tierMap = <T extends z.ZodType>(value: T) => jsonEnv(z.object(Object.fromEntries(TIERS.map((t) => [t, value])) as Record<(typeof TIERS)[number], T>));
