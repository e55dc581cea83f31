import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { calibrationFactors, updateCalibration, type Calibration } from '../core/prediction';
import type { EncodeObservation } from './runtime';

const termSchema = z.object({ logRatio: z.number().finite(), n: z.number().int().min(0) });
const calibrationSchema = z.record(z.string(), z.object({ wall: termSchema, cpu: termSchema }));

/**
 * The local machine's encode-time calibration, kept in `<out>/calibration.json` (it survives
 * `--fresh`: it describes this machine, not the jobs). Every finished rendition folds its actual vs
 * predicted time in with the prediction core's `updateCalibration`; the next run plans with it.
 * (Resumed jobs planned by an earlier run are assumed planned with this run's starting calibration.)
 */
export class CalibrationFile {
  private cal: Calibration;
  /** The calibration this run's jobs were planned with. */
  private readonly planned: Calibration;

  constructor(private readonly path: string) {
    this.cal = CalibrationFile.read(path);
    this.planned = this.cal;
  }

  /** A missing or unreadable file is an empty calibration (the model's own predictions). */
  static read(path: string): Calibration {
    if (!existsSync(path)) return {};
    try {
      const parsed = calibrationSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      return parsed.success ? (parsed.data as Calibration) : {};
    } catch {
      return {};
    }
  }

  get current(): Calibration {
    return this.cal;
  }

  /** Fold one finished rendition in (predicted as recorded on the job) and save. */
  observe(o: EncodeObservation): void {
    const predicted = o.job.prediction?.renditions.find((p) => p.renditionId === o.rendition.id);
    const backend = o.result.backend ?? 'local';
    if (!predicted || o.result.wallSec === undefined) return;
    // The job's prediction carries the calibration it was planned with; `updateCalibration` expects it
    // calibrated with the current one (which has moved during this run), so rescale it first.
    const then = calibrationFactors(this.planned, backend);
    const now = calibrationFactors(this.cal, backend);
    this.cal = updateCalibration(
      this.cal,
      backend,
      { wallSec: (predicted.wallSecP50 * now.wall) / then.wall, cpuSec: (predicted.cpuSecP50 * now.cpu) / then.cpu },
      { wallSec: o.result.wallSec, ...(o.result.cpuSec !== undefined ? { cpuSec: o.result.cpuSec } : {}) },
    );
    writeFileSync(`${this.path}.partial`, JSON.stringify(this.cal, null, 2) + '\n');
    renameSync(`${this.path}.partial`, this.path);
  }
}
