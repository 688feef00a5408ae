import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import got from 'got';
import { imageTypeOf } from './image-type.js';
import { PosterDownloadError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isPrivateAddress } from '../services/webhook-url.js';

export interface DownloadedImage {
  body: Buffer;
  contentType: string;
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs?: number;
  /** Where refusals and connection failures are told in full (the error itself says less). */
  logger?: Logger;
  /**
   * TESTS ONLY (never read from configuration): these loopback addresses (e.g. 127.0.0.1) are
   * accepted too, so tests can serve posters from real local HTTP servers. Only loopback addresses
   * can be listed; every other non-public address stays refused.
   */
  testAllowedAddresses?: readonly string[];
}

/** Redirects followed; each target is checked again (scheme, and address after DNS). */
export const MAX_POSTER_REDIRECTS = 3;

/** The message of every refused or unreachable address: it says nothing of what does or does not listen there. */
export const NOT_PUBLIC = 'refused: the poster URL must lead to a public http(s) address';
const UNREACHABLE = 'the poster server could not be reached';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

type Allowed = readonly string[];

function allowed(address: string, testAllowed: Allowed): boolean {
  if (!isPrivateAddress(address)) return true;
  const family = isIP(address);
  return family !== 0 && testAllowed.includes(address) && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class RefusedAddress extends Error {
  override readonly name = 'RefusedAddress';
  readonly code = 'EPOSTERADDRESS';
}

/** An http(s) URL whose host, when written as an address, is public; a host name is checked at DNS (publicLookup). */
function checkTarget(url: URL, testAllowed: Allowed): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedAddress(`scheme ${url.protocol} of ${url.href}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowed(host, testAllowed)) throw new RefusedAddress(`${host} is not a public address`);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup for got: every address a name resolves to must be allowed, and the one connected to is one of them. */
function publicLookup(testAllowed: Allowed) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((a) => !allowed(a.address, testAllowed));
      if (refused) return callback(new RefusedAddress(`${hostname} resolves to ${refused.address}, not a public address`), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Downloads one poster: an image Content-Type, at most maxBytes (refused early by Content-Length,
 * cut off while streaming otherwise), and bytes that really are that image type.
 */
export async function downloadPoster(url: string, options: DownloadOptions): Promise<DownloadedImage> {
  const { maxBytes, timeoutMs = 20_000, logger, testAllowedAddresses = [] } = options;
  if (!/^https?:\/\//i.test(url)) throw new PosterDownloadError(`not an http(s) URL: ${url}`);
  let target: URL;
  try {
    target = new URL(url);
    checkTarget(target, testAllowedAddresses);
  } catch (error) {
    logger?.warn({ posterUrl: url, reason: (error as Error).message }, 'poster URL refused');
    throw new PosterDownloadError(NOT_PUBLIC);
  }
  const stream = got.stream(target, {
    retry: { limit: 1 },
    timeout: { request: timeoutMs },
    headers: { accept: 'image/*' },
    dnsLookup: publicLookup(testAllowedAddresses),
    maxRedirects: MAX_POSTER_REDIRECTS,
    hooks: {
      beforeRedirect: [(next) => checkTarget(next.url as URL, testAllowedAddresses)],
    },
  });
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
    stream.once('error', (error: Error) => reject(new PosterDownloadError(publicReason(error, url, logger))));
    stream.once('end', () => {
      const body = Buffer.concat(chunks);
      const type = imageTypeOf(contentType);
      if (!type) return reject(new PosterDownloadError(`not an accepted image type: "${contentType}"`));
      if (!type.matches(body)) return reject(new PosterDownloadError(`the body is not a ${type.contentType} image`));
      resolve({ body, contentType: type.contentType });
    });
  });
}

/**
 * What a failed download may tell (it is stored with the movie's poster record): the HTTP status of
 * a public server, or that the redirects were too many; a refused address or a connection failure
 * only as one sentence each, so the mirror cannot be used to map what listens where. The full
 * reason is logged.
 */
function publicReason(error: Error, url: string, logger: Logger | undefined): string {
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code;
  // got checks a redirect's scheme itself (ERR_UNSUPPORTED_PROTOCOL) before the beforeRedirect hook runs.
  const refused =
    error instanceof RefusedAddress || cause instanceof RefusedAddress || code === 'EPOSTERADDRESS' || code === 'ERR_UNSUPPORTED_PROTOCOL';
  const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
  logger?.warn({ posterUrl: url, reason: error.message, code }, refused ? 'poster URL refused' : 'poster download failed');
  if (refused) return NOT_PUBLIC;
  if (error.name === 'MaxRedirectsError') return `more than ${MAX_POSTER_REDIRECTS} redirects`;
  if (error.name === 'HTTPError' && status) return `the poster server answered ${status}`;
  if (error.name === 'TimeoutError') return 'the poster server did not answer in time';
  return UNREACHABLE;
}
