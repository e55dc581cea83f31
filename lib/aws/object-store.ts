import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStore } from '../ports';
import { InvalidEventError } from './errors';

export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` → parts. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new InvalidEventError(`not an s3:// URI: ${uri.slice(0, 200)}`);
  return { bucket: m[1]!, key: m[2]! };
}

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

const isNotFound = (e: unknown): boolean => ['NotFound', 'NoSuchKey'].includes((e as Error).name) || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** ObjectStore on S3, plus presigned reads (ffprobe over HTTPS) and file transfer for the worker. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async exists(uri: string): Promise<boolean> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const { bucket, key } = parseS3Uri(prefix);
    const uris: string[] = [];
    let token: string | undefined;
    do {
      const out: ListObjectsV2CommandOutput = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
      for (const o of out.Contents ?? []) if (o.Key) uris.push(s3Uri(bucket, o.Key));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return uris;
  }

  async readText(uri: string): Promise<string | undefined> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await out.Body?.transformToString('utf8');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async writeText(uri: string, body: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: key.endsWith('.json') ? 'application/json' : 'text/plain' }));
  }

  /** Object metadata (`x-amz-meta-*`, keys lower-cased by S3) and size. */
  async head(uri: string, version?: string): Promise<{ metadata: Record<string, string>; sizeBytes: number }> {
    const { bucket, key } = parseS3Uri(uri);
    const out = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: version }));
    return { metadata: out.Metadata ?? {}, sizeBytes: out.ContentLength ?? 0 };
  }

  /** A GET URL valid for `expiresSec` (ffprobe reads the upload through it). */
  presignGet(uri: string, expiresSec = 900, version?: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version }), { expiresIn: expiresSec });
  }

  async download(uri: string, path: string, version?: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version }));
    await pipeline(out.Body as Readable, createWriteStream(path));
  }

  async upload(path: string, uri: string, contentType?: string): Promise<number> {
    const { bucket, key } = parseS3Uri(uri);
    const size = (await stat(path)).size;
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: contentType }));
    return size;
  }
}
