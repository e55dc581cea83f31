/** Test data for the pipeline tests: renditions and ladders with sensible defaults. */
import type { Backend, Rendition } from '../../../lib/core/types';

export function aRendition(over: Partial<Rendition> = {}): Rendition {
  const height = over.height ?? 720;
  const codec = over.codec ?? 'h264';
  return {
    id: `${height}p-${codec}`,
    format: height >= 2160 ? 'uhd' : height >= 720 ? 'hd' : height >= 540 ? 'sd' : 'mobile',
    width: Math.round((height * 16) / 9 / 2) * 2,
    height,
    fps: 30,
    codec,
    crf: 23,
    qvbrQuality: 7,
    maxBitrateKbps: 3500,
    bufferKbits: 7000,
    preset: 'medium',
    profile: 'high',
    gopSeconds: 2,
    closedGop: true,
    mandatory: false,
    ...over,
  };
}

/** A 4K premium ladder: 240p, 360p, 720p, 1080p H.264 and a 2160p HEVC top rung. */
export function aPremiumLadder(): Rendition[] {
  return [aRendition({ height: 240 }), aRendition({ height: 360 }), aRendition({ height: 720 }), aRendition({ height: 1080 }), aRendition({ height: 2160, codec: 'hevc' })];
}

/** Encode cost proportional to pixels × duration; GPU encodes 4K five times faster. */
export const pixelCost =
  (durationSec: number) =>
  (r: Rendition, backend: Backend): number =>
    ((r.width * r.height) / (1920 * 1080)) * durationSec * (backend === 'batch-gpu' ? 0.2 : 1);
