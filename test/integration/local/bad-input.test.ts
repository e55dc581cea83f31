import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport, RunReport } from '../../../lib/local/report';
import { runLocal } from '../../../lib/local/session';
import { ffmpegPath } from '../../../lib/media/binaries';
import { run } from '../../../lib/media/process';
import { capturedIo, HIGH_VALUE, tempDir, testConfig, tinyClip } from './helpers';

const root = tempDir('bad');
const inDir = join(root, 'in');
const junkDir = join(inDir, 'junk');
let report: RunReport;
let exitCode: number;

const job = (name: string): JobReport => {
  const j = report.jobs.find((x) => x.source.endsWith(name));
  if (!j) throw new Error(`no job for ${name}: ${report.jobs.map((x) => x.source).join(', ')}`);
  return j;
};

beforeAll(async () => {
  mkdirSync(junkDir, { recursive: true });
  const good = await tinyClip(inDir, 'good', 'animation', HIGH_VALUE, { durationSec: 1 });
  writeFileSync(join(inDir, 'zero.mp4'), '');
  const bytes = readFileSync(good);
  writeFileSync(join(inDir, 'truncated.mp4'), bytes.subarray(0, Math.floor(statSync(good).size * 0.3)));
  writeFileSync(join(inDir, 'random.mp4'), randomBytes(64 * 1024));
  await run(ffmpegPath(), ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=1', '-c:a', 'aac', join(inDir, 'audio-only.mp4')], { timeoutMs: 30_000 });
  writeFileSync(join(junkDir, 'notes.txt'), 'meeting notes, not a video\n');
  writeFileSync(join(junkDir, 'orphan.json'), JSON.stringify({ premium: true }));
  writeFileSync(join(junkDir, 'image.png'), randomBytes(2048));
  await tinyClip(inDir, 'badjson', 'static', '{ "creatorTier": "star", ', { durationSec: 1 });
  await tinyClip(inDir, 'outofrange', 'static', { creatorTier: 'celebrity', expectedViews: -3, trending: 7 }, { durationSec: 1 });
  ({ report, exitCode } = await runLocal([inDir], testConfig(join(root, 'out')), capturedIo()));
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bad input', () => {
  it('finishes the run with exit 0: every job terminal, the good clip published', () => {
    expect(exitCode).toBe(0);
    expect(job('good.mp4').status).toBe('PUBLISHED');
    expect(report.jobs).toHaveLength(10);
  });

  it.each([
    ['zero.mp4', /empty \(0 bytes\).*upload (the file|it) again/],
    ['truncated.mp4', /truncated|moov atom|corrupt/],
    ['random.mp4', /not a readable media file|invalid data/i],
    ['audio-only.mp4', /no video|audio/i],
    ['junk/notes.txt', /not a readable media file|invalid data|not a video/i],
    ['junk/image.png', /not a readable media file|invalid data|no decodable video|not a video/i],
    ['junk/orphan.json', /JSON file, not a video/],
    ['badjson.mp4', /sidecar badjson\.json is not valid JSON/],
    ['outofrange.mp4', /sidecar outofrange\.json: invalid metadata.*creatorTier/],
  ])('rejects %s with a reason a person can act on', (name, reason) => {
    const j = job(name);
    expect(j.status).toBe('REJECTED');
    expect(j.reason).toMatch(reason);
    expect(j.encodeAttempts).toBe(0);
  });

  it('names every out-of-range field of a sidecar', () => {
    const reason = job('outofrange.mp4').reason!;
    expect(reason).toMatch(/expectedViews/);
    expect(reason).toMatch(/trending/);
  });
});

describe('one run per output folder', () => {
  it('refuses to share an output folder with a live run, naming its pid', async () => {
    const out = join(root, 'busy');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.lock'), String(process.ppid));
    await expect(runLocal([inDir], testConfig(out), capturedIo())).rejects.toThrow(new RegExp(`another marquee run \\(pid ${process.ppid}\\) is using`));
  });

  it('takes over a lock left by a process that is gone', async () => {
    const out = join(root, 'stale');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, '.lock'), '2147483646');
    const res = await runLocal([join(inDir, 'zero.mp4')], testConfig(out), capturedIo());
    expect(res.report.jobs.map((j) => j.status)).toEqual(['REJECTED']);
  });
});
