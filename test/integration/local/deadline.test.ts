import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDb } from '../../../lib/local/db';
import { discoverUploads } from '../../../lib/local/ingest';
import { EncodeLedger } from '../../../lib/local/ledger';
import { SqliteWorkQueue } from '../../../lib/local/queue';
import { buildRunReport, formatRunReport } from '../../../lib/local/report';
import { LocalRuntime } from '../../../lib/local/runtime';
import { SqliteJobStore } from '../../../lib/local/store';
import { FfmpegContentAnalyzer } from '../../../lib/media/analyze';
import { LocalFfmpegEncoder } from '../../../lib/media/encode';
import { FfmpegQualityMeter } from '../../../lib/media/quality';
import { HIGH_VALUE, tempDir, tinyClip } from './helpers';

const root = tempDir('deadline');
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('a premium upload due at once is switched to a faster variant, published with its mandatory rungs first and the deferred rungs later; the report shows the action', async () => {
  const inDir = join(root, 'in');
  mkdirSync(inDir, { recursive: true });
  // The clock is frozen an hour ahead, and the deadline is 1 ms after upload: no action can meet it,
  // so the deadline watch takes the one that gains most (a faster variant). No safety margin, so the
  // lateness is the encode itself.
  const t0 = Date.now() + 3_600_000;
  await tinyClip(inDir, 'breaking', 'motion', undefined, { durationSec: 2, audio: 'music', width: 320, height: 180 });
  writeFileSync(join(inDir, 'breaking.json'), JSON.stringify({ ...HIGH_VALUE, deadline: t0 + 1 }));
  const db = openDb(':memory:');
  const store = new SqliteJobStore(db);
  const ledger = new EncodeLedger(db);
  const runtime = new LocalRuntime({
    outDir: join(root, 'out'), store, ledger, queue: new SqliteWorkQueue(db), workers: 1,
    analyzer: new FfmpegContentAnalyzer(), encoder: new LocalFfmpegEncoder({ threads: 1 }), quality: new FfmpegQualityMeter({ threads: 1 }),
    clock: { now: () => t0 }, deadlineSweepMs: 0, deadlineOptions: { marginSec: 0 },
  });
  await runtime.ingest(await discoverUploads([inDir]));
  await runtime.run();
  const [job] = await store.list();
  const attempts = ledger.attempts();
  db.close();
  expect(job!.status).toBe('PUBLISHED');
  const switched = job!.decisions.find((d) => d.kind === 'deadline' && d.action.startsWith('switch-variant'));
  expect(switched).toBeDefined();
  const variant = job!.recipe!.variants[job!.recipe!.activeVariant]!;
  expect(variant.level).toBeGreaterThan(0);
  expect(switched!.action).toContain(variant.name);

  const report = buildRunReport({ jobs: [job!], inputs: new Map(), attempts, outDir: join(root, 'out'), wallSec: 1, workers: 1, interrupted: false, now: t0 });
  expect(report.jobs[0]).toMatchObject({ status: 'PUBLISHED', variant: variant.name });
  expect(report.jobs[0]!.deadlineActions!.some((d) => d.action === switched!.action)).toBe(true);
  // "The rest later": the deferred rungs were encoded after the job published, verified with the
  // whole ladder, and added to the HLS master.
  expect(variant.deferredRenditionIds.length).toBeGreaterThan(0);
  expect(job!.decisions.some((d) => d.action.startsWith('publish deferred rungs'))).toBe(true);
  const master = readFileSync(join(root, 'out', job!.id, 'hls', 'master.m3u8'), 'utf8');
  for (const id of variant.deferredRenditionIds) {
    expect(job!.renditions.find((r) => r.renditionId === id)).toMatchObject({ status: 'done' });
    expect(master).toContain(`${id}/index.m3u8`);
  }
  expect(report.jobs[0]!.renditions.filter((r) => r.status === 'done')).toHaveLength(job!.recipe!.ladder.length);
  expect(report.prediction!.renditions).toBe(report.jobs[0]!.renditions.length);
  expect(formatRunReport(report)).toMatch(/deadline watch: [1-9]\d* action\(s\) on 1 job\(s\)/);
}, 120_000);
