/** Metrics of one simulated run: per-tier turnaround, deadlines, downgrades, utilisation, throughput, cost. */
import { TIERS, type Tier } from '../core/types';

export interface TierStats {
  jobs: number;
  published: number;
  turnaroundMinP50: number;
  turnaroundMinP95: number;
  turnaroundMinP99: number;
  /** Turnaround minutes per content minute. */
  perContentMinP50: number;
  perContentMinP95: number;
  perContentMinP99: number;
  deadlineMet: number;
}

export interface RunMetrics {
  jobs: number;
  published: number;
  failed: number;
  lostJobs: number;
  duplicatedJobs: number;
  perTier: Record<Tier, TierStats>;
  deadlineMet: number;
  downgraded: number;
  downgradedShare: number;
  /** Mean VMAF points lost over downgraded jobs. */
  downgradeQualityCostVmaf: number;
  utilisation: number;
  peakUtilisation: number;
  /** Offered reference work / fleet capacity in the peak window. */
  peakOfferedLoad: number;
  throughputJobsPerHour: number;
  contentHoursPerHour: number;
  costUsd: number;
  costPerContentMinute: number;
  /** The same published jobs priced as FIFO on MediaConvert Professional with the full ladder. */
  fifoProCostPerContentMinute: number;
  retries: number;
  deadlineActions: number;
  admissionsDegraded: number;
  simulatedHours: number;
  /** Reference work (slot-seconds at speed 1) delivered by successful tasks in each simulated hour. */
  workByHour: number[];
  /** Tasks preempted by the fast lane, and the slot-seconds of work they lost. */
  preemptions: number;
  preemptedSec: number;
}

/** Quantile of an unsorted array (sorts a copy), linear interpolation; NaN for empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

/** Collects per-job outcomes and per-hour slot accounting as the simulation runs. */
export class MetricsCollector {
  private turnaround: number[][] = TIERS.map(() => []);
  private perContent: number[][] = TIERS.map(() => []);
  private met = TIERS.map(() => 0);
  private jobsByTier = TIERS.map(() => 0);
  private publishedByTier = TIERS.map(() => 0);
  readonly busyByHour: Float64Array;
  readonly availByHour: Float64Array;
  readonly offeredByHour: Float64Array;
  /** Reference work delivered by successful tasks, by hour (throughput at saturation). */
  readonly workByHour: Float64Array;
  failed = 0;
  downgraded = 0;
  downgradeCost = 0;
  costUsd = 0;
  fifoProCostUsd = 0;
  publishedContentSec = 0;
  retries = 0;
  deadlineActions = 0;
  admissionsDegraded = 0;
  preemptions = 0;
  preemptedSec = 0;

  constructor(readonly hours: number) {
    this.busyByHour = new Float64Array(hours + 1);
    this.availByHour = new Float64Array(hours + 1);
    this.offeredByHour = new Float64Array(hours + 1);
    this.workByHour = new Float64Array(hours + 1);
  }

  /** Credit reference work delivered at `atMs`. */
  addWork(atMs: number, refWorkSec: number): void {
    this.workByHour[Math.min(this.hours, Math.floor(atMs / 3_600_000))]! += refWorkSec;
  }

  arrived(tierIndex: number, atMs: number, refWorkSec: number): void {
    this.jobsByTier[tierIndex]!++;
    const h = Math.min(this.hours, Math.floor(atMs / 3_600_000));
    this.offeredByHour[h]! += refWorkSec;
  }

  /** Spread `slots` busy (or available) over [fromMs, toMs) into hour buckets. */
  addInterval(target: Float64Array, fromMs: number, toMs: number, slots: number): void {
    let t = fromMs;
    while (t < toMs) {
      const h = Math.floor(t / 3_600_000);
      if (h >= this.hours) return;
      const end = Math.min(toMs, (h + 1) * 3_600_000);
      target[h]! += ((end - t) / 1000) * slots;
      t = end;
    }
  }

