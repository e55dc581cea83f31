import { expect } from 'vitest';
import type { S3ObjectStore } from '../../../lib/aws/object-store';
import { validateMasterPlaylist } from '../../../lib/core/qc/playlist';

/**
 * Assert the HLS master playlist at `<prefix>hls/master.m3u8` parses and lists exactly the HLS media
 * playlists in the bucket under `<prefix>hls/`, by URIs relative to the master (as a player resolves them).
 * Returns the variants' playlist URIs.
 */
export async function expectMasterOverEveryHlsRendition(objects: S3ObjectStore, prefix: string): Promise<string[]> {
  const hls = `${prefix}hls/`;
  const text = await objects.readText(`${hls}master.m3u8`);
  expect(text, 'hls/master.m3u8 was uploaded').toBeDefined();
  const check = validateMasterPlaylist(text!);
  expect(check.errors).toEqual([]);
  // Resolve each variant URI against the master's own URL, as a player does (s3://bucket/key read as a URL).
  const master = new URL(`${hls}master.m3u8`.replace(/^s3:/, 'https:'));
  const listed = check.variants!.map((v) => new URL(v.uri, master).href.replace(/^https:/, 's3:'));
  const inBucket = (await objects.list(hls)).filter((u) => u.endsWith('/index.m3u8'));
  expect(inBucket.length).toBeGreaterThan(0);
  expect([...listed].sort()).toEqual([...inBucket].sort());
  return listed;
}
