import { chmodSync, mkdirSync, mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { discoverUploads, jobIdFor, parseSidecar } from '../../../lib/local/ingest';

const root = mkdtempSync(join(tmpdir(), 'marquee-ingest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const file = (rel: string, body: string | Buffer = 'x') => {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, body);
  return p;
};

describe('discoverUploads', () => {
  it('pairs a video with its <name>.json sidecar and does not treat the sidecar as an upload', async () => {
    file('a/clip.mp4');
    file('a/clip.json', JSON.stringify({ creatorTier: 'star', premium: true, expectedViews: 10 }));
    const uploads = await discoverUploads([join(root, 'a')]);
    expect(uploads.map((u) => u.input)).toEqual([join(root, 'a', 'clip.mp4')]);
    expect(uploads[0]!.metadata).toMatchObject({ creatorTier: 'star', premium: true, expectedViews: 10 });
    expect(uploads[0]!.rejectReason).toBeUndefined();
  });

  it('keeps the input path as the user gave it for files found in a folder', async () => {
    file('b/x.mov');
    const [u] = await discoverUploads([join(root, 'b')]);
    expect(u!.input).toBe(join(root, 'b', 'x.mov'));
  });

  it('rejects an empty file, a missing path, a sidecar that is not JSON and one with out-of-range fields', async () => {
    file('c/empty.mp4', '');
    file('c/bad.mp4');
    file('c/bad.json', '{ "creatorTier": "star",');
    file('c/range.mp4');
    file('c/range.json', JSON.stringify({ expectedViews: -5, trending: 3 }));
    const uploads = await discoverUploads([join(root, 'c'), join(root, 'nope.mp4')]);
    const reason = (name: string) => uploads.find((u) => u.input.endsWith(name))?.rejectReason ?? '';
    expect(reason('empty.mp4')).toMatch(/empty \(0 bytes\)/);
    expect(reason('bad.mp4')).toMatch(/sidecar bad\.json is not valid JSON/);
    expect(reason('range.mp4')).toMatch(/sidecar range\.json: .*expectedViews: must not be negative/);
    expect(reason('range.mp4')).toMatch(/trending/);
    expect(reason('nope.mp4')).toMatch(/file not found/);
  });

  it('turns an orphan .json into an upload rejected with a hint, and skips hidden files', async () => {
    file('d/manifest.json', '{}');
    file('d/.DS_Store');
    const uploads = await discoverUploads([join(root, 'd')]);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.rejectReason).toMatch(/JSON file, not a video.*manifest\.mp4/);
  });

  it('gives the same upload the same job id on every run, and a new id when the file or its sidecar changes', async () => {
    const p = file('e/v.mp4', 'abc');
    const first = (await discoverUploads([p]))[0]!.jobId;
    expect((await discoverUploads([p]))[0]!.jobId).toBe(first);
    expect(first).toMatch(/^v-[0-9a-f]{10}$/);
    file('e/v.json', '{"premium":true}');
    const withSidecar = (await discoverUploads([p]))[0]!.jobId;
    expect(withSidecar).not.toBe(first);
    utimesSync(p, new Date(2020, 1, 1), new Date(2020, 1, 1));
    expect((await discoverUploads([p]))[0]!.jobId).not.toBe(withSidecar);
  });

  it.skipIf(process.getuid?.() === 0)('rejects a folder it cannot read instead of crashing', async () => {
    const dir = join(root, 'locked');
    mkdirSync(dir);
    chmodSync(dir, 0o000);
    try {
      const [u] = await discoverUploads([dir]);
      expect(u!.rejectReason).toMatch(/cannot read folder .*EACCES/);
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('lists a file given twice (or via its folder) once', async () => {
    const p = file('f/one.mp4');
    expect(await discoverUploads([p, join(root, 'f'), p])).toHaveLength(1);
  });
});

describe('jobIdFor', () => {
  it('makes a readable slug from the file name', () => {
    expect(jobIdFor('/x/My Holiday Video (final).MP4', 'v1')).toMatch(/^my-holiday-video-final-[0-9a-f]{10}$/);
  });
});

describe('parseSidecar', () => {
  it('names the file and the JSON error', () => {
    const r = parseSidecar('not json', 'x.json');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^sidecar x\.json is not valid JSON \(.+\); fix the manifest/);
  });
});
