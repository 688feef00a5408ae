import got from 'got';
import { imageTypeOf } from './image-type.js';
import { PosterDownloadError } from '../errors.js';

export interface DownloadedImage {
  body: Buffer;
  contentType: string;
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs?: number;
}

/**
 * Downloads one poster: an image Content-Type, at most maxBytes (refused early by Content-Length,
 * cut off while streaming otherwise), and bytes that really are that image type.
 */
export async function downloadPoster(url: string, { maxBytes, timeoutMs = 20_000 }: DownloadOptions): Promise<DownloadedImage> {
  if (!/^https?:\/\//i.test(url)) throw new PosterDownloadError(`not an http(s) URL: ${url}`);
  const stream = got.stream(url, { retry: { limit: 1 }, timeout: { request: timeoutMs }, headers: { accept: 'image/*' } });
  return new Promise<DownloadedImage>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let contentType = '';
    const fail = (message: string) => {
      stream.destroy();
      reject(new PosterDownloadError(message));
    };
    stream.once('response', (response: { headers: Record<string, string | undefined> }) => {
      contentType = response.headers['content-type'] ?? '';
      if (!imageTypeOf(contentType)) return fail(`not an accepted image type: "${contentType || 'no Content-Type'}"`);
      const length = Number(response.headers['content-length']);
      if (Number.isFinite(length) && length > maxBytes) fail(`${length} bytes is over the ${maxBytes}-byte limit`);
    });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(`over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    });
    stream.once('error', (error: Error) => reject(new PosterDownloadError(error.message)));
    stream.once('end', () => {
      const body = Buffer.concat(chunks);
      const type = imageTypeOf(contentType);
      if (!type) return reject(new PosterDownloadError(`not an accepted image type: "${contentType}"`));
      if (!type.matches(body)) return reject(new PosterDownloadError(`the body is not a ${type.contentType} image`));
      resolve({ body, contentType: type.contentType });
    });
  });
}
