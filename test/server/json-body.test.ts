import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { byteCount, jsonBody } from '../../src/server/json-body.js';

/**
 * jsonBody reads what API clients send itself, and must read it as express.json would: the same
 * body, or the same error (status and type, which the API's error handler answers by).
 */
describe('the JSON body of GraphQL requests', () => {
  const servers: Server[] = [];
  const origins: Record<'ours' | 'reference', string> = { ours: '', reference: '' };

  const start = async (parser: RequestHandler): Promise<string> => {
    const app = express();
    app.use(parser);
    app.use((req, res) => {
      res.json({ body: (req as { body?: unknown }).body ?? null });
    });
    const onError: ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, _next) => {
      res.status(error.status ?? 500).json({ error: error.type ?? 'unknown' });
    };
    app.use(onError);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    origins.ours = await start(jsonBody('1kb'));
    origins.reference = await start(express.json({ limit: '1kb' }));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  const both = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const answer = async (origin: string) => {
      const res = await fetch(origin, { method: 'POST', headers, body });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    return { ours: await answer(origins.ours), reference: await answer(origins.reference) };
  };

  it.each([
    ['an object', '{"query": "{ movies { totalCount } }", "variables": {"id": "é ü 🎬"}}'],
    ['an array', '[{"query": "{ a }"}]'],
    ['white space first', ' \t\r\n{"query": "x"}'],
    ['an empty body', ''],
    ['malformed JSON', '{"query": '],
    ['a string (not strict)', '"a string"'],
    ['a number (not strict)', '42'],
    ['white space only', '   '],
    ['a byte-order mark', '\ufeff{"query": "x"}'],
    ['over the limit', `{"query": "${'x'.repeat(2000)}"}`],
  ])('%s: as express.json reads it', async (_name, body) => {
    const { ours, reference } = await both(body);
    expect(ours).toEqual(reference);
  });

  it.each([
    ['charset utf-8', 'application/json; charset=utf-8'],
    ['charset latin1 (refused)', 'application/json; charset=latin1'],
    ['another type (not read)', 'text/plain'],
    ['a JSON subtype', 'application/graphql-response+json'],
  ])('content type with %s: as express.json reads it', async (_name, type) => {
    const { ours, reference } = await both('{"query": "x"}', { 'content-type': type });
    expect(ours).toEqual(reference);
  });

  it('understands the limits express takes', () => {
    expect(byteCount('100kb')).toBe(102_400);
    expect(byteCount('2KB')).toBe(2048);
    expect(byteCount('1mb')).toBe(1_048_576);
    expect(byteCount('512')).toBe(512);
    expect(byteCount('lots')).toBeNull();
  });
});
