import { describe, expect, it } from 'vitest';
import { drainSec, rebalanceStages, DEFAULT_ALLOCATOR_POLICY as P } from '../../../lib/core/pipeline';

describe('dynamic allocation of workers between stages', () => {
  it('moves workers toward the stage with the largest backlog per worker', () => {
    const r = rebalanceStages(
      [
        { stage: 'encode', backlogSec: 36_000, workers: 4 },
        { stage: 'package', backlogSec: 30, workers: 4 },
        { stage: 'qc', backlogSec: 60, workers: 2 },
      ],
      10_000,
      undefined,
    );
    expect(r.workers.encode).toBeGreaterThan(4);
    expect(r.workers.encode! + r.workers.package! + r.workers.qc!).toBe(10);
    expect(r.moves[0]).toMatchObject({ to: 'encode' });
    expect(r.decisions.length).toBe(r.workers.encode! - 4);
    expect(r.decisions.every((d) => d.kind === 'pipeline' && d.at === 10_000 && /encode backlog/.test(d.reason))).toBe(true);
    expect(r.lastMoveAt).toBe(10_000);
  });

  it('gives a stage with work and no workers a worker first', () => {
    const r = rebalanceStages([{ stage: 'encode', backlogSec: 100, workers: 3 }, { stage: 'publish', backlogSec: 5, workers: 0 }], 0, undefined, { ...P, maxMovesPerStep: 1 });
    expect(r.moves).toEqual([{ from: 'encode', to: 'publish', workers: 1 }]);
  });

  it('leaves balanced stages alone (hysteresis) and does not move again during the cooldown', () => {
    const balanced = rebalanceStages([{ stage: 'encode', backlogSec: 1000, workers: 5 }, { stage: 'qc', backlogSec: 700, workers: 5 }], 0, undefined);
    expect(balanced.moves).toEqual([]);
    const cooling = rebalanceStages([{ stage: 'encode', backlogSec: 10_000, workers: 1 }, { stage: 'qc', backlogSec: 0, workers: 5 }], 30, 0);
    expect(cooling.moves).toEqual([]);
    expect(cooling.lastMoveAt).toBe(0);
    const after = rebalanceStages([{ stage: 'encode', backlogSec: 10_000, workers: 1 }, { stage: 'qc', backlogSec: 0, workers: 5 }], 61, 0);
    expect(after.moves).toEqual([{ from: 'qc', to: 'encode', workers: 4 }]);
  });

  it('keeps the minimum workers per stage and stops when nothing waits', () => {
    const r = rebalanceStages([{ stage: 'encode', backlogSec: 10_000, workers: 1 }, { stage: 'qc', backlogSec: 0, workers: 2 }], 0, undefined, { ...P, minWorkers: 1 });
    expect(r.workers).toEqual({ encode: 2, qc: 1 });
    expect(rebalanceStages([{ stage: 'encode', backlogSec: 0, workers: 1 }, { stage: 'qc', backlogSec: 0, workers: 2 }], 0, undefined).moves).toEqual([]);
  });

  it('computes drain time as backlog over workers', () => {
    expect(drainSec(100, 4)).toBe(25);
    expect(drainSec(0, 0)).toBe(0);
    expect(drainSec(5, 0)).toBe(Infinity);
  });
});
