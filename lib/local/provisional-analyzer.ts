/**
 * TEMPORARY — a minimal ContentAnalyzer so the local runtime runs before lib/media/analyze.ts lands:
 * the FfprobeProber's facts, with complexity guessed from the source bitrate. Delete once the analysis
 * engineer's analyzer is committed (the runtime takes any ContentAnalyzer).
 */
import { classifyContent, difficultyOf } from '../core/analysis';
import type { ComplexityFeatures, ContentProfile } from '../core/types';
import type { ContentAnalyzer, ProbeOptions, Prober } from '../ports';
import { FfprobeProber } from '../media/probe';

export class ProvisionalAnalyzer implements ContentAnalyzer {
  constructor(private readonly prober: Prober = new FfprobeProber()) {}

  async analyze(uri: string, opts: ProbeOptions = {}): Promise<ContentProfile> {
    const started = performance.now();
    const source = await this.prober.probe(uri, opts);
    const { width, height, fps, bitrateKbps } = source;
    const bpp = width && height && fps ? (bitrateKbps * 1000) / (width * height * fps) : 0.1;
    const complexity: ComplexityFeatures = {
      spatialInfo: 50,
      temporalInfo: Math.min(60, bpp * 200),
      sceneCutsPerMinute: 0,
      probeBitsPerPixel: bpp,
      probeFps: 0,
      probeSecondsPerSecond: Math.max(0.05, ((width * height) / (1920 * 1080)) * 0.4),
      sampledShare: 0,
    };
    const audio = { kind: source.audio ? ('music' as const) : ('none' as const), channels: source.audio?.channels ?? 0 };
    return { source, complexity, audio, contentClass: classifyContent(complexity, audio), difficulty: difficultyOf(complexity), analysisWallMs: performance.now() - started };
  }
}
