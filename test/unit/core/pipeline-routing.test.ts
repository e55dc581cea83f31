import { describe, expect, it } from 'vitest';
import { buildTaskGraph, cpuBackend, gpuSuited, routeRendition, DEFAULT_PIPELINE_POLICY as P } from '../../../lib/core/pipeline';
import { aPremiumLadder, aRendition, pixelCost } from './pipeline-fixtures';

describe('routing each format to the backend that suits it', () => {
  const uhdHevc = aRendition({ height: 2160, codec: 'hevc' });

  it('routes a 4K HEVC rendition to the GPU backend when the fleet has one', () => {
    expect(routeRendition(uhdHevc, ['batch-cpu', 'batch-gpu'], P).backend).toBe('batch-gpu');
  });

  it('routes a 4K HEVC rendition to CPU when there is no GPU backend, and says so', () => {
    const route = routeRendition(uhdHevc, ['batch-cpu', 'mediaconvert'], P);
    expect(route.backend).toBe('batch-cpu');
    expect(route.reason).toMatch(/no GPU/i);
  });

  it('keeps HD H.264 and 4K AV1 on CPU even when a GPU exists', () => {
    expect(routeRendition(aRendition({ height: 1080 }), ['batch-gpu', 'batch-cpu'], P).backend).toBe('batch-cpu');
    expect(gpuSuited(aRendition({ height: 2160, codec: 'av1' }), P)).toBe(false);
    expect(routeRendition(aRendition({ height: 2160, codec: 'av1' }), ['batch-gpu', 'local'], P).backend).toBe('local');
  });

  it('uses the GPU for everything when it is the only backend, and refuses an empty fleet', () => {
    expect(routeRendition(aRendition({ height: 360 }), ['batch-gpu'], P).backend).toBe('batch-gpu');
    expect(() => routeRendition(uhdHevc, [], P)).toThrow(RangeError);
    expect(() => cpuBackend(['batch-gpu'])).toThrow(/no CPU backend/);
  });

  it('puts the 4K HEVC chunks on GPU workers and the rest of the title on CPU workers', () => {
    const g = buildTaskGraph({ jobId: 'j', durationSec: 600, ladder: aPremiumLadder(), available: ['batch-gpu', 'batch-cpu'], encodeCost: pixelCost(600), now: 0 });
    const gpu = g.tasks.filter((t) => t.workerClass === 'gpu');
    expect(gpu.length).toBeGreaterThan(1);
    expect(gpu.every((t) => t.renditionIds[0] === '2160p-hevc' && t.stage === 'encode' && t.backend === 'batch-gpu')).toBe(true);
    expect(g.tasks.filter((t) => t.workerClass === 'cpu').every((t) => t.backend === 'batch-cpu')).toBe(true);
    expect(g.decisions.filter((d) => d.action === 'route batch-gpu')).toHaveLength(1);
  });
});
