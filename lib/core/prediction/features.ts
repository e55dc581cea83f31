/**
 * The probe encode as the cost model sees it, and the feature rows built from it.
 *
 * The analyzer's probe is x264 crf 23 with configuration 1 of the x264 encode-times dataset
 * (`ultrafast`-like: cabac=0, ref=1, no deblock, no partitions, me=dia, subme=0, no b-frames,
 * no mbtree, aq off). In training, configuration 1's measured time and size per video play the probe.
 */

/** One probe encode: what it cost and what it produced, at the resolution it ran at. */
export interface ProbeObservation {
  /** Wall seconds of the probe encode over the whole title (or scaled to it). */
  wallSec: number;
  /** CPU seconds (user + system) of the probe encode. */
  cpuSec: number;
  /** Output bytes of the probe encode. */
  bytes: number;
  /** Frames encoded. */
  frames: number;
  width: number;
  height: number;
  /** Source frame rate (frames per second of content). */
  fps: number;
}

const EPS = 1e-3;
const ln = (v: number) => Math.log(Math.max(EPS, v));

/** Named log-space quantities shared by both feature rows. */
function logs(p: ProbeObservation) {
  const px = Math.max(1, p.width * p.height);
  const frames = Math.max(1, p.frames);
  return {
    lw: ln(p.wallSec),
    lc: ln(p.cpuSec),
    bpp: ln((p.bytes * 8) / frames / px),
    px: Math.log(px),
    fr: Math.log(frames),
    fps: ln(p.fps),
  };
}

/** Names of the linear-stage features (for docs and debugging). */
export const LINEAR_FEATURES = ['1', 'lnWall', 'lnCpu', 'lnBpp', 'lnPixels', 'lnFrames', 'lnWall²', 'lnCpu²', 'lnWall·lnCpu', 'lnBpp²', 'lnCpu−lnWall', 'lnFps'] as const;

/** Linear-stage row: log probe cost, bits per pixel, size and their squares (see `LINEAR_FEATURES`). */
export function linearRow(p: ProbeObservation): number[] {
  const f = logs(p);
  return [1, f.lw, f.lc, f.bpp, f.px, f.fr, f.lw * f.lw, f.lc * f.lc, f.lw * f.lc, f.bpp * f.bpp, f.lc - f.lw, f.fps];
}

/** Names of the neighbour-stage features. */
export const NEIGHBOUR_FEATURES = ['lnWall', 'lnCpu', 'lnParallelism', 'lnBpp', 'lnPixels', 'lnFrames', 'lnFps', 'lnCpuPerPixelFrame'] as const;

/**
 * Neighbour-stage row (the space in which similar training videos are looked up): the same signals
 * plus probe parallelism (cpu/wall) and cost per pixel-frame.
 */
export function neighbourRow(p: ProbeObservation): number[] {
  const f = logs(p);
  return [f.lw, f.lc, f.lc - f.lw, f.bpp, f.px, f.fr, f.fps, f.lc - f.fr - f.px];
}
