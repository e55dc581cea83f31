import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, poolSize } from '../../../lib/local/config';

describe('poolSize', () => {
  it('runs half the cores as encodes, sharing the cores out as thread budgets', () => {
    expect(poolSize(2)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(poolSize(8)).toEqual({ workers: 4, threadsPerWorker: 2 });
    expect(poolSize(1)).toEqual({ workers: 1, threadsPerWorker: 1 });
    expect(poolSize(8, 3)).toEqual({ workers: 3, threadsPerWorker: 2 });
  });
});

describe('loadConfig', () => {
  it('takes options over environment over defaults', () => {
    const env = { MARQUEE_OUT: '/tmp/env-out', MARQUEE_WORKERS: '3', MARQUEE_VMAF_MODEL: '/models/vmaf.pkl' };
    const fromEnv = loadConfig({}, env, 8);
    expect(fromEnv).toMatchObject({ outDir: '/tmp/env-out', dbPath: '/tmp/env-out/marquee.db', workers: 3, threadsPerWorker: 2, vmafModel: '/models/vmaf.pkl', measureQuality: true });
    expect(loadConfig({ out: '/tmp/cli', workers: '1' }, env, 8)).toMatchObject({ outDir: '/tmp/cli', workers: 1, threadsPerWorker: 8 });
  });

  it('names the option that cannot work', () => {
    expect(() => loadConfig({ workers: '0' }, {}, 2)).toThrow(ConfigError);
    expect(() => loadConfig({ workers: 'many' }, {}, 2)).toThrow(/--workers must be a whole number ≥ 1/);
    expect(() => loadConfig({}, { MARQUEE_WORKERS: '2.5' }, 2)).toThrow(/--workers/);
  });

  it('reads --chunk-seconds as a positive number of seconds', () => {
    expect(loadConfig({ chunkSeconds: '2' }, {}, 2).chunkSeconds).toBe(2);
    expect(loadConfig({}, {}, 2).chunkSeconds).toBeUndefined();
    expect(() => loadConfig({ chunkSeconds: '0' }, {}, 2)).toThrow(/--chunk-seconds must be a number of seconds > 0/);
  });
});
