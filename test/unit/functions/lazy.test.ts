import { describe, expect, it, vi } from 'vitest';
import { once } from '../../../functions/shared/lazy';

describe('once (lazy SDK client loading)', () => {
  it('loads once and shares the result between concurrent and later callers', async () => {
    const load = vi.fn(async () => ({ client: 'c' }));
    const get = once(load);
    const [a, b] = await Promise.all([get(), get()]);
    expect(await get()).toBe(a);
    expect(b).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not load before the first call', () => {
    const load = vi.fn(async () => 1);
    once(load);
    expect(load).not.toHaveBeenCalled();
  });

  it('retries a failed load on the next call instead of caching the failure', async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error('module not found')).mockResolvedValueOnce('client');
    const get = once(load as () => Promise<string>);
    await expect(get()).rejects.toThrow('module not found');
    await expect(get()).resolves.toBe('client');
    expect(load).toHaveBeenCalledTimes(2);
  });
});
