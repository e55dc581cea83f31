import type { Decision } from '../types';

/** The load of one stage's worker pool at an instant. */
export interface StageLoad {
  /** A stage name (or any pool name: the allocator only compares loads). */
  stage: string;
  /** Predicted seconds of work queued for the stage (ready and soon-ready tasks). */
  backlogSec: number;
  workers: number;
}

/** How eagerly workers move between stages. */
export interface AllocatorPolicy {
  /**
   * Move only when the bottleneck's drain time exceeds the donor's drain time after the move by
   * this factor (0.5 = 50% more). Stops workers flapping between near-equal stages.
   */
  hysteresis: number;
  /** Seconds after a move during which no other move is made (a moved worker needs warm-up). */
  cooldownSec: number;
  /** A stage keeps at least this many workers. */
  minWorkers: number;
  /** Most workers moved in one rebalance. */
  maxMovesPerStep: number;
}

export const DEFAULT_ALLOCATOR_POLICY: AllocatorPolicy = { hysteresis: 0.5, cooldownSec: 60, minWorkers: 0, maxMovesPerStep: 4 };

export interface StageMove {
  from: string;
  to: string;
  workers: number;
}

export interface Rebalance {
  /** Workers per stage after the moves. */
  workers: Record<string, number>;
  moves: StageMove[];
  /** One `pipeline` decision per move, with the loads that justified it. */
  decisions: Decision[];
  /** When the last move happened (feed it back in next time). */
  lastMoveAt: number | undefined;
}

/** Seconds to drain a backlog with that many workers (infinite when work waits for nobody). */
export const drainSec = (backlogSec: number, workers: number): number => (backlogSec <= 0 ? 0 : workers <= 0 ? Infinity : backlogSec / workers);

const fmt = (s: number): string => (Number.isFinite(s) ? `${s.toFixed(0)}s` : '∞');

/**
 * Bottleneck detection: find the stage whose backlog takes longest to drain with its workers and
 * move workers to it, one at a time, from the stage that can best spare them, while the move pays
 * by more than the hysteresis margin. Respects a cooldown since the previous move.
 */
export function rebalanceStages(loads: readonly StageLoad[], now: number, lastMoveAt: number | undefined, policy: AllocatorPolicy = DEFAULT_ALLOCATOR_POLICY): Rebalance {
  const workers: Record<string, number> = Object.fromEntries(loads.map((l) => [l.stage, l.workers]));
  const backlog: Record<string, number> = Object.fromEntries(loads.map((l) => [l.stage, l.backlogSec]));
  const moves: StageMove[] = [];
  const decisions: Decision[] = [];
  if (lastMoveAt !== undefined && now - lastMoveAt < policy.cooldownSec) return { workers, moves, decisions, lastMoveAt };
  const stages = loads.map((l) => l.stage);
  const drain = (s: string, delta = 0) => drainSec(backlog[s]!, workers[s]! + delta);

  for (let step = 0; step < policy.maxMovesPerStep; step++) {
    const bottleneck = [...stages].sort((a, b) => drain(b) - drain(a))[0];
    if (bottleneck === undefined || drain(bottleneck) === 0) break;
    const donors = stages.filter((s) => s !== bottleneck && workers[s]! > policy.minWorkers);
    const donor = donors.sort((a, b) => drain(a, -1) - drain(b, -1))[0];
    if (donor === undefined) break;
    const before = drain(bottleneck);
    const donorAfter = drain(donor, -1);
    const worth = before > (1 + policy.hysteresis) * donorAfter && Math.max(drain(bottleneck, 1), donorAfter) < before;
    if (!worth) break;
    const reason = `${bottleneck} backlog ${fmt(backlog[bottleneck]!)} over ${workers[bottleneck]} workers drains in ${fmt(before)}; ${donor} would drain in ${fmt(donorAfter)} with ${workers[donor]! - 1}`;
    workers[bottleneck]! += 1;
    workers[donor]! -= 1;
    const last = moves.at(-1);
    if (last && last.from === donor && last.to === bottleneck) last.workers += 1;
    else moves.push({ from: donor, to: bottleneck, workers: 1 });
    decisions.push({ at: now, kind: 'pipeline', action: `move worker ${donor} → ${bottleneck}`, reason, expectedGainSec: before - Math.max(drain(bottleneck), donorAfter) });
  }
  return { workers, moves, decisions, lastMoveAt: moves.length > 0 ? now : lastMoveAt };
}
