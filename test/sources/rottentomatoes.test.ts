import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rottenTomatoesAdapter, splitTitle } from '../../src/sources/rottentomatoes.js';
import { decodeText } from '../../src/sources/text-decoding.js';
import { type SourceItem } from '../../src/sources/types.js';
import { collect, RT_HEADER, rtCsv, type RtRow } from '../support/csv-files.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { tempDir } from '../support/imdb-files.js';
import { drainJobs, queueImport } from '../support/pipeline.js';
import { SourceError } from '../../src/errors.js';

// The Rotten Tomatoes sample as bundled until 2026-11 (60 rows), on which the reader is pinned.
const SAMPLE = fileURLToPath(new URL('../fixtures/sample-2026-11/rottentomatoes/rotten_tomatoes_movies.csv', import.meta.url));

const PERCY: RtRow = {
  rotten_tomatoes_link: 'm/0814255',
  movie_title: 'Percy Jackson & the Olympians: The Lightning Thief',
  movie_info: 'A teenager learns his father is Poseidon, "god of the sea", and sets out across America.\nSecond paragraph, with a comma.',
  critics_consensus: 'Though it may seem like just another Harry Potter knockoff, Percy Jackson benefits from a strong supporting cast.',
  content_rating: 'PG',
  genres: 'Action & Adventure, Comedy, Drama, Science Fiction & Fantasy',
  directors: 'Chris Columbus',
  authors: 'Craig Titley, Chris Columbus, Rick Riordan',
  actors: 'Logan Lerman, Brandon T. Jackson, Alexandra Daddario',
  original_release_date: '2010-02-12',
  streaming_release_date: '2015-11-25',
  runtime: '119.0',
  production_company: '20th Century Fox',
  tomatometer_status: 'Rotten',
  tomatometer_rating: '49.0',
  tomatometer_count: '149.0',
  audience_status: 'Spilled',
  audience_rating: '53.0',
  audience_count: '254421.0',
  tomatometer_top_critics_count: '43',
  tomatometer_fresh_critics_count: '73',
  tomatometer_rotten_critics_count: '76',
};
const PLEASE_GIVE: RtRow = {
  rotten_tomatoes_link: 'm/0878835', movie_title: 'Please Give', movie_info: 'A Manhattan couple wait for their neighbor\'s apartment.',
  genres: 'Comedy', original_release_date: '2010-04-30', runtime: '90', tomatometer_rating: '87', tomatometer_count: '142',
  audience_rating: '64', audience_count: '11574',
};
const NO_SCORES: RtRow = { rotten_tomatoes_link: 'm/the_quiet_field', movie_title: 'The Quiet Field', genres: 'Documentary, Special Interest' };
const AUDIENCE_ONLY: RtRow = {
  rotten_tomatoes_link: 'm/holy_runners', movie_title: 'Spring of the Holy Runners', original_release_date: '2012-09-14',
  audience_rating: '73.0', audience_count: '',
};

const payload = (row: RtRow) => Object.fromEntries(RT_HEADER.map((c) => [c, row[c] === undefined || row[c] === null ? '' : String(row[c])]));

const EXPECTED: SourceItem[] = [
  {
    type: 'record',
    line: 2,
    record: {
      externalId: 'm/0814255',
      title: 'Percy Jackson & the Olympians: The Lightning Thief',
      originalTitle: null,
      year: 2010,
      releaseDate: '2010-02-12',
      runtimeMinutes: 119,
      genres: ['Action & Adventure', 'Comedy', 'Drama', 'Science Fiction & Fantasy'],
      ratings: [
        { kind: 'critics', value: 49, votes: 149 },
        { kind: 'audience', value: 53, votes: 254421 },
      ],
      imdbId: null,
      tmdbId: null,
      directors: ['Chris Columbus'],
      overview: PERCY.movie_info as string,
      posterUrl: null,
      isAdult: false,
      payload: payload(PERCY),
    },
  },
  {
    type: 'record',
    line: 4,
    record: {
      externalId: 'm/0878835', title: 'Please Give', originalTitle: null, year: 2010, releaseDate: '2010-04-30', runtimeMinutes: 90,
      genres: ['Comedy'],
      ratings: [{ kind: 'critics', value: 87, votes: 142 }, { kind: 'audience', value: 64, votes: 11574 }],
      imdbId: null, tmdbId: null, overview: "A Manhattan couple wait for their neighbor's apartment.", posterUrl: null, isAdult: false,
      payload: payload(PLEASE_GIVE),
    },
  },
  {
    type: 'record',
    line: 5,
    record: {
      externalId: 'm/the_quiet_field', title: 'The Quiet Field', originalTitle: null, year: null, releaseDate: null, runtimeMinutes: null,
      genres: ['Documentary', 'Special Interest'], ratings: [], imdbId: null, tmdbId: null, overview: null, posterUrl: null,
      isAdult: false, payload: payload(NO_SCORES),
    },
  },
  {
    type: 'record',
    line: 6,
    record: {
      externalId: 'm/holy_runners', title: 'Spring of the Holy Runners', originalTitle: null, year: 2012, releaseDate: '2012-09-14',
      runtimeMinutes: null, genres: [], ratings: [{ kind: 'audience', value: 73, votes: null }], imdbId: null, tmdbId: null,
      overview: null, posterUrl: null, isAdult: false, payload: payload(AUDIENCE_ONLY),
    },
  },
];

