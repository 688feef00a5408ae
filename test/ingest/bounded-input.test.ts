/**
 * Bounded input (issue 13 point 5): every limit of src/sources/limits.ts fails its run fast, with
 * the reason, and leaves the catalogue exactly as it was; error text is storable whatever bytes a
 * file holds (NUL in a header), and UTF-16 files are refused with that reason. Files are generated
 * and streamed; small configured limits prove each bound, and an endless line served over HTTP
 * proves the default bound holds memory (the reader stops pulling).
 */
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../../src/sources/limits.js';
import { useGoodImdbImport } from '../support/good-import.js';
import { csv, RT_HEADER, rtCsv } from '../support/csv-files.js';
import { BASICS_HEADER, basicsTsv, type Title } from '../support/imdb-files.js';
import { executeImport, importImdb, queueImport } from '../support/pipeline.js';
import { exactState } from '../support/reliability.js';

const TITLES: Title[] = [
  { tconst: 'tt0300001', title: 'Quiet Meadow', year: 1990, runtime: 90, genres: ['Drama'] },
  { tconst: 'tt0300002', title: 'Loud Harbor', year: 2001, runtime: 101, genres: ['Comedy'] },
];
const RATINGS: [string, number, number][] = [['tt0300001', 7.1, 1200], ['tt0300002', 5.5, 300]];

const base = useGoodImdbImport(TITLES, RATINGS);
const { file } = base;

/** Streams `count` chunks from `make(i)` into a file (gzipped when the name ends .gz): nothing big is held in memory. */
async function streamFile(name: string, count: number, make: (i: number) => string | Buffer): Promise<string> {
  const target = path.join(base.dir, name);
  const source = Readable.from((function* () {
    for (let i = 0; i < count; i++) yield make(i);
  })());
  if (name.endsWith('.gz')) await pipeline(source, createGzip(), createWriteStream(target));
  else await pipeline(source, createWriteStream(target));
  return target;
}

async function runWith(provider: string, location: Record<string, string>, limits: Partial<InputLimits> = {}) {
  const runId = await queueImport(base.db.pool, provider, location, 'cli');
  const outcome = await executeImport(base.db.pool, runId, { settings: { limits: { ...DEFAULT_INPUT_LIMITS, ...limits }, withdrawGraceDays: 7 } });
  const { rows } = await base.db.pool.query('SELECT status, error FROM import_runs WHERE id = $1', [runId]);
  const staged = await base.db.pool.query('SELECT (SELECT count(*) FROM import_staging_records) + (SELECT count(*) FROM import_staging_ratings) AS n');
  return { outcome, stored: rows[0] as { status: string; error: string | null }, staged: Number(staged.rows[0].n) };
}

const row = (i: number) => `tt${String(4_000_000 + i).padStart(7, '0')}\tmovie\tGenerated Title ${i}\tGenerated Title ${i}\t0\t1999\t\\N\t90\tDrama\n`;

describe('each bound fails the run fast with its reason and changes nothing', () => {
  it.each<[string, () => Promise<[string, Record<string, string>]>, Partial<InputLimits>, RegExp]>([
    ['a 4 MB file without newlines (line bound 64 KiB)', async () => ['imdb', {
      basics: await streamFile('no-newlines.tsv', 64, () => 'x'.repeat(65_536)), ratings: base.good['ratings.tsv']!,
    }], { maxLineBytes: 65_536 }, /line 1 is longer than 65536 bytes — not a line-oriented file, or a runaway field \(INPUT_MAX_LINE_BYTES\)/],
    ['a gzip bomb: 3 MB of rows in a small .gz (decompressed bound 1 MiB)', async () => ['imdb', {
      basics: await streamFile('bomb.tsv.gz', 30_001, (i) => (i === 0 ? `${BASICS_HEADER}\n` : row(i))), ratings: base.good['ratings.tsv']!,
    }], { maxDecompressedBytes: 1_048_576 }, /decompresses to more bytes than accepted \(at most 1048576, INPUT_MAX_DECOMPRESSED_BYTES\)/],
    ['more rows than INPUT_MAX_ROWS (1000)', async () => ['imdb', {
      basics: await streamFile('rows.tsv', 5001, (i) => (i === 0 ? `${BASICS_HEADER}\n` : row(i))), ratings: base.good['ratings.tsv']!,
    }], { maxRows: 1000 }, /more than 1000 rows.*INPUT_MAX_ROWS/],
    ['more staged bytes than INPUT_MAX_STAGED_BYTES (100 kB)', async () => ['imdb', {
      basics: await streamFile('staged.tsv', 8001, (i) => (i === 0 ? `${BASICS_HEADER}\n` : row(i))), ratings: base.good['ratings.tsv']!,
    }], { maxStagedBytes: 100_000 }, /the run staged \d+ bytes: too much input for one run \(at most 100000, INPUT_MAX_STAGED_BYTES\)/],
    ['a CSV with 10,000 columns (default bound 1000)', async () => ['rottentomatoes', {
      file: await file('wide.csv', csv([...RT_HEADER, ...Array.from({ length: 10_000 - RT_HEADER.length }, (_, i) => `extra_${i}`)], [])),
    }], {}, /the header names 10000 columns; too many \(at most 1000, INPUT_MAX_COLUMNS\)/],
    ['a CSV record longer than the bound, spread over lines inside quotes', async () => ['rottentomatoes', {
      file: await file('long-record.csv', rtCsv([{ rotten_tomatoes_link: 'm/long', movie_title: 'Long', movie_info: 'line of text\n'.repeat(20_000) }])),
    }], { maxLineBytes: 100_000 }, /a record from line 2 is longer than 100000 characters \(INPUT_MAX_LINE_BYTES\)/],
  ])('%s', async (_name, make, limits, reason) => {
    const [provider, location] = await make();
    const before = await exactState(base.db.pool);
    const { outcome, stored, staged } = await runWith(provider, location, limits);
    expect(outcome?.status).toBe('FAILED');
    expect(stored.status).toBe('FAILED');
    expect(stored.error).toMatch(reason);
    expect(await exactState(base.db.pool)).toEqual(before);
    expect(staged).toBe(0);
  });
});

