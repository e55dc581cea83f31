/**
 * The one AWS price table Marquee uses to model cost (simulator metrics, cost-aware backend choice).
 *
 * Figures are typical us-east-1 list prices in USD, good enough for comparing policies, not for billing.
 * Sources and assumptions:
 * - MediaConvert on-demand is billed per *normalised* output minute: each output's minutes are
 *   multiplied by factors for resolution, frame rate, codec and passes, then priced by tier
 *   (https://aws.amazon.com/mediaconvert/pricing/ — "How to calculate normalized minutes";
 *   AWS M&E blog "Optimize costs with tiered pricing in AWS Elemental MediaConvert").
 *   Base rates as the issue gives them: Basic ≈ $0.0075, Professional ≈ $0.012 per SD minute;
 *   HD counts double and UHD four times (our normalisation factors). Accelerated transcoding is a
 *   Professional-tier feature charged at a premium; we model it as a 1.5x surcharge (assumption:
 *   check the current pricing page before relying on it). Billing is per second, 10 s minimum.
 * - EC2 Spot is billed per instance-second at the Spot price in effect
 *   (https://aws.amazon.com/ec2/spot/pricing/). Spot prices move; the AWS Auto Scaling guide's
 *   example table shows c5.4xlarge at ≈ $0.32–0.36 Spot vs $0.68 On-Demand, i.e. ≈ 50% off. We use
 *   On-Demand list prices (g4dn.xlarge $0.526, g5.xlarge $1.006, g6.xlarge $0.805,
 *   c6i.4xlarge $0.68, c7i.4xlarge $0.714 per hour) times a typical Spot discount (GPU ≈ 60% off,
 *   compute-optimised ≈ 55% off). Override with your own table for capacity planning.
 */
import type { Rendition } from './types';

export const MEDIACONVERT_TIERS = ['basic', 'professional'] as const;
export type MediaConvertTier = (typeof MEDIACONVERT_TIERS)[number];

export const BATCH_INSTANCE_TYPES = ['g4dn.xlarge', 'g5.xlarge', 'g6.xlarge', 'c6i.4xlarge', 'c7i.4xlarge'] as const;
export type BatchInstanceType = (typeof BATCH_INSTANCE_TYPES)[number];

export interface InstancePrice {
  onDemandPerHour: number;
  spotPerHour: number;
  gpus: number;
  vcpus: number;
}

export interface PriceTable {
  version: string;
  /** USD per normalised output minute (SD, 30 fps, single pass) by MediaConvert pricing tier. */
  mediaConvertPerNormalisedMinute: Record<MediaConvertTier, number>;
  /** Normalisation factor by output resolution class. */
  resolutionFactor: { sd: number; hd: number; uhd: number };
  /** Multiplier on the tier price when accelerated transcoding is on. */
  acceleratedSurcharge: number;
  /** Minimum billed seconds per MediaConvert output. */
  minimumBilledSec: number;
  /** Batch instance prices per hour. */
  instances: Record<BatchInstanceType, InstancePrice>;
}

export const DEFAULT_PRICES: PriceTable = {
  version: 'us-east-1-typical-2025',
  mediaConvertPerNormalisedMinute: { basic: 0.0075, professional: 0.012 },
  resolutionFactor: { sd: 1, hd: 2, uhd: 4 },
  acceleratedSurcharge: 1.5,
  minimumBilledSec: 10,
  instances: {
    'g4dn.xlarge': { onDemandPerHour: 0.526, spotPerHour: 0.21, gpus: 1, vcpus: 4 },
    'g5.xlarge': { onDemandPerHour: 1.006, spotPerHour: 0.4, gpus: 1, vcpus: 4 },
    'g6.xlarge': { onDemandPerHour: 0.805, spotPerHour: 0.32, gpus: 1, vcpus: 4 },
    'c6i.4xlarge': { onDemandPerHour: 0.68, spotPerHour: 0.31, gpus: 0, vcpus: 16 },
    'c7i.4xlarge': { onDemandPerHour: 0.714, spotPerHour: 0.32, gpus: 0, vcpus: 16 },
  },
};

/** Resolution class of an output as MediaConvert normalises it: SD below 720p, HD up to 1080p, UHD above. */
export function resolutionClass(height: number): 'sd' | 'hd' | 'uhd' {
  if (height < 720) return 'sd';
  if (height <= 1080) return 'hd';
  return 'uhd';
}

/** Normalised minutes per content minute of a ladder (sum of each rendition's resolution factor). */
export function normalisedMinutesPerContentMinute(ladder: readonly Pick<Rendition, 'height'>[], prices: PriceTable = DEFAULT_PRICES): number {
  let sum = 0;
  for (const r of ladder) sum += prices.resolutionFactor[resolutionClass(r.height)];
  return sum;
}

/** USD for a MediaConvert job: every output billed for the content duration, normalised, by tier. */
export function mediaConvertCostUsd(
  input: { contentSec: number; normalisedPerMinute: number; tier: MediaConvertTier; accelerated: boolean; outputs?: number },
  prices: PriceTable = DEFAULT_PRICES,
): number {
  const billedSec = Math.max(input.contentSec, prices.minimumBilledSec);
  const rate = prices.mediaConvertPerNormalisedMinute[input.tier] * (input.accelerated ? prices.acceleratedSurcharge : 1);
  return (billedSec / 60) * input.normalisedPerMinute * rate;
}

/** USD for slot time on a Batch instance at the Spot (default) or On-Demand price. */
export function batchCostUsd(
  input: { instance: BatchInstanceType; slotSec: number; slotsPerInstance?: number; spot?: boolean },
  prices: PriceTable = DEFAULT_PRICES,
): number {
  const p = prices.instances[input.instance];
  const perHour = input.spot === false ? p.onDemandPerHour : p.spotPerHour;
  return ((input.slotSec / 3600) * perHour) / (input.slotsPerInstance ?? 1);
}

/** How a pool of encoder slots is billed. */
export type PoolPricing =
  | { kind: 'mediaconvert'; tier: MediaConvertTier }
  | { kind: 'batch'; instance: BatchInstanceType; slotsPerInstance: number; spot: boolean }
  | { kind: 'free' };

/**
 * Modelled USD of running one job on a pool: MediaConvert by normalised output minutes,
 * Batch by the slot time it holds, the local pool at zero.
 */
export function jobCostUsd(
  pricing: PoolPricing,
  job: { contentSec: number; normalisedPerMinute: number; slotSec: number; accelerated: boolean },
  prices: PriceTable = DEFAULT_PRICES,
): number {
  switch (pricing.kind) {
    case 'mediaconvert':
      return mediaConvertCostUsd({ contentSec: job.contentSec, normalisedPerMinute: job.normalisedPerMinute, tier: pricing.tier, accelerated: job.accelerated }, prices);
    case 'batch':
      return batchCostUsd({ instance: pricing.instance, slotSec: job.slotSec, slotsPerInstance: pricing.slotsPerInstance, spot: pricing.spot }, prices);
    case 'free':
      return 0;
  }
}
