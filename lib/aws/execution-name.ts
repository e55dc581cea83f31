import { createHash } from 'node:crypto';

/**
 * The Step Functions execution name (and job id) of an uploaded object version: readable prefix +
 * SHA-256 of bucket/key/version. The same object version always gets the same name, so a duplicate
 * S3 event cannot start a second workflow (StartExecution answers ExecutionAlreadyExists); a new
 * version of the same key is a new job. ≤ 80 chars of [A-Za-z0-9-_].
 */
export function executionNameFor(bucket: string, key: string, version?: string): string {
  const digest = createHash('sha256').update(`${bucket}\n${key}\n${version ?? ''}`).digest('hex').slice(0, 40);
  const stem = (key.split('/').pop() ?? key).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '-').replace(/-+/g, '-').slice(0, 32);
  return `${stem || 'upload'}-${digest}`.replace(/^-+/, '');
}
