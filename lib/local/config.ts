import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MarqueeError } from '../core/errors';

/** A CLI option or environment variable with a value that cannot work. */
export class ConfigError extends MarqueeError {}

/** The local runtime's configuration, from CLI options over environment variables over defaults. */
export interface LocalConfig {
  outDir: string;
  dbPath: string;
  samplesDir: string;
  /** Concurrent ffmpeg encodes. */
  workers: number;
  /** Threads each ffmpeg may use. */
  threadsPerWorker: number;
  vmafModel?: string;
  /** Measure PSNR/SSIM (and VMAF) on every rendition while verifying. */
  measureQuality: boolean;
  fresh: boolean;
  json: boolean;
  maxAttempts: number;
  /** `--chunk-seconds`: chunk every rendition of titles at least twice this long into chunks of about this length. */
  chunkSeconds?: number;
  /** Measured (trial-encode) ladders for critical/premium titles at least this long; undefined = off. */
  hullProbeMinSec?: number;
  /** A JSON file overriding the value policy (weights, tier thresholds, deadlines, aging steps). */
  valuePolicyFile?: string;
}

/** `--hull-probe auto`: measure the ladder of critical/premium titles of at least this many seconds. */
export const HULL_PROBE_AUTO_MIN_SEC = 60;

/**
 * Size the worker pool to the machine: half the cores as concurrent encodes (x264 scales well to
 * 2 threads per encode on short clips; more encodes in parallel keep the pool busy at the end of a ladder),
 * each with an equal share of the cores as its thread budget.
 */
export function poolSize(cores: number, workers?: number): { workers: number; threadsPerWorker: number } {
  const w = workers ?? Math.max(1, Math.round(cores / 2));
  return { workers: w, threadsPerWorker: Math.max(1, Math.floor(cores / w)) };
}

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a whole number ≥ 1` }).int(`${name} must be a whole number ≥ 1`).min(1, `${name} must be a whole number ≥ 1`).max(256, `${name} must be at most 256`);

const optionsSchema = z.object({
  out: z.string().min(1).optional(),
  workers: positiveInt('--workers').optional(),
  threads: positiveInt('--threads').optional(),
  vmafModel: z.string().min(1).optional(),
  quality: z.boolean().optional(),
  fresh: z.boolean().optional(),
  json: z.boolean().optional(),
  attempts: positiveInt('--attempts').optional(),
  valuePolicy: z.string().min(1).optional(),
  hullProbe: z.enum(['auto', 'always', 'off'], { error: '--hull-probe must be auto, always or off' }).optional(),
  chunkSeconds: z.coerce.number({ error: '--chunk-seconds must be a number of seconds > 0' }).positive('--chunk-seconds must be a number of seconds > 0').max(3600, '--chunk-seconds must be at most 3600').optional(),
});

export type RunOptions = z.input<typeof optionsSchema>;

/** Resolve the configuration; env: MARQUEE_OUT, MARQUEE_WORKERS, MARQUEE_VMAF_MODEL. Throws ConfigError naming the option. */
export function loadConfig(options: RunOptions, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): LocalConfig {
  const parsed = optionsSchema.safeParse({
    ...options,
    out: options.out ?? env.MARQUEE_OUT,
    workers: options.workers ?? env.MARQUEE_WORKERS,
    vmafModel: options.vmafModel ?? env.MARQUEE_VMAF_MODEL,
    valuePolicy: options.valuePolicy ?? env.MARQUEE_VALUE_POLICY,
  });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => i.message).join('; '));
  const o = parsed.data;
  const outDir = resolve(o.out ?? 'marquee-out');
  const pool = poolSize(cores, o.workers);
  return {
    outDir,
    dbPath: resolve(outDir, 'marquee.db'),
    samplesDir: resolve(outDir, 'samples'),
    workers: pool.workers,
    threadsPerWorker: o.threads ?? pool.threadsPerWorker,
    ...(o.vmafModel ? { vmafModel: resolve(o.vmafModel) } : {}),
    measureQuality: o.quality ?? true,
    fresh: o.fresh ?? false,
    json: o.json ?? false,
    maxAttempts: o.attempts ?? 2,
    ...(o.chunkSeconds ? { chunkSeconds: o.chunkSeconds } : {}),
    ...(o.valuePolicy ? { valuePolicyFile: resolve(o.valuePolicy) } : {}),
    // Trial encodes cost a fixed few seconds of probing per title: worth it on titles of a minute or more.
    ...(o.hullProbe === 'off' ? {} : { hullProbeMinSec: o.hullProbe === 'always' ? 0 : HULL_PROBE_AUTO_MIN_SEC }),
  };
}
