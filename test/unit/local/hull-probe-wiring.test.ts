import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RenditionResult, Tier } from '../../../lib/core/types';
import { openDb } from '../../../lib/local/db';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import { LocalRuntime } from '../../../lib/local/runtime';
import { SqliteJobStore } from '../../../lib/local/store';
import type { EncoderBackend } from '../../../lib/ports';
import { aMetadata, aProfile } from '../../helpers/factories';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const encoder: EncoderBackend = {
  backend: 'local',
  async encode(task): Promise<RenditionResult> {
    return { renditionId: task.rendition.id, status: 'done', outputs: [], wallSec: 1, cpuSec: 1 };
  },
};

describe('measured ladders in the local runtime', () => {
  it('trial-encodes only titles of tiers that pay for it and long enough, and plans anyway when the probe fails', async () => {
    const probed: { uri: string; tier: Tier }[] = [];
    const db = openDb(':memory:');
    const outDir = mkdtempSync(join(tmpdir(), 'marquee-hull-'));
    dirs.push(outDir);
    const store = new SqliteJobStore(db);
    const durations: Record<string, number> = { star: 120, starShort: 10, bulk: 120 };
    const runtime = new LocalRuntime({
      outDir,
      store,
      ledger: new EncodeLedger(db),
      queue: new SqliteWorkQueue(db),
      encoder,
      workers: 1,
      quality: undefined,
      analyzer: {
        async analyze(uri) {
          const name = uri.split('/').pop()!.replace('.mp4', '');
          return aProfile({}, { width: 640, height: 360, durationSec: durations[name] ?? 10 });
        },
      },
      hullProbe: {
        minDurationSec: 60,
        async probe(uri, _profile, tier) {
          probed.push({ uri, tier });
          throw new Error('trial encode crashed');
        },
      },
    });
    const premium = aMetadata({ creatorTier: 'star', expectedViews: 5e6, monetized: true, premium: true });
    const bulk = aMetadata({ creatorTier: 'new', expectedViews: 0 });
    await runtime.ingest([
      { input: 'star.mp4', path: '/in/star.mp4', sizeBytes: 1, version: 'v', jobId: 'star', metadata: premium },
      { input: 'starShort.mp4', path: '/in/starShort.mp4', sizeBytes: 1, version: 'v', jobId: 'starShort', metadata: premium },
      { input: 'bulk.mp4', path: '/in/bulk.mp4', sizeBytes: 1, version: 'v', jobId: 'bulk', metadata: bulk },
    ]);
    await runtime.run();
    expect(probed.map((p) => p.uri)).toEqual(['/in/star.mp4']);
    expect(['critical', 'premium']).toContain(probed[0]!.tier);
    const star = (await store.get('star'))!;
    expect(star.recipe?.ladder.length).toBeGreaterThan(0);
    expect(star.history.map((h) => h.to)).toContain('ANALYZED');
  });
});
