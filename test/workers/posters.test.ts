import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { downloadPoster } from '../../src/assets/download.js';
import { mirrorPosters } from '../../src/assets/mirror.js';
import { readPosterRecord } from '../../src/assets/records.js';
import { posterSettings, type PosterSettings } from '../../src/assets/settings.js';
import { localPosterStore, s3PosterStore } from '../../src/assets/store.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { webRoutes } from '../../src/web/routes.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie } from '../support/graphql-api.js';
import { tempDir } from '../support/imdb-files.js';
import { ConfigError } from '../../src/errors.js';

// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const logger = createLogger('silent');

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** Poster URLs as providers give them, served locally. */
function imageServer(): Server {
  return createServer((req, res) => {
    if (req.url?.startsWith('/poster')) res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else if (req.url === '/page.html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    else if (req.url === '/huge.jpg') res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '4003' }).end(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(4000)]));
    else if (req.url === '/streamed.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }); // no Content-Length: cut off while streaming
      res.write(Buffer.from([0xff, 0xd8, 0xff]));
      res.end(Buffer.alloc(4000));
    }
    else if (req.url === '/liar.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end('this is no image');
    else res.writeHead(404).end();
  });
}

// The image servers listen on loopback, which the mirror refuses unless a test allows it.
const settingsFor = (dir: string, mode: PosterSettings['mode'] = 'local'): PosterSettings => ({
  mode,
  dir,
  maxBytes: 2048,
  concurrency: 3,
  s3: null,
  testAllowedAddresses: ['127.0.0.1'],
});

describe('poster downloads', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = imageServer();
    origin = await listen(server);
  });
  afterAll(() => close(server));

  it('accept an image of an accepted type within the size limit', async () => {
    const image = await downloadPoster(`${origin}/poster.png`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] });
    expect(image.contentType).toBe('image/png');
    expect(image.body.equals(PNG)).toBe(true);
  });

  it('refuse other content types, oversized bodies and bytes that are not the announced image', async () => {
    await expect(downloadPoster(`${origin}/page.html`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow('not an accepted image type: "text/html"');
    await expect(downloadPoster(`${origin}/huge.jpg`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow('4003 bytes is over the 2048-byte limit');
    await expect(downloadPoster(`${origin}/streamed.jpg`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow(/^over the 2048-byte limit$/);
    await expect(downloadPoster(`${origin}/liar.jpg`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow('the body is not a image/jpeg image');
    await expect(downloadPoster(`${origin}/missing.png`, { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow(/404/);
    await expect(downloadPoster('file:///etc/passwd', { maxBytes: 2048, testAllowedAddresses: ['127.0.0.1'] })).rejects.toThrow('not an http(s) URL');
  });
});

describe('the poster mirror', () => {
  let db: TestDatabase;
  let images: Server;
  let origin: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    images = imageServer();
    origin = await listen(images);
    ids = {
      good: await insertMovie(db.pool, { title: 'With Poster', posterUrl: `${origin}/poster.png` }),
      html: await insertMovie(db.pool, { title: 'Html Poster', posterUrl: `${origin}/page.html` }),
      none: await insertMovie(db.pool, { title: 'No Poster' }),
    };
  });
  afterAll(async () => {
    await close(images);
    await db.drop();
  });

  it('copies posters to a local folder, records where from, and serves them under /assets/posters', async () => {
    const dir = await tempDir();
    const settings = settingsFor(dir);
    const first = await mirrorPosters({ pool: db.pool, settings, store: localPosterStore(dir), logger });
    expect(first).toEqual({ mirrored: 1, unchanged: 0, failed: 1 });
    const record = await readPosterRecord(dir, ids.good!);
    expect(record).toMatchObject({ source: `${origin}/poster.png`, contentType: 'image/png', bytes: PNG.length });
    const url = (record as { url: string }).url;
    expect(url).toMatch(new RegExp(`^/assets/posters/${ids.good!.slice(0, 2)}/${ids.good}-[0-9a-f]{12}\\.png$`));
    expect((await readFile(path.join(dir, 'images', url.replace('/assets/posters/', '')))).equals(PNG)).toBe(true);
    expect(await readPosterRecord(dir, ids.html!)).toMatchObject({ source: `${origin}/page.html`, error: expect.stringContaining('text/html') });

    // Nothing changed: nothing is downloaded again (the failed one waits a day before a retry).
    expect(await mirrorPosters({ pool: db.pool, settings, store: localPosterStore(dir), logger })).toEqual({ mirrored: 0, unchanged: 2, failed: 0 });

    const app = express().use(webRoutes({ pool: db.pool, posters: settings }));
    const server = createServer(app);
    const web = await listen(server);
    try {
      const good = (await (await fetch(`${web}/movies/${ids.good}/provenance`)).json()) as { poster: unknown };
      expect(good.poster).toEqual({ url, mirrored: true });
      const served = await fetch(`${web}${url}`);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('cache-control')).toContain('immutable');
      expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
      const html = (await (await fetch(`${web}/movies/${ids.html}/provenance`)).json()) as { poster: unknown };
      expect(html.poster).toEqual({ url: `${origin}/page.html`, mirrored: false });
      const none = (await (await fetch(`${web}/movies/${ids.none}/provenance`)).json()) as { poster: unknown };
      expect(none.poster).toBeNull();
      expect((await fetch(`${web}/assets/posters/../records/x.json`)).status).toBe(404);
    } finally {
      await close(server);
    }
  });

  it('mirrors a changed poster under a new key', async () => {
    const dir = await tempDir();
    const settings = settingsFor(dir);
    await mirrorPosters({ pool: db.pool, settings, store: localPosterStore(dir), logger });
    const before = (await readPosterRecord(dir, ids.good!)) as { url: string };
    await db.pool.query('UPDATE movies SET poster_url = $2 WHERE id = $1', [ids.good, `${origin}/poster-v2.png`]);
    const outcome = await mirrorPosters({ pool: db.pool, settings, store: localPosterStore(dir), logger });
    expect(outcome.mirrored).toBe(1);
    const after = (await readPosterRecord(dir, ids.good!)) as { url: string; source: string };
    expect(after.source).toBe(`${origin}/poster-v2.png`);
    expect(after.url).not.toBe(before.url);
    await db.pool.query('UPDATE movies SET poster_url = $2 WHERE id = $1', [ids.good, `${origin}/poster.png`]);
  });

  it('uploads to an S3-compatible bucket with a signed PUT and records the public URL', async () => {
    const received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
    const s3 = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        const signed = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/;
        res.writeHead(signed.test(req.headers.authorization ?? '') ? 200 : 403).end();
      });
    });
    const endpoint = await listen(s3);
    try {
      const dir = await tempDir();
      const settings = { ...posterSettings(loadConfig({
        POSTER_MIRROR: 's3', POSTER_DIR: dir, POSTER_MAX_BYTES: '2048', S3_ENDPOINT: endpoint, S3_REGION: 'eu-west-1', S3_BUCKET: 'moviec-posters',
        S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', S3_PUBLIC_URL: 'https://cdn.example.org/',
      })), testAllowedAddresses: ['127.0.0.1'] };
      const outcome = await mirrorPosters({ pool: db.pool, settings, store: s3PosterStore(settings.s3!), logger });
      expect(outcome).toEqual({ mirrored: 1, unchanged: 0, failed: 1 });
      expect(received).toHaveLength(1);
      const [put] = received;
      expect(put!.method).toBe('PUT');
      expect(put!.url).toMatch(new RegExp(`^/moviec-posters/posters/${ids.good!.slice(0, 2)}/${ids.good}-[0-9a-f]{12}\\.png$`));
      expect(put!.headers['content-type']).toBe('image/png');
      expect(put!.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(put!.body.equals(PNG)).toBe(true);
      const record = (await readPosterRecord(dir, ids.good!)) as { url: string };
      expect(record.url).toBe(`https://cdn.example.org${put!.url!.replace('/moviec-posters', '')}`);
    } finally {
      await close(s3);
    }
  });

  it('says which S3 settings are missing', () => {
    expect(() => posterSettings(loadConfig({ POSTER_MIRROR: 's3', S3_BUCKET: 'moviec-posters' }))).toThrow(ConfigError);
    expect(() => posterSettings(loadConfig({ POSTER_MIRROR: 's3', S3_BUCKET: 'moviec-posters' }))).toThrow(
      'POSTER_MIRROR=s3 needs S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_PUBLIC_URL',
    );
  });
});
