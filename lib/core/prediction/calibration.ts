/**
 * Online per-backend calibration: a bounded exponentially weighted mean of ln(actual / predicted)
 * per backend, for wall and CPU time. Predictions are multiplied by `exp(logRatio)`, so the model
 * keeps up with a new instance type, a busier machine or another ffmpeg build without retraining.
 */
import type { Backend } from '../types';

/** Calibration state of one backend for one quantity. */
export interface CalibrationTerm {
  /** EWMA of ln(actual / uncalibrated prediction). */
  logRatio: number;
  /** Observations folded in so far. */
  n: number;
}

/** Calibration of every backend seen so far. Plain data: store it as JSON anywhere. */
export type Calibration = Partial<Record<Backend, { wall: CalibrationTerm; cpu: CalibrationTerm }>>;

export interface CalibrationOptions {
  /** Weight of a new observation once warmed up (0..1). */
  alpha: number;
  /** |logRatio| never exceeds this (ln 8 ≈ 2.08: a factor of 8 either way). */
  maxAbsLogRatio: number;
  /** A single observation moves the estimate by at most this much (robust to one outlier). */
  maxStep: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { alpha: 0.15, maxAbsLogRatio: Math.log(8), maxStep: 0.5 };

/** Seconds as predicted (calibrated, as recorded on the job) and as measured. */
export interface TimePair {
  wallSec: number;
  cpuSec?: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function step(term: CalibrationTerm, predicted: number, actual: number, o: CalibrationOptions): CalibrationTerm {
  if (!(predicted > 0) || !(actual > 0) || !Number.isFinite(predicted) || !Number.isFinite(actual)) return term;
  // `predicted` already carries exp(logRatio), so ln(actual/predicted) is the remaining error.
  // Warm-up: the first observations weigh 1/n (a plain mean) until 1/n falls below alpha.
  const weight = Math.max(o.alpha, 1 / (term.n + 1));
  const delta = clamp(weight * Math.log(actual / predicted), -o.maxStep, o.maxStep);
  return { logRatio: clamp(term.logRatio + delta, -o.maxAbsLogRatio, o.maxAbsLogRatio), n: term.n + 1 };
}

/**
 * Fold one finished rendition into the calibration of its backend. `predicted` is the prediction
 * as recorded (calibrated with the same `cal`); returns a new calibration (the input is unchanged).
 * Call it after each rendition with its `RenditionPrediction` and `RenditionResult` figures.
 */
export function updateCalibration(cal: Calibration, backend: Backend, predicted: TimePair, actual: TimePair, options: Partial<CalibrationOptions> = {}): Calibration {
  const o = { ...DEFAULT_CALIBRATION, ...options };
  const cur = cal[backend] ?? { wall: { logRatio: 0, n: 0 }, cpu: { logRatio: 0, n: 0 } };
  const next = {
    wall: step(cur.wall, predicted.wallSec, actual.wallSec, o),
    cpu: predicted.cpuSec !== undefined && actual.cpuSec !== undefined ? step(cur.cpu, predicted.cpuSec, actual.cpuSec, o) : cur.cpu,
  };
  return { ...cal, [backend]: next };
}

/** Multipliers for a backend's wall and CPU predictions (1 when never observed). */
export function calibrationFactors(cal: Calibration | undefined, backend: Backend): { wall: number; cpu: number } {
  const c = cal?.[backend];
  return { wall: Math.exp(c?.wall.logRatio ?? 0), cpu: Math.exp(c?.cpu.logRatio ?? 0) };
}
