import { parseBusinessMetadata, type MetadataResult } from '../core/value/metadata';

/** S3 lower-cases user metadata keys; the schema's keys are camelCase. */
const KEY_MAP: Record<string, string> = {
  creatortier: 'creatorTier',
  'creator-tier': 'creatorTier',
  expectedviews: 'expectedViews',
  'expected-views': 'expectedViews',
  monetized: 'monetized',
  premium: 'premium',
  deadline: 'deadline',
  formats: 'formats',
  trending: 'trending',
  title: 'title',
};

/**
 * Business metadata from S3 object metadata (`x-amz-meta-*`, keys lower-cased by S3) and/or a
 * sidecar manifest (`<key>.marquee.json`, which wins). Unknown S3 keys are ignored (uploaders add
 * their own); unknown manifest keys are an error, as the schema says.
 */
export function businessMetadataFromS3(s3Metadata: Record<string, string>, manifest?: unknown): MetadataResult {
  const fromHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(s3Metadata)) {
    const mapped = KEY_MAP[k.toLowerCase().replace(/^x-amz-meta-/, '')];
    if (mapped) fromHeaders[mapped] = v;
  }
  const merged = manifest && typeof manifest === 'object' ? { ...fromHeaders, ...(manifest as Record<string, unknown>) } : fromHeaders;
  return parseBusinessMetadata(merged);
}
