import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { synthesizeClip, type SynthKind, type SynthOptions } from '../media/synth';

/** One clip of the sample workload and the business metadata its sidecar carries. */
export interface SampleSpec {
  name: string;
  kind: SynthKind;
  width: number;
  height: number;
  durationSec: number;
  audio: NonNullable<SynthOptions['audio']>;
  /** Sidecar fields; `deadlineInMin` becomes an ISO `deadline` relative to when the sample is made. */
  meta: Record<string, unknown> & { deadlineInMin?: number };
}

/**
 * A dozen short clips of visibly different complexity (still, slides, animation, talking head,
 * grain, high motion) from 360p to 1080p, with value signals that spread them over all four tiers.
 */
export const SAMPLE_WORKLOAD: readonly SampleSpec[] = [
  { name: 'keynote-live', kind: 'static', width: 1280, height: 720, durationSec: 5, audio: 'speech', meta: { title: 'Keynote opening', creatorTier: 'star', expectedViews: 2_000_000, monetized: true, premium: true, deadlineInMin: 3 } },
  { name: 'finals-highlights', kind: 'motion', width: 640, height: 360, durationSec: 5, audio: 'music', meta: { title: 'Finals highlights', creatorTier: 'star', expectedViews: 5_000_000, monetized: true, premium: true, trending: 1, deadlineInMin: 2 } },
  { name: 'movie-trailer', kind: 'motion', width: 1280, height: 720, durationSec: 3, audio: 'music', meta: { title: 'Trailer', creatorTier: 'partner', expectedViews: 500_000, monetized: true, premium: true, deadlineInMin: 5 } },
  { name: 'cartoon-episode', kind: 'animation', width: 1920, height: 1080, durationSec: 3, audio: 'music', meta: { title: 'Cartoon episode 12', creatorTier: 'partner', expectedViews: 200_000, monetized: true, premium: false } },
  { name: 'kids-songs', kind: 'animation', width: 854, height: 480, durationSec: 6, audio: 'music', meta: { title: 'Sing-along', creatorTier: 'partner', expectedViews: 1_000_000, monetized: true } },
  { name: 'travel-vlog', kind: 'talking', width: 640, height: 360, durationSec: 6, audio: 'speech', meta: { title: 'Day 3 in Lisbon', creatorTier: 'regular', expectedViews: 20_000, monetized: true } },
  { name: 'gameplay-clip', kind: 'noisy', width: 640, height: 360, durationSec: 3, audio: 'music', meta: { title: 'Speedrun attempt', creatorTier: 'regular', expectedViews: 50_000, trending: 0.8 } },
  { name: 'product-demo', kind: 'slides', width: 960, height: 540, durationSec: 5, audio: 'speech', meta: { title: 'Product demo', creatorTier: 'regular', expectedViews: 5_000, deadlineInMin: 4 } },
  { name: 'lecture-slides', kind: 'slides', width: 1280, height: 720, durationSec: 8, audio: 'speech', meta: { title: 'Lecture 4: queues', creatorTier: 'new', expectedViews: 500 } },
  { name: 'pet-video', kind: 'talking', width: 640, height: 360, durationSec: 3, audio: 'none', meta: { creatorTier: 'new', expectedViews: 100 } },
  { name: 'skate-session', kind: 'motion', width: 640, height: 360, durationSec: 4, audio: 'music', meta: { creatorTier: 'new', expectedViews: 800, formats: ['mobile', 'sd'] } },
  { name: 'archive-card', kind: 'static', width: 640, height: 360, durationSec: 8, audio: 'none', meta: { creatorTier: 'new', expectedViews: 0, formats: ['mobile'] } },
];

/**
 * Make the sample workload in `dir` (clips + sidecars), keeping whatever is there already: a rerun
 * finds the same files, so its jobs keep their identity and resume. Returns the folder.
 */
export async function ensureSampleWorkload(dir: string, now: number, log: (line: string) => void = () => undefined, specs: readonly SampleSpec[] = SAMPLE_WORKLOAD): Promise<string> {
  await mkdir(dir, { recursive: true });
  const made: string[] = [];
  for (const s of specs) {
    const clip = join(dir, `${s.name}.mp4`);
    const sidecar = join(dir, `${s.name}.json`);
    if (!(existsSync(clip) && statSync(clip).size > 0)) {
      const partial = join(dir, `.${s.name}.partial.mp4`);
      await synthesizeClip(s.kind, partial, { width: s.width, height: s.height, durationSec: s.durationSec, audio: s.audio });
      await rename(partial, clip);
      made.push(s.name);
    }
    if (!existsSync(sidecar)) {
      const { deadlineInMin, ...meta } = s.meta;
      const body = deadlineInMin === undefined ? meta : { ...meta, deadline: new Date(now + deadlineInMin * 60_000).toISOString() };
      await writeFile(sidecar, JSON.stringify(body, null, 2) + '\n');
    }
  }
  if (made.length > 0) log(`made ${made.length} sample clip(s) in ${dir}`);
  return dir;
}
