import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { downloadPoster, MAX_POSTER_REDIRECTS, NOT_PUBLIC } from '../../src/assets/download.js';
import { PosterDownloadError } from '../../src/errors.js';
import { capturingLogger } from '../support/log-capture.js';

/**
 * Issue 13 point 8: the poster mirror fetches public http(s) addresses only — checked on the URL,
 * after DNS resolution (the address connected to is the one checked) and after every redirect, at
 * most 3 redirects — and its errors do not tell what listens where (the reason is logged).
 *
 * Real HTTP servers: the "public" one listens on 127.0.0.2, which only this test allows (the
 * test-only testAllowedAddresses, loopback addresses only); the "internal" one on 127.0.0.1, which
 * stays refused, as every loopback, private, link-local and unique-local address does.
 */

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const ALLOWED = ['127.0.0.2'];

function listen(server: Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));
}
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('poster mirror: public addresses only', () => {
  let publicServer: Server;
  let internal: Server;
  let publicOrigin: string;
  let internalOrigin: string;
  let internalPort: number;
  const internalHits: string[] = [];

  beforeAll(async () => {
    internal = createServer((req, res) => {
      internalHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    });
    internalOrigin = await listen(internal, '127.0.0.1');
    internalPort = (internal.address() as AddressInfo).port;
    publicServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const to = url.searchParams.get('to');
      const hops = Number(url.searchParams.get('hops') ?? 0);
      if (url.pathname === '/poster.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else if (url.pathname === '/redirect' && to) res.writeHead(302, { location: to }).end();
      else if (url.pathname === '/chain') {
        res.writeHead(302, { location: hops > 1 ? `/chain?hops=${hops - 1}` : '/poster.png' }).end();
      } else res.writeHead(404).end();
    });
    publicOrigin = await listen(publicServer, '127.0.0.2');
  });
  afterAll(async () => {
    await close(publicServer);
    await close(internal);
  });

  const download = (url: string, logger = capturingLogger('warn').logger) =>
    downloadPoster(url, { maxBytes: 4096, testAllowedAddresses: ALLOWED, logger });

  it('downloads from an allowed address, following up to 3 redirects', async () => {
    expect((await download(`${publicOrigin}/poster.png`)).body.equals(PNG)).toBe(true);
    expect((await download(`${publicOrigin}/chain?hops=${MAX_POSTER_REDIRECTS}`)).contentType).toBe('image/png');
  });

  it('refuses a 4th redirect', async () => {
    await expect(download(`${publicOrigin}/chain?hops=${MAX_POSTER_REDIRECTS + 1}`)).rejects.toThrow(`more than ${MAX_POSTER_REDIRECTS} redirects`);
  });

  it.each([
    ['loopback', () => `${internalOrigin}/poster.png`],
    ['localhost (refused after DNS)', () => `http://localhost:${internalPort}/poster.png`],
    ['IPv6 loopback', () => `http://[::1]:${internalPort}/poster.png`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${internalPort}/poster.png`],
    ['a decimal IPv4 loopback', () => `http://2130706433:${internalPort}/poster.png`],
    ['0.0.0.0', () => `http://0.0.0.0:${internalPort}/poster.png`],
    ['a private IPv4 (10/8)', () => 'http://10.1.2.3/poster.png'],
    ['a private IPv4 (192.168/16)', () => 'http://192.168.0.10/poster.png'],
    ['a private IPv4 (172.16/12)', () => 'http://172.20.0.1/poster.png'],
    ['link-local (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 unique-local', () => 'http://[fd00::1]/poster.png'],
    ['IPv6 link-local', () => 'http://[fe80::1]/poster.png'],
    ['IPv4-mapped private', () => 'http://[::ffff:10.0.0.1]/poster.png'],
    ['a redirect to loopback', () => `${publicOrigin}/redirect?to=${encodeURIComponent(`${internalOrigin}/poster.png`)}`],
    ['a redirect to localhost', () => `${publicOrigin}/redirect?to=${encodeURIComponent(`http://localhost:${internalPort}/poster.png`)}`],
    ['a redirect to link-local', () => `${publicOrigin}/redirect?to=${encodeURIComponent('http://169.254.169.254/')}`],
    ['a redirect to another scheme', () => `${publicOrigin}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`],
  ])('refuses %s, without telling what listens there', async (_, url) => {
    const { logger, lines } = capturingLogger('warn');
    const error = await download(url(), logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PosterDownloadError);
    expect((error as Error).message).toBe(NOT_PUBLIC);
    expect(internalHits).toEqual([]);
    // The reason is in the log, for the operator.
    expect(lines().some((line) => line.msg === 'poster URL refused' && typeof line.reason === 'string')).toBe(true);
  });

  it('tells a connection failure as one sentence, the reason only in the log', async () => {
    const closed = createServer();
    const origin = await listen(closed, '127.0.0.2');
    await close(closed);
    const { logger, lines } = capturingLogger('warn');
    const error = (await download(`${origin}/poster.png`, logger).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('the poster server could not be reached');
    expect(lines().map((line) => line.reason).join(' ')).toMatch(/ECONNREFUSED/);
  });

  it('never lets the test allowance reach beyond loopback', async () => {
    const error = await downloadPoster('http://10.1.2.3/poster.png', { maxBytes: 4096, testAllowedAddresses: ['10.1.2.3'] }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(NOT_PUBLIC);
  });
});
