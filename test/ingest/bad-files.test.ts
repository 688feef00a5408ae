/**
 * Bad provider files through the worker path: each either fails its run with a clear error and
 * leaves every raw and curated row exactly as it was, or imports the good rows and rejects the bad
 * ones with their line and reason.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { useGoodImdbImport } from '../support/good-import.js';
import { BASICS_HEADER, basicsTsv, type Title } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';
import { exactState } from '../support/reliability.js';

const TITLES: Title[] = [
  { tconst: 'tt0200001', title: 'Silent Harbor', year: 1994, runtime: 100, genres: ['Drama'] },
  { tconst: 'tt0200002', title: 'Crimson Tide Rising', year: 2004, runtime: 95, genres: ['Comedy'] },
];
const RATINGS: [string, number, number][] = [['tt0200001', 8.1, 12000], ['tt0200002', 6.2, 800]];

const base = useGoodImdbImport(TITLES, RATINGS);
const { file } = base;

async function errorsOf(runId: string) {
  const { rows } = await base.db.pool.query('SELECT line, reference, reason FROM import_errors WHERE run_id = $1 ORDER BY line, id', [runId]);
  return rows as { line: number | null; reference: string | null; reason: string }[];
}

const renamed = basicsTsv([{ tconst: 'tt0200001', title: 'Renamed By A Bad File', year: 1994 }]);

describe('bad files fail their run and change nothing', () => {
  it.each<[string, () => Promise<string>, RegExp]>([
    ['a wrong header', () => file('header.tsv', 'id\ttype\ttitle\n' + renamed.split('\n').slice(1).join('\n')), /unexpected header/],
    ['a wrong delimiter (commas)', () => file('commas.tsv', renamed.replace(/\t/g, ',')), /unexpected header/],
    ['a truncated gzip file', async () => {
      const whole = gzipSync(renamed.repeat(200));
      return file('cut.tsv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    }, /gzip data is corrupt or truncated/],
    ['an empty file', () => file('empty.tsv', ''), /is empty/],
    ['a header only, cut mid-line', () => file('cut.tsv', `${BASICS_HEADER}\ntt0200001\tmovie\tRenamed`), /truncated/],
    ['a missing file', () => Promise.resolve(path.join(base.dir, 'does-not-exist.tsv')), /File not found/],
    ['binary garbage', () => file('garbage.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256))), /.+/],
  ])('%s', async (_name, makeBasics, message) => {
    const before = await exactState(base.db.pool);
    const run = await importImdb(base.db.pool, await makeBasics(), base.good['ratings.tsv']!);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(message);
    expect(await exactState(base.db.pool)).toEqual(before);
    const { rows } = await base.db.pool.query('SELECT count(*)::int AS n FROM import_staging_records');
    expect(rows[0].n).toBe(0);
  });
});

describe('bad rows are rejected with reasons, the rest imported', () => {
  it('invalid UTF-8 in a title: that row is rejected with its line and reason, never stored as garbage; the others import', async () => {
    const text = basicsTsv([
      { tconst: 'tt0200010', title: 'Valid Title', year: 2001 },
      { tconst: 'tt0200011', title: 'BROKEN', original: 'Fine Original', year: 2002 },
    ]);
    const [head, tail] = text.split('BROKEN');
    const bytes = Buffer.concat([Buffer.from(head!), Buffer.from([0x4c, 0xe9, 0xff, 0xfe, 0x20, 0x43, 0x61, 0x66, 0xc3]), Buffer.from(tail!)]);
    const run = await importImdb(base.db.pool, await file('utf8.tsv', bytes), base.good['ratings.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 1 });
    expect(await errorsOf(run.id)).toEqual([{ line: 3, reference: 'tt0200011', reason: expect.stringMatching(/not valid UTF-8/) }]);
    const { rows } = await base.db.pool.query(`SELECT external_id, title FROM provider_records WHERE external_id IN ('tt0200010', 'tt0200011') ORDER BY 1`);
    expect(rows).toEqual([{ external_id: 'tt0200010', title: 'Valid Title' }]);
  });

  it('a title over 1000 characters is rejected (it could not be indexed)', async () => {
    const text = basicsTsv([{ tconst: 'tt0200025', title: 'y'.repeat(5000), year: 2002 }, { tconst: 'tt0200026', title: 'Short', year: 2002 }]);
    const run = await importImdb(base.db.pool, await file('long-title.tsv', text), base.good['ratings.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 1 });
    expect(await errorsOf(run.id)).toEqual([{ line: 2, reference: 'tt0200025', reason: 'title is longer than 1000 characters' }]);
  });

  it('a multi-megabyte line is rejected with its line number; the rows around it import', async () => {
    const huge = 'x'.repeat(3 * 1024 * 1024);
    const text = basicsTsv([
      { tconst: 'tt0200020', title: 'Before The Giant', year: 2001 },
      { tconst: 'tt0200021', title: huge, year: 2002 },
      { tconst: 'tt0200022', title: 'After The Giant', year: 2003 },
    ]);
    const run = await importImdb(base.db.pool, await file('huge.tsv', text), base.good['ratings.tsv']!);
    expect(run.status).toBe('PARTIAL');
    const errors = await errorsOf(run.id);
    expect(errors).toEqual([{ line: 3, reference: 'tt0200021', reason: expect.stringMatching(/^line is \d{7} characters long; at most 100000 are accepted$/) }]);
    const { rows } = await base.db.pool.query(`SELECT external_id FROM provider_records WHERE external_id IN ('tt0200020', 'tt0200021', 'tt0200022') ORDER BY 1`);
    expect(rows.map((r) => r.external_id)).toEqual(['tt0200020', 'tt0200022']);
  });

  it('the same id twice in one file: the last row wins, the duplicate is reported, one record and one movie', async () => {
    const text = basicsTsv([
      { tconst: 'tt0200030', title: 'First Spelling', year: 2005 },
      { tconst: 'tt0200031', title: 'Unique', year: 2006 },
      { tconst: 'tt0200030', title: 'Second Spelling', year: 2005 },
    ]);
    const run = await importImdb(base.db.pool, await file('dupes.tsv', text), base.good['ratings.tsv']!);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_rejected: 1 });
    expect(await errorsOf(run.id)).toEqual([
      { line: null, reference: 'tt0200030', reason: 'tt0200030 appears 2 times in the input; the last row (line 4) was kept' },
    ]);
    const { rows } = await base.db.pool.query(
      `SELECT pr.title, m.title AS movie FROM provider_records pr JOIN movies m ON m.id = pr.movie_id WHERE pr.external_id = 'tt0200030'`,
    );
    expect(rows).toEqual([{ title: 'Second Spelling', movie: 'Second Spelling' }]);
  });
});
