import type { ContentProfile, OutputFormat, Recipe, RecipeVariant, Rendition, ValueScore } from '../types';

/** v0 recipe engine — the recipes issue replaces this with content-aware ladders. */
export interface RecipeInput {
  jobId: string;
  profile: ContentProfile;
  value: ValueScore;
  formats: OutputFormat[];
}

interface Rung {
  height: number;
  format: OutputFormat;
  maxBitrateKbps: number;
}

const RUNGS: Rung[] = [
  { height: 240, format: 'mobile', maxBitrateKbps: 400 },
  { height: 360, format: 'mobile', maxBitrateKbps: 800 },
  { height: 540, format: 'sd', maxBitrateKbps: 2000 },
  { height: 720, format: 'hd', maxBitrateKbps: 3500 },
  { height: 1080, format: 'hd', maxBitrateKbps: 6000 },
  { height: 2160, format: 'uhd', maxBitrateKbps: 16000 },
];

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));

export function chooseRecipe(input: RecipeInput): Recipe {
  const { source } = input.profile;
  const gopSeconds = 2;
  const fps = Math.min(source.fps, 60);
  const wanted = new Set(input.formats.includes('abr') ? ['mobile', 'sd', 'hd', 'uhd'] : input.formats);
  const rungs = RUNGS.filter((r) => wanted.has(r.format) && r.height <= source.height);
  const chosen = rungs.length > 0 ? rungs : [{ height: source.height, format: 'mobile' as const, maxBitrateKbps: 800 }];
  const ladder: Rendition[] = chosen.map((r, i) => {
    const height = even(r.height);
    const width = even((source.width * height) / source.height);
    return {
      id: `${height}p-h264`,
      format: r.format,
      width,
      height,
      fps,
      codec: 'h264',
      crf: 23,
      qvbrQuality: input.value.levers.qualityLevel,
      maxBitrateKbps: r.maxBitrateKbps,
      bufferKbits: r.maxBitrateKbps * 2,
      preset: 'medium',
      profile: 'high',
      gopSeconds,
      closedGop: true,
      mandatory: i === 0 || i === chosen.length - 1,
    };
  });
  const variants: RecipeVariant[] = [
    { level: 0, name: 'full', description: 'full quality', expectedSpeedup: 1, qualityCostVmaf: 0, accelerated: false, deferredRenditionIds: [] },
    { level: 1, name: 'fast-preset', description: 'x264 veryfast', expectedSpeedup: 2.5, qualityCostVmaf: 2, accelerated: true, deferredRenditionIds: [], presetOverride: 'veryfast' },
  ];
  return {
    id: `${input.jobId}-r0`,
    ladder,
    audio: source.audio ? { codec: 'aac', bitrateKbps: 128, channels: Math.min(2, source.audio.channels), sampleRate: 48000 } : null,
    packaging: input.formats.includes('abr') ? ['hls', 'mp4'] : ['mp4'],
    gopSeconds,
    variants,
    activeVariant: 0,
    rationale: ['v0 fixed ladder'],
  };
}

/** The ladder as it runs under the active variant (preset override, deferred rungs removed). */
export function activeLadder(recipe: Recipe): Rendition[] {
  const variant = recipe.variants[recipe.activeVariant];
  if (!variant) return recipe.ladder;
  return recipe.ladder
    .filter((r) => !variant.deferredRenditionIds.includes(r.id))
    .map((r) => (variant.presetOverride ? { ...r, preset: variant.presetOverride } : r));
}
