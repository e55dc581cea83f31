import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EncodeFailedError } from '../../../lib/core/errors';
import { newJob } from '../../../lib/core/job';
import { planJob } from '../../../lib/core/plan';
import type { BusinessMetadata, Job, Rendition } from '../../../lib/core/types';
import { openDb } from '../../../lib/local/db';
import type { Upload } from '../../../lib/local/ingest';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import { buildRunReport } from '../../../lib/local/report';
import { LocalRuntime } from '../../../lib/local/runtime';
import { SqliteJobStore } from '../../../lib/local/store';
import type { EncoderBackend } from '../../../lib/ports';
import { aMetadata, aProfile } from '../../helpers/factories';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const T0 = 5_000_000;
const profile = aProfile({}, { width: 1280, height: 720, durationSec: 20 });
const PREMIUM = aMetadata({ creatorTier: 'star', expectedViews: 5_000_000, premium: true, monetized: true });
const BULK = aMetadata({ creatorTier: 'new', expectedViews: 0, formats: ['mobile'] });
const upload = (name: string, meta: BusinessMetadata): Upload => ({ input: `in/${name}.mp4`, path: `/in/${name}.mp4`, sizeBytes: 10, version: 'v1', jobId: name, metadata: meta });
/** The job as the runtime will plan it (same profile, model and time), to set deadlines against its prediction. */
const planned = (meta: BusinessMetadata): Job => planJob(newJob({ id: 'probe', source: { uri: '/in/x.mp4' }, metadata: meta, now: T0 }), profile, { now: T0, backend: 'local', allocation: { localPoolSlots: 1 } });

/** One worker, a frozen clock, a deadline sweep before every pick; the encoder records what it is asked and fails (no media needed). */
function setup() {
  const db = openDb(':memory:');
  const outDir = mkdtempSync(join(tmpdir(), 'marquee-dl-'));
  dirs.push(outDir);
  const encoded: Array<{ jobId: string; rendition: Rendition }> = [];
  const encoder: EncoderBackend = {
    backend: 'local',
    async encode(task) {
      encoded.push({ jobId: task.job.id, rendition: task.rendition });
      throw new EncodeFailedError('not encoding in a unit test');
    },
  };
  const store = new SqliteJobStore(db);
  const ledger = new EncodeLedger(db);
  const runtime = new LocalRuntime({
    outDir, store, ledger, queue: new SqliteWorkQueue(db), encoder, workers: 1, maxAttempts: 1,
    analyzer: { analyze: async () => profile },
    clock: { now: () => T0 },
    deadlineSweepMs: 0,
    deadlineOptions: { marginSec: 0 },
  });
  return { runtime, store, ledger, encoded, outDir };
}

describe('deadline watch in the local runtime', () => {
  it('raises a late bulk job queued behind premium work, then switches it to a faster variant when the raise is not enough', async () => {
    const bulkP90 = planned(BULK).prediction!.wallSecP90;
    const { runtime, store, encoded } = setup();
    // Due just after its own encode, behind two premium titles: a raise lifts a bulk job one tier only
    // (the Marquee rank never lets it pass premium work), so the next sweep picks a faster variant.
    await runtime.ingest([upload('p1', PREMIUM), upload('p2', PREMIUM), upload('late', { ...BULK, deadlineAt: T0 + bulkP90 * 1000 * 1.5 })]);
    await runtime.run();
    const late = (await store.get('late'))!;
    expect(late.value?.tier).toBe('bulk');
    const actions = late.decisions.filter((d) => d.kind === 'deadline');
    expect(actions[0]!.action).toBe('raise-priority');
    expect(actions[0]!.expectedGainSec).toBeGreaterThan(0);
    expect(actions.slice(1).some((d) => d.action.startsWith('switch-variant'))).toBe(true);
    const variant = late.recipe!.variants[late.recipe!.activeVariant]!;
    expect(variant.level).toBeGreaterThan(0);
    const mine = encoded.filter((e) => e.jobId === 'late');
    expect(mine.length).toBeGreaterThan(0);
    if (variant.presetOverride) expect(mine.every((e) => e.rendition.preset === variant.presetOverride)).toBe(true);
    // Premium jobs have no deadline pressure: nothing recorded on them.
    expect((await store.get('p1'))!.decisions.some((d) => d.kind === 'deadline')).toBe(false);
  });

  it('switches a job that a raise cannot save to a faster variant, re-predicts it and encodes that variant', async () => {
    const plan = planned(PREMIUM);
    const full = plan.prediction!.wallSecP90;
    const { runtime, store, encoded, outDir } = setup();
    await runtime.ingest([upload('rush', { ...PREMIUM, deadlineAt: T0 + full * 1000 * 0.55 })]);
    await runtime.run();
    const rush = (await store.get('rush'))!;
    const actions = rush.decisions.filter((d) => d.kind === 'deadline');
    expect(actions.map((d) => d.action).some((a) => a.startsWith('switch-variant'))).toBe(true);
    const variant = rush.recipe!.variants[rush.recipe!.activeVariant]!;
    expect(variant.level).toBeGreaterThan(0);
    expect(actions.find((d) => d.action.startsWith('switch-variant'))!.qualityCostVmaf).toBe(variant.qualityCostVmaf);
    // Predicted again for the variant it will encode: faster than the full recipe.
    expect(rush.prediction!.wallSecP90).toBeLessThan(full);
    const presets = new Set(encoded.filter((e) => e.jobId === 'rush').map((e) => e.rendition.preset));
    if (variant.presetOverride) expect(presets).toEqual(new Set([variant.presetOverride]));
    const deferred = new Set(variant.deferredRenditionIds);
    expect(encoded.some((e) => deferred.has(e.rendition.id))).toBe(false);

    const report = buildRunReport({ jobs: [rush], inputs: new Map(), attempts: [], outDir, wallSec: 1, workers: 1, interrupted: false, now: T0 });
    expect(report.jobs[0]!.variant).toBe(variant.name);
    expect(report.jobs[0]!.deadlineActions!.map((d) => d.action)).toEqual(actions.map((d) => d.action));
    expect(report.deadlineActions).toEqual({ actions: actions.length, jobs: 1 });
  });
});
