/**
 * The learned model behind `EncodeTimeModel`: maps each Marquee rendition to the model's feature
 * space and applies codec, backend and calibration factors.
 *
 * Mapping (see docs/prediction.md):
 * - probe: `complexity.probeSecondsPerSecond × duration` wall seconds, `probeCpuSecondsPerSecond`
 *   (or wall × the training median CPU/wall), `probeBitsPerPixel × pixels × frames / 8` bytes;
 * - resolution: the probe ran at source resolution; a rung of `ρ = rung pixels / source pixels`
 *   sees the probe's time × ρ and bytes × ρ^0.75 (bits per pixel rise as pixels fall), and its own
 *   width, height and frame rate;
 * - preset: the x264 preset's option set → the nearest measured configuration;
 * - CRF: bytes × 2^((23 − crf) / 6) (the dataset encodes at crf 23); time unchanged;
 * - codec and backend: documented relative factors (below), then the per-backend online calibration.
 */
import type { Backend, ContentProfile, Recipe, Rendition, RenditionPrediction, VideoCodec } from '../types';
import { activeLadder } from '../recipes';
import type { ProbeObservation } from './features';
import { costsForProbe, type CostModelArtifact } from './model';
import { X264_PRESETS, encodeOptions, nearestConfig } from './options';
import { calibrationFactors, type Calibration } from './calibration';
import type { EncodeTimeModel } from './types';

/** Encode time and output size of a codec relative to x264 at the same preset name (assumed, then calibrated). */
export const CODEC_FACTORS: Record<VideoCodec, { time: number; bytes: number }> = {
  h264: { time: 1, bytes: 1 },
  hevc: { time: 3.5, bytes: 0.65 },
  vp9: { time: 2.5, bytes: 0.7 },
  av1: { time: 6, bytes: 0.55 },
};

/**
 * Backend speed relative to the dataset's x264 machine: wall and billed CPU multipliers. GPU Batch
 * encodes with NVENC (wall ≈ ¼, little CPU); MediaConvert's wall is its own service time.
 */
export const BACKEND_FACTORS: Record<Backend, { wall: number; cpu: number }> = {
  local: { wall: 1, cpu: 1 },
  'batch-cpu': { wall: 1, cpu: 1 },
  'batch-gpu': { wall: 0.25, cpu: 0.2 },
  mediaconvert: { wall: 0.5, cpu: 1 },
};

/** Options of `learnedModel`. */
export interface LearnedModelOptions {
  calibration?: Calibration;
}

/** The probe observation the analyzer's profile implies, at source resolution. */
export function probeFromProfile(profile: ContentProfile, cpuPerWall: number): ProbeObservation {
  const s = profile.source;
  const c = profile.complexity;
  const dur = Math.max(0.04, s.durationSec);
  const fps = s.fps > 0 ? s.fps : 30;
  const frames = s.frameCount && s.frameCount > 0 ? s.frameCount : Math.max(1, Math.round(fps * dur));
  const wallSec = Math.max(1e-3, (c.probeSecondsPerSecond || 0) * dur);
  const cpuSec = c.probeCpuSecondsPerSecond && c.probeCpuSecondsPerSecond > 0 ? c.probeCpuSecondsPerSecond * dur : wallSec * cpuPerWall;
  const bytes = Math.max(1, ((c.probeBitsPerPixel || 0.05) * s.width * s.height * frames) / 8);
  return { wallSec, cpuSec, bytes, frames, width: s.width, height: s.height, fps };
}

/** The probe as a rung would see it: scaled to the rung's pixels and frame rate. */
export function probeForRendition(probe: ProbeObservation, r: Pick<Rendition, 'width' | 'height' | 'fps'>): ProbeObservation {
  const rho = (r.width * r.height) / Math.max(1, probe.width * probe.height);
  const fpsShare = r.fps > 0 && r.fps < probe.fps ? r.fps / probe.fps : 1;
  return {
    wallSec: probe.wallSec * rho * fpsShare,
    cpuSec: probe.cpuSec * rho * fpsShare,
    bytes: probe.bytes * Math.pow(rho, 0.75) * fpsShare,
    frames: Math.max(1, Math.round(probe.frames * fpsShare)),
    width: r.width,
    height: r.height,
    fps: Math.min(probe.fps, r.fps > 0 ? r.fps : probe.fps),
  };
}

/** Configuration index for an x264 preset name (unknown names fall back to `medium`). */
export function presetConfigIndex(model: CostModelArtifact, preset: string): number {
  const options = X264_PRESETS[preset] ?? X264_PRESETS.medium!;
  return nearestConfig(encodeOptions(options), model.configs);
}

/**
 * An `EncodeTimeModel` backed by a trained artifact (from `fromJSON`). Per rendition: the probe
 * scaled to the rung, the preset's configuration, codec and backend factors, and the calibration.
 */
export function learnedModel(artifact: CostModelArtifact, options: LearnedModelOptions = {}): EncodeTimeModel {
  const presetIndex = new Map<string, number>();
  const indexFor = (preset: string) => {
    let i = presetIndex.get(preset);
    if (i === undefined) {
      i = presetConfigIndex(artifact, preset);
      presetIndex.set(preset, i);
    }
    return i;
  };
  return {
    version: artifact.version,
    predictRenditions(recipe: Recipe, profile: ContentProfile, backend: Backend): RenditionPrediction[] {
      const probe = probeFromProfile(profile, artifact.probeCpuPerWall);
      const cal = calibrationFactors(options.calibration, backend);
      const bf = BACKEND_FACTORS[backend];
      return activeLadder(recipe).map((r) => {
        const cost = costsForProbe(artifact, probeForRendition(probe, r))(indexFor(r.preset));
        const cf = CODEC_FACTORS[r.codec] ?? CODEC_FACTORS.h264;
        const wall = cf.time * bf.wall * cal.wall;
        const cpu = cf.time * bf.cpu * cal.cpu;
        const capBytes = (r.maxBitrateKbps * 1000 * profile.source.durationSec) / 8;
        const bytes = cost.bytes * cf.bytes * Math.pow(2, (23 - r.crf) / 6);
        return {
          renditionId: r.id,
          backend,
          wallSecP50: cost.wallSecP50 * wall,
          wallSecP90: Math.max(cost.wallSecP90, cost.wallSecP50) * wall,
          cpuSecP50: cost.cpuSecP50 * cpu,
          cpuSecP90: Math.max(cost.cpuSecP90, cost.cpuSecP50) * cpu,
          outputBytes: capBytes > 0 ? Math.min(bytes, capBytes) : bytes,
        };
      });
    },
  };
}