describe('Rotten Tomatoes CSV adapter', () => {
  let dir: string;
  const read = (file: string) => collect(rottenTomatoesAdapter.read({ file }, {}));
  const write = async (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return file;
  };

  beforeAll(async () => {
    dir = await tempDir();
  });

  it('reads quoted fields, commas, an embedded newline and a BOM into exact records', async () => {
    const file = await write('movies.csv', `\uFEFF${rtCsv([PERCY, PLEASE_GIVE, NO_SCORES, AUDIENCE_ONLY])}`);
    expect(await read(file)).toEqual(EXPECTED);
  });

  it('reads the same from CRLF line ends, turning a CRLF inside a quoted field into a newline', async () => {
    const file = await write('crlf.csv', `\uFEFF${rtCsv([PERCY, PLEASE_GIVE, NO_SCORES, AUDIENCE_ONLY])}`.replaceAll('\n', '\r\n'));
    expect(await read(file)).toEqual(EXPECTED);
  });

  it('reads gzip and takes columns by name, in any order, with extra columns', async () => {
    const header = ['poster_url', ...[...RT_HEADER].reverse()];
    const file = await write('reordered.csv.gz', gzipSync(rtCsv([{ ...PLEASE_GIVE }], header)));
    const [item] = await read(file);
    expect(item).toEqual({ ...EXPECTED[1], line: 2, record: { ...(EXPECTED[1] as { record: object }).record, payload: { ...payload(PLEASE_GIVE), poster_url: '' } } });
  });

  it('reads a Windows-1252 file (as saved by Excel) without mangling accents', async () => {
    const text = rtCsv([{ rotten_tomatoes_link: 'm/amelie', movie_title: 'Amélie', movie_info: 'Une fée à Montmartre – “charming”.' }]);
    const file = await write('cp1252.csv', encode1252(text));
    const [item] = await read(file);
    expect(item).toMatchObject({ type: 'record', record: { title: 'Amélie', overview: 'Une fée à Montmartre – “charming”.' } });
  });

  it('rejects bad rows with line, reference, reason and excerpt, and reads on', async () => {
    const good = (link: string): RtRow => ({ rotten_tomatoes_link: link, movie_title: `Film ${link}`, original_release_date: '2001-01-01' });
    const content = rtCsv([
      good('m/ok_1'),
      { ...good('m/bad_rating'), tomatometer_rating: 'abc', tomatometer_count: '12' },
      { ...good('m/too_high'), audience_rating: '101', audience_count: '7' },
      { ...good(''), movie_title: 'No Link', movie_info: 'two\nlines' },
      { ...good('m/no_title'), movie_title: '  ' },
      { ...good('m/bad_date'), original_release_date: '2010-13-45' },
      { ...good('m/fractional_count'), tomatometer_rating: '50', tomatometer_count: '12.5' },
      { ...good('m/negative'), tomatometer_rating: '-1' },
    ]) +
      'm/short,Short Film,info\n' +
      // An unquoted stray quote is read as text, not a broken row.
      `m/12_inch,The 12" Single${','.repeat(20)}\n` +
      rtCsv([good('m/ok_2')]).split('\n').slice(1).join('\n');
    const items = await read(await write('bad.csv', content));
    const rejects = items.filter((i) => i.type === 'reject').sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    expect(items.filter((i) => i.type === 'record').map((i) => i.type === 'record' && [i.line, i.record.externalId])).toEqual([
      [2, 'm/ok_1'], [12, 'm/12_inch'], [13, 'm/ok_2'],
    ]);
    expect(rejects.map((r) => r.type === 'reject' && [r.line, r.reference, r.reason])).toEqual([
      [3, 'm/bad_rating', 'tomatometer_rating must be a number, found "abc"'],
      [4, 'm/too_high', 'audience_rating 101 is out of range 0-100'],
      [5, 'No Link', 'rotten_tomatoes_link is empty'],
      [7, 'm/no_title', 'movie_title is empty'],
      [8, 'm/bad_date', 'original_release_date must be a date YYYY-MM-DD, found "2010-13-45"'],
      [9, 'm/fractional_count', 'tomatometer_count must be a whole number, found "12.5"'],
      [10, 'm/negative', 'tomatometer_rating -1 is out of range 0-100'],
      [11, 'm/short', 'expected 22 comma-separated fields, found 3'],
    ]);
    expect(items.find((i) => i.type === 'record' && i.line === 12)).toMatchObject({ record: { title: 'The 12" Single' } });
    expect(rejects[0]).toMatchObject({ excerpt: expect.stringMatching(/^m\/bad_rating,Film m\/bad_rating,/) });
    expect(rejects[2]).toMatchObject({ excerpt: expect.stringContaining('"two\nlines"') });
    expect(rejects[7]).toMatchObject({ excerpt: 'm/short,Short Film,info' });
  });

  it('skips blank lines and still gives every row its own line number', async () => {
    const [header, first, second] = rtCsv([PLEASE_GIVE, { ...NO_SCORES, tomatometer_rating: 'x' }]).split('\n');
    const file = await write('blank-lines.csv', `${header}\n\n${first}\n\n\n${second}\n\n`);
    const items = await read(file);
    expect(items.map((i) => [i.type, i.line])).toEqual([['record', 3], ['reject', 6]]);
  });

  it.each([
    ['a tab-separated file', RT_HEADER.join('\t') + '\nm/x\tX\n', /unexpected header .*: the file is tab-separated; expected comma-separated columns including rotten_tomatoes_link/],
    ['a semicolon-separated file', RT_HEADER.join(';') + '\n', /the file is ";"-separated/],
    ['a header missing columns', 'rotten_tomatoes_link,movie_title,genres\nm/x,X,Drama\n', /missing columns movie_info, original_release_date, runtime, tomatometer_rating/],
    ['another file altogether', 'tconst,titleType,primaryTitle\n', /unexpected header "tconst,titleType,primaryTitle": missing columns rotten_tomatoes_link/],
    ['an empty file', '', /is empty: expected a header line/],
    ['a quote never closed', rtCsv([PLEASE_GIVE]) + 'm/open,"Open quote,info\n', /truncated or malformed: a quoted field opened on line 3 is never closed/],
    ['a file cut off mid-row', rtCsv([PLEASE_GIVE]) + 'm/cut,Cut', /is truncated: its last line 3 is incomplete/],
  ])('fails on %s with a clear SourceError', async (_name, content, message) => {
    const file = await write('broken.csv', content);
    const error = await read(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
  });

  it.each([
    ['12 Angry Men (Twelve Angry Men)', '12 Angry Men', 'Twelve Angry Men'],
    ['The City of Lost Children (La Cité des Enfants Perdus)', 'The City of Lost Children', 'La Cité des Enfants Perdus'],
    ['Dracula (1931)', 'Dracula', null],
    ['(500) Days of Summer', '(500) Days of Summer', null],
    ['Percy Jackson & the Olympians: The Lightning Thief', 'Percy Jackson & the Olympians: The Lightning Thief', null],
  ])('splits the title %j into its title and other title', (full, title, originalTitle) => {
    expect(splitTitle(full)).toEqual({ title, originalTitle });
  });

  it('needs --file', () => {
    expect(() => rottenTomatoesAdapter.checkLocation({})).toThrow(
      'Rotten Tomatoes import needs --file (path or URL of rotten_tomatoes_movies.csv, plain or .gz)',
    );
  });

  it('reads the bundled sample without a reject', async () => {
    const items = await read(SAMPLE);
    expect(items.filter((i) => i.type !== 'record')).toEqual([]);
    expect(items).toHaveLength(60);
    const shining = items.find((i) => i.type === 'record' && i.record.externalId === 'm/shining');
    expect(shining).toMatchObject({ line: 39, record: { title: 'The Shining', year: 1980, overview: expect.stringContaining('hotel,\nwhere') } });
  });
});

describe('CSV text decoding', () => {
  async function decode(chunks: Buffer[]): Promise<string> {
    let out = '';
    for await (const text of Readable.from(chunks).pipe(decodeText())) out += String(text);
    return out;
  }

  it('gives the same text wherever the chunks split a character, a BOM or a CRLF', async () => {
    const bytes = Buffer.from('\uFEFFa,"é\r\n€ 𝄞",c\r\nx,y,z\r\n');
    const expected = 'a,"é\n€ 𝄞",c\nx,y,z\n';
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await decode([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe(expected);
    }
    expect(await decode([...bytes].map((b) => Buffer.from([b])))).toBe(expected);
  });

  it('switches to Windows-1252 from the first chunk that is not UTF-8', async () => {
    expect(await decode([Buffer.from('Am'), Buffer.from([0xe9, 0x6c, 0x69, 0x65, 0x20, 0x80])])).toBe('Amélie €');
  });
});

describe('Rotten Tomatoes through the worker', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await tempDir();
  });
  afterAll(() => db.drop());

  async function importFile(file: string) {
    const runId = await queueImport(db.pool, 'rottentomatoes', { file }, 'cli');
    await drainJobs(db.pool);
    const { rows } = await db.pool.query('SELECT * FROM import_runs WHERE id = $1', [runId]);
    return rows[0];
  }

  it('keeps rows UNMATCHED with a reason and creates no movie when no movie has the title', async () => {
    const file = path.join(dir, 'rt.csv');
    await writeFile(file, `\uFEFF${rtCsv([PERCY, PLEASE_GIVE, NO_SCORES, { ...AUDIENCE_ONLY, audience_rating: 'n/a' }])}`);
    const run = await importFile(file);
    expect(run).toMatchObject({ status: 'PARTIAL', rows_read: 4, rows_changed: 3, rows_rejected: 1, error: null });

    const { rows: records } = await db.pool.query(
      `SELECT external_id, title, year, release_date::text, runtime_minutes, genres, rating, votes, ratings, imdb_id,
              movie_id, match_status, match_reason
         FROM provider_records WHERE provider_key = 'rottentomatoes' ORDER BY external_id`,
    );
    expect(records).toEqual([
      {
        external_id: 'm/0814255', title: 'Percy Jackson & the Olympians: The Lightning Thief', year: 2010, release_date: '2010-02-12',
        runtime_minutes: 119, genres: ['Action & Adventure', 'Comedy', 'Drama', 'Science Fiction & Fantasy'],
        rating: 49, votes: 149,
        ratings: [{ kind: 'critics', value: 49, votes: 149 }, { kind: 'audience', value: 53, votes: 254421 }],
        imdb_id: null, movie_id: null, match_status: 'UNMATCHED', match_reason: expect.stringMatching(/\S/),
      },
      expect.objectContaining({ external_id: 'm/0878835', rating: 87, votes: 142, movie_id: null, match_status: 'UNMATCHED', match_reason: expect.stringMatching(/\S/) }),
      expect.objectContaining({
        external_id: 'm/the_quiet_field', rating: null, ratings: [], movie_id: null, match_status: 'UNMATCHED',
        match_reason: expect.stringMatching(/\S/),
      }),
    ]);
    const { rows: errors } = await db.pool.query('SELECT line, reference, reason FROM import_errors WHERE run_id = $1', [run.id]);
    expect(errors).toEqual([{ line: 6, reference: 'm/holy_runners', reason: 'audience_rating must be a number, found "n/a"' }]);
    const { rows: movies } = await db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(movies[0].n).toBe(0);
  });

  it('fails the run on a wrong header and changes nothing', async () => {
    const file = path.join(dir, 'wrong.csv');
    await writeFile(file, RT_HEADER.join('\t') + '\n');
    const before = await db.pool.query('SELECT * FROM provider_records ORDER BY id');
    const run = await importFile(file);
    expect(run).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/tab-separated/) });
    expect((await db.pool.query('SELECT * FROM provider_records ORDER BY id')).rows).toEqual(before.rows);
  });
});

/** Windows-1252 bytes of text that only uses Latin-1 letters and a few typographic marks. */
function encode1252(text: string): Buffer {
  const extra: Record<string, number> = { '–': 0x96, '“': 0x93, '”': 0x94 };
  return Buffer.from([...text].map((c) => extra[c] ?? c.charCodeAt(0)));
}