  published(o: { tierIndex: number; createdAt: number; finishedAt: number; deadlineAt: number; contentSec: number; qualityCost: number; downgraded: boolean; fifoProCost: number }): void {
    const mins = (o.finishedAt - o.createdAt) / 60_000;
    this.turnaround[o.tierIndex]!.push(mins);
    this.perContent[o.tierIndex]!.push(mins / Math.max(1e-9, o.contentSec / 60));
    this.publishedByTier[o.tierIndex]!++;
    if (o.finishedAt <= o.deadlineAt) this.met[o.tierIndex]!++;
    if (o.downgraded) {
      this.downgraded++;
      this.downgradeCost += o.qualityCost;
    }
    this.publishedContentSec += o.contentSec;
    this.fifoProCostUsd += o.fifoProCost;
  }

  summarise(extra: { lostJobs: number; duplicatedJobs: number; capacityRefPerSec: number; peakHour: (h: number) => boolean; arrivalHours: number }): RunMetrics {
    const perTier = {} as Record<Tier, TierStats>;
    TIERS.forEach((t, i) => {
      perTier[t] = {
        jobs: this.jobsByTier[i]!,
        published: this.publishedByTier[i]!,
        turnaroundMinP50: quantile(this.turnaround[i]!, 0.5),
        turnaroundMinP95: quantile(this.turnaround[i]!, 0.95),
        turnaroundMinP99: quantile(this.turnaround[i]!, 0.99),
        perContentMinP50: quantile(this.perContent[i]!, 0.5),
        perContentMinP95: quantile(this.perContent[i]!, 0.95),
        perContentMinP99: quantile(this.perContent[i]!, 0.99),
        deadlineMet: this.jobsByTier[i]! > 0 ? this.met[i]! / this.jobsByTier[i]! : NaN,
      };
    });
    const jobs = this.jobsByTier.reduce((a, b) => a + b, 0);
    const published = this.publishedByTier.reduce((a, b) => a + b, 0);
    let busy = 0;
    let avail = 0;
    let peakBusy = 0;
    let peakAvail = 0;
    let peakOffered = 0;
    for (let h = 0; h < extra.arrivalHours && h < this.hours; h++) {
      busy += this.busyByHour[h]!;
      avail += this.availByHour[h]!;
      if (extra.peakHour(h)) {
        peakBusy += this.busyByHour[h]!;
        peakAvail += this.availByHour[h]!;
        peakOffered += this.offeredByHour[h]!;
      }
    }
    const peakHours = Array.from({ length: extra.arrivalHours }, (_, h) => h).filter(extra.peakHour).length;
    const contentMin = this.publishedContentSec / 60;
    return {
      jobs,
      published,
      failed: this.failed,
      lostJobs: extra.lostJobs,
      duplicatedJobs: extra.duplicatedJobs,
      perTier,
      deadlineMet: jobs > 0 ? this.met.reduce((a, b) => a + b, 0) / jobs : NaN,
      downgraded: this.downgraded,
      downgradedShare: jobs > 0 ? this.downgraded / jobs : 0,
      downgradeQualityCostVmaf: this.downgraded > 0 ? this.downgradeCost / this.downgraded : 0,
      utilisation: avail > 0 ? busy / avail : 0,
      peakUtilisation: peakAvail > 0 ? peakBusy / peakAvail : 0,
      peakOfferedLoad: peakHours > 0 ? peakOffered / (extra.capacityRefPerSec * peakHours * 3600) : 0,
      throughputJobsPerHour: published / Math.max(1, extra.arrivalHours),
      contentHoursPerHour: this.publishedContentSec / 3600 / Math.max(1, extra.arrivalHours),
      costUsd: this.costUsd,
      costPerContentMinute: contentMin > 0 ? this.costUsd / contentMin : 0,
      fifoProCostPerContentMinute: contentMin > 0 ? this.fifoProCostUsd / contentMin : 0,
      retries: this.retries,
      deadlineActions: this.deadlineActions,
      admissionsDegraded: this.admissionsDegraded,
      simulatedHours: this.hours,
      workByHour: Array.from(this.workByHour),
      preemptions: this.preemptions,
      preemptedSec: this.preemptedSec,
    };
  }
}
