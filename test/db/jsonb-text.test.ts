import { copyStaged, stagedRatingLine, stagedRecordLine, type StagedRecord } from '../../src/db/staging.js';
import { jsonbText, numericText } from '../../src/db/jsonb-text.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// The content hash compares a staged record with the stored one by the record's jsonb text: Node
// builds that text now (src/db/jsonb-text.ts), so it must be PostgreSQL's, byte for byte.

/** A deterministic pseudo-random sequence (no flaky corpus). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = [
  '', 'a', 'Amélie', '千と千尋の神隠し', '🎬 emoji', 'tab\there', 'new\nline', 'cr\rhere', 'back\\slash', 'quote"s', 'slash/',
  '\u0001\u001f control', '\u007f del', '\u2028 line sep', 'ﬁ ligature', 'Ǆ', '\\N', '{"not": "json"}', 'NULL', '{a,b}',
];
const NUMBERS = [
  0, -0, 1, -1, 7.5, 0.1, 0.1 + 0.2, 1 / 3, 2 / 3, 123456789012, 1e15, 1e16, 1e20, 1e21, 1.5e21, 123e25, 1e-6, 1e-7, 1.5e-7,
  -2.5e-9, Number.MAX_VALUE, Number.MIN_VALUE, 25 / 7, 8.1, 10, 10 - 8 * Number.EPSILON, 2 ** 53, -(2 ** 53) - 2,
];
const KEYS = ['a', 'b', 'ab', 'ba', 'B', 'kind', 'value', 'votes', 'sourceUpdatedAt', 'é', 'z', 'zz', '日本', 'ü1', '🎬', 'A_b', '', 'aaaa', 'ÿ'];

function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.3) return STRINGS[Math.floor(next() * STRINGS.length)];
  if (pick < 0.55) return NUMBERS[Math.floor(next() * NUMBERS.length)];
  if (pick < 0.62) return next() < 0.5;
  if (pick < 0.67) return null;
  if (pick < 0.82) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--) object[KEYS[Math.floor(next() * KEYS.length)]!] = value(next, depth + 1);
  return object;
}

describe('jsonbText', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function printed(json: string[]): Promise<string[]> {
    const { rows } = await db.pool.query<{ text: string }>('SELECT j::jsonb::text AS text FROM unnest($1::text[]) WITH ORDINALITY u(j, n) ORDER BY n', [json]);
    return rows.map((r) => r.text);
  }

  it('is the text PostgreSQL prints for the value stored as jsonb, for strings, numbers, nesting and key orders of every kind', async () => {
    const next = random(18);
    const values: unknown[] = [...STRINGS, ...NUMBERS, ...NUMBERS.map((n) => -n), true, false, null, [], {}, [[]], { '': {} }];
    for (let i = 0; i < 3000; i++) values.push(value(next, 0));
    expect(values.map((v) => jsonbText(v))).toEqual(await printed(values.map((v) => JSON.stringify(v))));
  });

  it('writes what JSON.stringify writes: undefined members left out, null in arrays, toJSON called', async () => {
    const values: unknown[] = [
      { a: undefined, b: 1, c: () => 1 }, [undefined, () => 1, 2], { at: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 7)) },
      { n: NaN, i: Infinity }, Object.assign(Object.create(null) as object, { z: 1, y: 2 }),
    ];
    expect(values.map((v) => jsonbText(v))).toEqual(await printed(values.map((v) => JSON.stringify(v))));
    expect(jsonbText(undefined)).toBeUndefined();
  });

  it('prints numbers in plain decimal', () => {
    expect(numericText(1e21)).toBe('1000000000000000000000');
    expect(numericText(1.5e-7)).toBe('0.00000015');
    expect(numericText(-1.25e-7)).toBe('-0.000000125');
    expect(numericText(1.2345e22)).toBe('12345000000000000000000');
    expect(numericText(-0)).toBe('0');
  });
});

describe('staged lines', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const record = (over: Partial<StagedRecord>): StagedRecord => ({
    title: 'The Title', original_title: null, year: 1999, release_date: '1999-03-31', runtime_minutes: 136, genres: ['Action', 'Sci-Fi'],
    ratings: [], imdb_id: 'tt0133093', tmdb_id: '603', overview: null, poster_url: null, is_adult: false,
    payload: { tconst: 'tt0133093', startYear: 1999, endYear: null }, ...over,
  });

  it('stage each field in its column as the record staged as jsonb expanded, and its record_text is that jsonb printed', async () => {
    const next = random(7);
    const records: StagedRecord[] = [
      record({}),
      record({ title: 'Tab\tNew\nLine\\ "quoted" Amélie 🎬', original_title: '{braces}, commas', genres: [], directors: ['A "B"', 'C\\D', 'NULL', ''] }),
      record({ year: null, release_date: null, runtime_minutes: null, genres: ['x,y', '{z}'], removed: ['genres', 'rating.users'], is_adult: true }),
      record({ ratings: [{ kind: 'users', value: 25 / 7, votes: 12 }, { kind: 'critics', value: 1e-7, votes: null, sourceUpdatedAt: '2020-01-02T03:04:05.678Z' }] }),
      record({ title: null, overview: 'Line one\r\nline two', poster_url: 'https://image.example/p.jpg', tmdb_id: null, imdb_id: null }),
      { ...record({}), payload: value(next, 0) as Record<string, unknown> },
      { ...record({}), payload: { nested: [value(next, 1), value(next, 1)], more: value(next, 1) } },
      // Values of other JSON types, as a provider module in plain JavaScript may give them.
      { ...record({}), title: 5 as unknown as string, original_title: true as unknown as string, is_adult: 'false' as unknown as boolean,
        genres: [1, true, 'x', 2.5, null, 'a"b'] as unknown as string[], directors: [{ a: 1 }] as unknown as string[] },
      { ...record({}), is_adult: 'true' as unknown as boolean, overview: { text: 'a' } as unknown as string },
    ];
    for (let i = 0; i < 200; i++) records.push(record({ title: String(value(next, 5)), payload: { any: value(next, 0), [KEYS[i % KEYS.length]!]: value(next, 1) } }));
    const text = Buffer.from(records.map((r, i) => stagedRecordLine('1', { external_id: `e${i}`, line: i + 1, record: r })).join(''), 'utf8');
    await copyStaged(db.pool, 'records', text);
    const { rows } = await db.pool.query(
      `SELECT s.record_text = j::jsonb::text AS same_text,
              (s.title, s.original_title, s.year, s.release_date, s.runtime_minutes, s.genres, s.ratings, s.imdb_id, s.tmdb_id,
               s.directors, s.overview, s.poster_url, s.is_adult, s.payload, s.removed)::text AS columns,
              (x.title, x.original_title, x.year, x.release_date, x.runtime_minutes, x.genres, x.ratings, x.imdb_id, x.tmdb_id,
               x.directors, x.overview, x.poster_url, x.is_adult, x.payload, x.removed)::text AS expanded
         FROM import_staging_records s
         JOIN unnest($1::text[]) WITH ORDINALITY u(j, n) ON s.line = u.n
         CROSS JOIN LATERAL jsonb_to_record(j::jsonb) AS x(title text, original_title text, year int, release_date text, runtime_minutes int,
           genres text[], ratings jsonb, imdb_id text, tmdb_id text, directors text[], overview text, poster_url text, is_adult boolean,
           payload jsonb, removed text[])
        ORDER BY s.line`,
      [records.map((r) => JSON.stringify(r))],
    );
    expect(rows).toHaveLength(records.length);
    for (const row of rows) expect(row).toEqual({ same_text: true, columns: row.expanded, expanded: row.expanded });
  });

  it('stage each rating with its jsonb text as the merge built it from the columns, and none for a date it would print otherwise', async () => {
    const ratings = [
      { kind: 'users', value: 7.5, votes: 1200, source_updated_at: null },
      { kind: 'users', value: 25 / 7, votes: null, source_updated_at: '2021-06-30T23:59:59.999Z' },
      { kind: 'critics', value: 1e-7, votes: 0, source_updated_at: '0999-01-01T00:00:00.000Z' },
      { kind: 'audience "x"', value: 1e21, votes: 2147483647, source_updated_at: null },
      { kind: 'users', value: 0.1 + 0.2, votes: 3, source_updated_at: '2021-06-30T23:59:59Z' },
      { kind: 'users', value: 8, votes: 3, source_updated_at: '2021-06-30T23:59:59.123+02:00' },
    ];
    const text = Buffer.from(ratings.map((r, i) => stagedRatingLine('1', { external_id: `e${i}`, line: i + 1, ...r })).join(''), 'utf8');
    await copyStaged(db.pool, 'ratings', text);
    const { rows } = await db.pool.query<{ element: string | null; built: string }>(
      `SELECT element, (jsonb_build_object('kind', kind, 'value', value, 'votes', votes)
                        || CASE WHEN source_updated_at IS NULL THEN '{}'::jsonb
                                ELSE jsonb_build_object('sourceUpdatedAt', to_char(source_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END)::text AS built
         FROM import_staging_ratings ORDER BY line`,
    );
    expect(rows.slice(0, 4).map((r) => r.element)).toEqual(rows.slice(0, 4).map((r) => r.built));
    expect(rows.slice(4).map((r) => r.element)).toEqual([null, null]);
  });
});
