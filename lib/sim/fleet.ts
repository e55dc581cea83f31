import type { PoolPricing } from '../core/cost';
import type { Backend } from '../core/types';

/** One pool of the simulated fleet. Speeds are relative to the prediction model's reference slot. */
export interface PoolSpec {
  id: string;
  backend: Backend;
  slots: number;
  speed: number;
  acceleratedSpeed?: number;
  pricing: PoolPricing;
}

export interface Fleet {
  name: string;
  pools: PoolSpec[];
}

/**
 * The default fleet mix, per 100 slots: 80 CPU slots (c6i.4xlarge Spot, x264 at the model's
 * reference speed), 12 GPU slots (g4dn.xlarge Spot, NVENC ≈ 4x), 8 MediaConvert concurrent jobs
 * (≈ 1.5x; accelerated transcoding ≈ 4x). `scale` multiplies every pool (at least one slot each).
 */
export function defaultFleet(totalSlots = 100): Fleet {
  const n = (share: number) => Math.max(1, Math.round(totalSlots * share));
  return {
    name: `default-${totalSlots}`,
    pools: [
      { id: 'mediaconvert', backend: 'mediaconvert', slots: n(0.08), speed: 1.5, acceleratedSpeed: 4, pricing: { kind: 'mediaconvert', tier: 'professional' } },
      { id: 'batch-gpu', backend: 'batch-gpu', slots: n(0.12), speed: 4, pricing: { kind: 'batch', instance: 'g4dn.xlarge', slotsPerInstance: 1, spot: true } },
      { id: 'batch-cpu', backend: 'batch-cpu', slots: n(0.8), speed: 1, pricing: { kind: 'batch', instance: 'c6i.4xlarge', slotsPerInstance: 1, spot: true } },
    ],
  };
}

/** Reference slot-seconds the fleet completes per second. */
export function fleetCapacity(fleet: Fleet): number {
  return fleet.pools.reduce((a, p) => a + p.slots * p.speed, 0);
}

export function fleetSlots(fleet: Fleet): number {
  return fleet.pools.reduce((a, p) => a + p.slots, 0);
}

/** Parse `cpu=80,gpu=12,mc=8` (pool ids or their short names) over the default fleet's speeds and prices. */
export function parseFleet(spec: string): Fleet {
  const base = defaultFleet(100);
  const alias: Record<string, string> = { cpu: 'batch-cpu', gpu: 'batch-gpu', mc: 'mediaconvert' };
  const counts = new Map<string, number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const id = alias[k ?? ''] ?? k ?? '';
    const n = Number(v);
    if (!base.pools.some((p) => p.id === id) || !Number.isFinite(n) || n < 0) throw new Error(`bad fleet part "${part}" (use cpu=80,gpu=12,mc=8)`);
    counts.set(id, Math.round(n));
  }
  return { name: spec, pools: base.pools.map((p) => ({ ...p, slots: counts.get(p.id) ?? 0 })).filter((p) => p.slots > 0) };
}
