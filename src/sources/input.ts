import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import got from 'got';
import { boundedInput, DEFAULT_INPUT_LIMITS, utf16Kind, type InputLimits } from './limits.js';
import { SourceError } from '../errors.js';

export interface OpenedInput {
  /** Decompressed bytes. */
  stream: Readable;
  /** Compressed size when known (file size or Content-Length). */
  totalBytes: number | null;
  /** Name for messages: the path or URL. */
  name: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export interface OpenOptions {
  /** Called with compressed bytes consumed so far and the total when known. */
  onProgress?: (done: number, total: number | null) => void;
  /** The bounds of the decompressed input (./limits.ts); the defaults when absent. */
  limits?: InputLimits;
}

/**
 * Bytes per decompressed chunk: large enough that a gzipped file of millions of lines costs few
 * stream steps (gunzip runs on libuv's thread pool, one hop per chunk), small enough to stay flat.
 */
const READ_CHUNK = 256 * 1024;

/**
 * Opens a provider file from a local path or an http(s) URL, streamed, gunzipped when its first
 * bytes are gzip's magic number (whatever its name says). Errors name the input and say what
 * went wrong; a truncated gzip stream or an HTTP body shorter than announced fails the stream.
 * The decompressed bytes are bounded (line length, total: ./limits.ts boundedInput) and a UTF-16
 * file is refused with that reason. Pass the adapter's ReadContext (or its onProgress alone).
 */
export async function openInput(
  location: string,
  options: OpenOptions | ((done: number, total: number | null) => void) = {},
): Promise<OpenedInput> {
  const { onProgress: onBytes, limits = DEFAULT_INPUT_LIMITS } = typeof options === 'function' ? { onProgress: options } : options;
  let raw: Readable;
  let totalBytes: number | null = null;
  if (/^https?:\/\//i.test(location)) {
    const opened = await download(location);
    raw = opened.stream;
    totalBytes = opened.totalBytes;
  } else {
    try {
      const info = await stat(location);
      if (!info.isFile()) throw new SourceError(`${location} is not a file`);
      totalBytes = info.size;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new SourceError(code === 'ENOENT' ? `File not found: ${location}` : `Cannot read ${location}: ${String(error)}`);
    }
    raw = createReadStream(location);
  }

  let done = 0;
  const counted = raw.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, callback) {
        done += chunk.length;
        onBytes?.(done, totalBytes);
        callback(null, chunk);
      },
    }),
  );
  raw.once('error', (error) => counted.destroy(wrap(location, error)));

  const decompressed = await sniffGzip(counted, location);
  const bounded = boundedInput(location, limits);
  decompressed.once('error', (error) => bounded.destroy(error));
  const stream = await refuseUtf16(decompressed.pipe(bounded), location);
  // Reading stops when the bound is passed: release the file or connection at once.
  bounded.once('error', () => raw.destroy());
  return { stream, totalBytes, name: location };
}

/** Attempts of a download that fails before its body starts (5xx, 429, 408, a network error). */
const DOWNLOAD_ATTEMPTS = 3;
const DOWNLOAD_RETRY_MS = 250;
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Starts a download and waits for its response. got does not retry streams by itself (it only
 * emits `retry`), so a failure before the body starts is retried here, with backoff, honouring a
 * short Retry-After; a failure once bytes flowed fails the read (and the run) instead.
 */
async function download(location: string): Promise<{ stream: Readable; totalBytes: number | null }> {
  for (let attempt = 1; ; attempt++) {
    const request = got.stream(location, { retry: { limit: 0 }, timeout: { request: 10 * 60_000, response: 30_000 } });
    try {
      const totalBytes = await new Promise<number | null>((resolve, reject) => {
        request.once('response', (response: { headers: Record<string, string | undefined> }) => {
          const length = Number(response.headers['content-length']);
          resolve(Number.isFinite(length) && length > 0 ? length : null);
        });
        request.once('error', reject);
      });
      return { stream: request, totalBytes };
    } catch (error) {
      request.destroy();
      const status = (error as { response?: { statusCode?: number; headers?: Record<string, string | undefined> } }).response?.statusCode;
      const retriable = status === undefined ? (error as { code?: string }).code !== 'ERR_NON_2XX_3XX_RESPONSE' : RETRY_STATUS.has(status);
      if (!retriable || attempt >= DOWNLOAD_ATTEMPTS) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        throw new SourceError(`Cannot download ${location}: ${(error as Error).message}${tries}`);
      }
      const retryAfter = Number((error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers?.['retry-after']);
      const wait = Number.isFinite(retryAfter) && retryAfter >= 0 && retryAfter <= 30 ? retryAfter * 1000 : DOWNLOAD_RETRY_MS * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The first chunk a stream gives, or null when it ends without one. */
function firstChunk(input: Readable): Promise<Buffer | null> {
  return new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = () => {
      const chunk = input.read() as Buffer | null;
      if (chunk === null) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    input.on('readable', onReadable);
    input.once('end', onEnd);
    input.once('error', onError);
  });
}

async function sniffGzip(input: Readable, name: string): Promise<Readable> {
  const first = await firstChunk(input);
  const out = new PassThrough();
  if (first === null) {
    out.end();
    return out;
  }
  const gzipped = first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
  const target: NodeJS.WritableStream = gzipped ? createGunzip({ chunkSize: READ_CHUNK }) : out;
  if (gzipped) {
    const gunzip = target as ReturnType<typeof createGunzip>;
    gunzip.on('error', (error) => out.destroy(new SourceError(`${name}: gzip data is corrupt or truncated (${error.message})`)));
    gunzip.pipe(out);
  }
  input.on('error', (error) => out.destroy(wrap(name, error)));
  target.write(first);
  input.pipe(target);
  return out;
}

/** The decompressed stream, unless its first bytes say UTF-16 (then a SourceError naming it). */
async function refuseUtf16(input: Readable, name: string): Promise<Readable> {
  const first = await firstChunk(input);
  const out = new PassThrough();
  input.once('error', (error) => out.destroy(error));
  if (first === null) {
    out.end();
    return out;
  }
  const kind = utf16Kind(first);
  if (kind) {
    input.destroy();
    throw new SourceError(`${name} is not UTF-8 (${kind}): save it as UTF-8 and import it again`);
  }
  out.write(first);
  input.pipe(out);
  return out;
}

function wrap(name: string, error: Error): SourceError {
  return error instanceof SourceError ? error : new SourceError(`Cannot read ${name}: ${error.message}`);
}