describe('error text is storable and names the real reason', () => {
  it('a NUL byte in a header line: the run fails with the unexpected header, NUL escaped, instead of a worker crash', async () => {
    const basics = await file('nul-header.tsv', `tconst\0\ttitleType\n${row(1)}`);
    const run = await importImdb(base.db.pool, basics, base.good['ratings.tsv']!);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/unexpected header "tconst\\u0000\ttitleType"/);
  });

  it('a NUL and control characters in a rejected row are stored escaped', async () => {
    const basics = await file('nul-row.tsv', `${BASICS_HEADER}\ntt0300009\tmovie\tBad\0Title\x07\tBad\t2\t1999\t\\N\t90\tDrama\n`);
    const run = await importImdb(base.db.pool, basics, base.good['ratings.tsv']!);
    expect(run.status).toBe('PARTIAL');
    const { rows } = await base.db.pool.query('SELECT reason, excerpt FROM import_errors WHERE run_id = $1', [run.id]);
    expect(rows).toEqual([{ reason: 'isAdult must be 0 or 1, found "2"', excerpt: 'tt0300009\tmovie\tBad\\u0000Title\\u0007\tBad\t2\t1999\t\\N\t90\tDrama' }]);
  });

  it.each<[string, Buffer, RegExp]>([
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rtCsv([{ rotten_tomatoes_link: 'm/x', movie_title: 'X' }]), 'utf16le')]),
      /is not UTF-8 \(UTF-16 LE with a byte order mark\)/],
    ['UTF-16 BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(rtCsv([{ rotten_tomatoes_link: 'm/x', movie_title: 'X' }]), 'utf16le').swap16()]),
      /is not UTF-8 \(UTF-16 BE with a byte order mark\)/],
    ['UTF-16 LE without a BOM (NUL-interleaved)', Buffer.from(rtCsv([{ rotten_tomatoes_link: 'm/x', movie_title: 'X' }]), 'utf16le'),
      /is not UTF-8 \(UTF-16 LE without a byte order mark\?\)/],
  ])('a Rotten Tomatoes CSV in %s is refused with that reason', async (name, bytes, reason) => {
    const before = await exactState(base.db.pool);
    const { stored } = await runWith('rottentomatoes', { file: await file(`${name.replace(/\W+/g, '-')}.csv`, bytes) });
    expect(stored).toEqual({ status: 'FAILED', error: expect.stringMatching(reason) });
    expect(await exactState(base.db.pool)).toEqual(before);
  });

  it('an IMDb file in UTF-16 without a BOM is refused the same way', async () => {
    const run = await importImdb(base.db.pool, await file('utf16.tsv', Buffer.from(basicsTsv(TITLES), 'utf16le')), base.good['ratings.tsv']!);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/not UTF-8 \(UTF-16 LE without a byte order mark\?\)/);
  });
});

describe('the default line bound holds memory on an endless line', () => {
  it('a download that never sends a newline fails at 16 MiB read, not at the end of the input', async () => {
    let sent = 0;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/tab-separated-values' });
      res.on('close', () => (closed = true));
      const pump = () => {
        // Endless, at the pace the reader takes it: backpressure decides how much is ever sent.
        while (!closed && sent < 1024 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/endless.tsv`;
      const run = await importImdb(base.db.pool, url, base.good['ratings.tsv']!);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(new RegExp(`line 1 is longer than ${DEFAULT_INPUT_LIMITS.maxLineBytes} bytes`));
      // The bound is 16 MiB; what was sent beyond it sits in socket and stream buffers (a few MiB), not 1 GiB.
      expect(sent).toBeLessThan(DEFAULT_INPUT_LIMITS.maxLineBytes + 16 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
