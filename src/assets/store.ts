import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import type { S3Settings } from './settings.js';

/** Where mirrored posters are written; `put` returns the URL browsers load the image from. */
export interface PosterStore {
  put(key: string, body: Buffer, contentType: string): Promise<string>;
}

/** URL path under which the API serves a local mirror (see src/web/routes.ts). */
export const LOCAL_POSTER_PATH = '/assets/posters';

export function imagesDir(dir: string): string {
  return path.join(dir, 'images');
}

/** Files under POSTER_DIR/images, served by the API under /assets/posters. */
export function localPosterStore(dir: string): PosterStore {
  return {
    async put(key, body) {
      const file = path.join(imagesDir(dir), key);
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, body);
      await rename(temporary, file);
      return `${LOCAL_POSTER_PATH}/${key}`;
    },
  };
}

/** Objects in an S3-compatible bucket (path-style URLs, AWS signature v4), read from S3_PUBLIC_URL. */
export function s3PosterStore(s3: S3Settings, fetchImpl: typeof fetch = fetch): PosterStore {
  const client = new AwsClient({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, service: 's3', retries: 2 });
  const endpoint = s3.endpoint.replace(/\/+$/, '');
  const publicUrl = s3.publicUrl.replace(/\/+$/, '');
  return {
    async put(key, body, contentType) {
      const objectKey = `${s3.prefix}${key}`;
      const request = await client.sign(`${endpoint}/${s3.bucket}/${objectKey}`, {
        method: 'PUT',
        body: new Uint8Array(body),
        headers: {
          'content-type': contentType,
          'cache-control': 'public, max-age=31536000, immutable',
          // A signed payload hash: the bucket rejects a body that arrives altered.
          'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        },
      });
      const response = await fetchImpl(request);
      if (!response.ok) {
        const detail = (await response.text().catch(() => '')).slice(0, 200);
        throw new Error(`S3 PUT ${objectKey} answered ${response.status}${detail ? `: ${detail}` : ''}`);
      }
      return `${publicUrl}/${objectKey}`;
    },
  };
}
