/**
 * Typed deployment configuration, read once from CDK context (`cdk.json` → `context`, or
 * `cdk deploy -c marquee:<key>=<value>`), validated with zod and filled with defaults.
 * A bad value fails synth with a message naming the context key.
 */
import { z } from 'zod';
import { TIERS, type Tier } from '../lib/core/types';
import { parseValuePolicy, type ValuePolicy } from '../lib/core/value';

const csv = z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const jsonString = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON like {"critical":30}' });
    return z.NEVER;
  }
});
/** Per-tier numbers; tiers left out keep their default. */
const tierNumbers = (min: number, max: number, defaults: Record<Tier, number>) =>
  z
    .union([z.record(z.string(), z.unknown()), jsonString])
    .pipe(z.partialRecord(z.enum(TIERS), z.coerce.number().min(min).max(max)).optional())
    .transform((v) => ({ ...defaults, ...(v ?? {}) }) as Record<Tier, number>);

/** Every key is optional in context; these are the defaults. */
export const DEFAULT_CONFIG = {
  /** Default turnaround per tier when an upload carries no deadline (minutes). */
  deadlineMinutes: { critical: 30, premium: 120, standard: 480, bulk: 1440 } as Record<Tier, number>,
  /** NVENC-capable instance types for the Batch GPU compute environments. */
  gpuInstanceTypes: ['g4dn.xlarge', 'g4dn.2xlarge', 'g5.xlarge', 'g6.xlarge'],
  /** Upper bound of the GPU fleet (vCPUs) for the spot and the on-demand environments each. */
  batchMaxVcpus: 64,
  /** Encodes the dispatcher keeps in flight per backend. */
  mediaConvertSlots: 20,
  batchSlots: 8,
  /** Backend a job is planned for; the other one is the fallback. */
  defaultBackend: 'mediaconvert' as 'mediaconvert' | 'batch-gpu',
  /** Days after which uploads move to Infrequent Access / expire from the ingest bucket. */
  uploadTransitionDays: 30,
  uploadExpirationDays: 365,
  /** Jobs stuck RUNNABLE in a Batch job queue longer than this are cancelled (minutes). */
  runnableTimeLimitMinutes: 30,
  /** Worker image: `ecr` (repository in the stateful stack, tag below) or `asset` (build the Dockerfile at deploy; needs Docker). */
  workerImage: 'ecr' as 'ecr' | 'asset',
  workerImageTag: 'latest',
  /** Keep buckets, table and keys on `cdk destroy` (production) or delete them (dev). */
  retainData: true,
  natGateways: 1,
  /** Optional e-mail address subscribed to the alarm topic. */
  alarmEmail: undefined as string | undefined,
  /** Optional MediaConvert endpoint override; the SDK's regional endpoint is used otherwise. */
  mediaConvertEndpoint: undefined as string | undefined,
};

export const configSchema = z
  .object({
    deadlineMinutes: tierNumbers(1, 7 * 24 * 60, DEFAULT_CONFIG.deadlineMinutes).default(DEFAULT_CONFIG.deadlineMinutes),
    gpuInstanceTypes: csv.pipe(z.array(z.string().regex(/^(g4dn|g5|g6|g6e|p3|p4d)\.[a-z0-9]+$/, 'must be an NVENC-capable type (g4dn, g5, g6, g6e, p3, p4d)')).min(1)).default(DEFAULT_CONFIG.gpuInstanceTypes),
    batchMaxVcpus: int(4, 10_000).default(DEFAULT_CONFIG.batchMaxVcpus),
    mediaConvertSlots: int(1, 1000).default(DEFAULT_CONFIG.mediaConvertSlots),
    batchSlots: int(0, 1000).default(DEFAULT_CONFIG.batchSlots),
    defaultBackend: z.enum(['mediaconvert', 'batch-gpu']).default(DEFAULT_CONFIG.defaultBackend),
    uploadTransitionDays: int(30, 3650).default(DEFAULT_CONFIG.uploadTransitionDays),
    uploadExpirationDays: int(31, 36500).default(DEFAULT_CONFIG.uploadExpirationDays),
    runnableTimeLimitMinutes: int(10, 86_400).default(DEFAULT_CONFIG.runnableTimeLimitMinutes),
    workerImage: z.enum(['ecr', 'asset']).default(DEFAULT_CONFIG.workerImage),
    workerImageTag: z.string().regex(/^[\w.-]{1,128}$/).default(DEFAULT_CONFIG.workerImageTag),
    retainData: bool.default(DEFAULT_CONFIG.retainData),
    natGateways: int(0, 3).default(DEFAULT_CONFIG.natGateways),
    alarmEmail: z.email().optional(),
    mediaConvertEndpoint: z.url().optional(),
    /** Partial value policy (weights, thresholds, aging steps…), validated by parseValuePolicy. */
    valuePolicy: z.union([z.record(z.string(), z.unknown()), jsonString]).optional(),
  })
  .refine((c) => c.uploadExpirationDays > c.uploadTransitionDays, { message: 'must be after uploadTransitionDays', path: ['uploadExpirationDays'] });

export type MarqueeConfig = Omit<z.infer<typeof configSchema>, 'valuePolicy'> & {
  /** The resolved value policy: defaults, then `marquee:valuePolicy`, then `marquee:deadlineMinutes`. */
  valuePolicy: ValuePolicy;
};

/** Configuration error that names the offending context key. */
export class InvalidConfigError extends Error {
  override name = 'InvalidConfigError';
}

/** Context keys are `marquee:<key>`; values may be JSON types (cdk.json) or strings (`-c`). */
export function readConfig(tryGetContext: (key: string) => unknown): MarqueeConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = tryGetContext(`marquee:${key}`);
    if (v !== undefined) raw[key] = v;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `context marquee:${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvalidConfigError(msg);
  }
  let policy: ValuePolicy;
  try {
    policy = parseValuePolicy(parsed.data.valuePolicy ?? {});
  } catch (err) {
    throw new InvalidConfigError(`context marquee:valuePolicy: ${(err as Error).message}`);
  }
  return { ...parsed.data, valuePolicy: { ...policy, defaultDeadlineMinutes: parsed.data.deadlineMinutes } };
}
