import { Writable } from 'node:stream';
import type { JobHelpers } from 'graphile-worker';
import { loadConfig } from '../../src/config.js';
import { queueImport } from '../../src/services/import.js';
import { createLogger, defaultFormat, type LogFormat } from '../../src/logger.js';
import { scrubUrlCredentials } from '../../src/logging/secrets.js';
import { createApp } from '../../src/server/app.js';
import { withJobLogging } from '../../src/workers/job-logging.js';
import { startWorker } from '../../src/workers/runner.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';

/** A logger writing into an array of lines. */
function capture(format: LogFormat = 'json') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger('debug', { format, destination }), lines };
}

describe('logs', () => {
  it('redact credentials by key and mask URL passwords anywhere in a line', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        headers: { authorization: 'Bearer admin-token-123456', 'content-type': 'application/json' },
        config: { DATABASE_URL: 'postgresql://moviec:hunter2@db:5432/moviec', PORT: 4000 },
        token: 'tmdb-secret',
        source: 'https://user:pa55word@example.org/title.basics.tsv.gz',
      },
      'connecting to postgres://app:s3cr3t@10.0.0.1/moviec',
    );
    logger.error({ err: new Error('cannot reach postgresql://app:topsecret@db/moviec') }, 'failed');
    const text = lines.join('\n');
    for (const secret of ['admin-token-123456', 'hunter2', 'tmdb-secret', 'pa55word', 's3cr3t', 'topsecret']) {
      expect(text).not.toContain(secret);
    }
    const first = JSON.parse(lines[0]!);
    expect(first.headers).toEqual({ authorization: '[redacted]', 'content-type': 'application/json' });
    expect(first.config).toEqual({ DATABASE_URL: '[redacted]', PORT: 4000 });
    expect(first.source).toBe('https://user:***@example.org/title.basics.tsv.gz');
    expect(first.msg).toBe('connecting to postgres://app:***@10.0.0.1/moviec');
  });

  it('scrubUrlCredentials leaves URLs without a password alone', () => {
    expect(scrubUrlCredentials('see https://example.org/a?b=c and postgres://user@host/db')).toBe(
      'see https://example.org/a?b=c and postgres://user@host/db',
    );
  });

  it('are readable lines in pretty format', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ runId: '7' }, 'import run 7 SUCCEEDED');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: import run 7 SUCCEEDED$/);
    expect(lines.join('\n')).toContain('runId: "7"');
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });

  it('are pretty on a terminal or with LOG_PRETTY=1, JSON otherwise, and LOG_FORMAT decides when set', () => {
    expect([defaultFormat({}, true), defaultFormat({}, false)]).toEqual(['pretty', 'json']);
    expect([defaultFormat({ LOG_PRETTY: '1' }, false), defaultFormat({ LOG_PRETTY: 'true' }, false)]).toEqual(['pretty', 'pretty']);
    expect([defaultFormat({ LOG_PRETTY: '0' }, true), defaultFormat({ LOG_FORMAT: 'json', LOG_PRETTY: '1' }, true)]).toEqual(['json', 'json']);
    expect(() => loadConfig({ LOG_PRETTY: 'yes' })).toThrow(/LOG_PRETTY: Invalid option/);
  });

  it('carry the job id, task and attempt of a failing job', async () => {
    const { logger, lines } = capture();
    const tasks = withJobLogging({ explode: () => Promise.reject(new Error('boom')), fine: () => undefined }, logger);
    const helpers = { job: { id: '42', attempts: 1, max_attempts: 3 } } as unknown as JobHelpers;
    await expect(tasks.explode!({}, helpers)).rejects.toThrow('boom');
    await tasks.fine!({}, helpers);
    const [failed, done] = lines.map((line) => JSON.parse(line));
    expect(failed).toMatchObject({ level: 50, jobId: '42', task: 'explode', attempt: 1, maxAttempts: 3, msg: 'job failed', err: { message: 'boom' } });
    expect(done).toMatchObject({ level: 20, jobId: '42', task: 'fine', msg: 'job done' });
  });

  describe('of the worker and of HTTP requests', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('of a real import carry the job id of the ingest and of each aggregation job', async () => {
      const { logger, lines } = capture();
      const files = await writeFiles(await tempDir(), {
        'basics.tsv': basicsTsv([{ tconst: 'tt0400001', title: 'Logged', year: 2020, genres: ['Drama'] }]),
        'ratings.tsv': ratingsTsv([['tt0400001', 7, 100]]),
      });
      const runId = await queueImport(db.pool, 'imdb', { basics: files['basics.tsv']!, ratings: files['ratings.tsv']! }, 'cli');
      const worker = await startWorker({ pool: db.pool, logger, concurrency: 1 });
      try {
        const started = Date.now();
        const done = () => lines.some((line) => line.includes('"task":"aggregate-movie"') && line.includes('job done'));
        while (!done() && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        await worker.stop();
      }
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const ingest = entries.find((entry) => entry.msg === `import run ${runId} SUCCEEDED`);
      expect(ingest).toMatchObject({ level: 30, jobId: expect.stringMatching(/^\d+$/), status: 'SUCCEEDED', service: 'moviec' });
      const jobs = entries.filter((entry) => entry.msg === 'job done');
      expect(jobs.map((entry) => entry.task)).toEqual(expect.arrayContaining(['ingest', 'aggregate-movie']));
      expect(jobs.find((entry) => entry.task === 'ingest')!.jobId).toBe(ingest!.jobId);
      for (const job of jobs) expect(job.jobId).toEqual(expect.stringMatching(/^\d+$/));
    });

    it('carry a request id, also sent back as X-Request-Id, and never the headers', async () => {
      const { logger, lines } = capture();
      const app = await createApp({ pool: db.pool, logger });
      const server = await app.start(0, '127.0.0.1');
      try {
        const origin = new URL(server.url).origin;
        const response = await fetch(`${origin}/healthz?token=abc`, { headers: { authorization: 'Bearer very-secret-admin-token' } });
        const requestId = response.headers.get('x-request-id');
        expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
        const given = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'client-chosen-id-1' } });
        expect(given.headers.get('x-request-id')).toBe('client-chosen-id-1');
        const invalid = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
        expect(invalid.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

        await fetch(`${origin}/static/app.js`);
        const entries = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
        expect(entries.map((entry) => entry.path)).toEqual(['/healthz', '/healthz', '/healthz', '/static/app.js']);
        expect(entries[0]).toMatchObject({ reqId: requestId, method: 'GET', path: '/healthz', status: 200 });
        expect(entries[0].durationMs).toEqual(expect.any(Number));
        expect(entries[1]).toMatchObject({ reqId: 'client-chosen-id-1' });
        expect(lines.join('\n')).not.toContain('very-secret-admin-token');
        expect(lines.join('\n')).not.toContain('token=abc');
      } finally {
        await server.close();
      }
    });
  });
});
