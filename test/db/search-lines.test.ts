import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyLines } from '../../src/db/bulk-lines.js';
import { addSearchInputs, codePointOrder, NodeSearch, searchTokens, sortedTokens, type SearchMovie, type SearchText } from '../../src/db/search-lines.js';
import { normalizeTitle } from '../../src/matching/normalize-title.js';
import { aggregateAll, aggregateMovies } from '../../src/scoring/aggregate.js';
import { SEARCH_CORPUS } from '../fixtures/search-corpus.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

/**
 * A first aggregation in bulk builds the search rows in Node (db/search-lines.ts) instead of the
 * rebuild's backend. They must be the SQL's exactly: the tokens moviec_search_tokens gives, distinct
 * and in the database's order; the popularity bit for bit; the genre ids and providers. Proven here
 * on real film titles in many scripts (and awkward strings), and through the real bulk rebuild
 * against per-movie aggregation, which writes the search rows with moviec_search_refresh.
 */

/** Real titles beyond the search corpus: accents, other scripts, letters above U+FFFF, compatibility forms. */
const WORLD_TITLES = [
  'Amélie', 'Le Fabuleux Destin d’Amélie Poulain', 'Ça', 'Æon Flux', "Bienvenue chez les Ch'tis", 'Crouching Tiger, Hidden Dragon', '臥虎藏龍',
  '千と千尋の神隠し', '올드보이', 'Служебный роман', 'Иди и смотри', 'Ζ', 'Η Γυναίκα του Ζήση', 'مريم', 'שלום', 'Pokémon: Mewtwo Strikes Back',
  'Léon', 'Der Untergang', 'Smultronstället', 'Tōkyō Monogatari', '東京物語', 'Mùa len trâu', 'İstanbul Hatırası', 'Ölümsüz', 'Die Straße',
  '𠮷野家の牛丼', 'ＡＫＩＲＡ', 'ｱｷﾗ', 'Star Wars: Episode Ⅸ', 'Rocky Ⅱ', 'Star Wars: Episode IV - A New Hope', '8½', 'x² ≠ y', 'naïve',
  'ﬁlm noir', 'WALL·E', 'Se7en', 'M*A*S*H', 'AmÃ©lie', 'Les MisÃ©rables', 'Zażółć gęślą jaźń', 'Smrt úředníka', 'Åsa-Nisse',
  'Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb', 'Nausicaä of the Valley of the Wind', 'Mad Max: Fury Road',
  'Spider-Man: No Way Home', 'Henry V', 'Louis XIV', 'Pope Pius XII', 'Vi', 'X', 'I, Robot', 'I vitelloni', 'Ivan Vasilievich',
  'Constructor', '__proto__', 'toString', 'Null', 'The "Quoted" Movie', 'Back\\slash', '{Curly}', 'Comma, Separated',
];

/** Strings as a normalised title could be and beyond (the token function and the order of its output alone). */
const RAW_NORMALISED = [
  '', ' ', 'ii', 'iv v x', 'rocky ii', 'xx xxi', 'xix xx xxi', 'constructor', '__proto__ hasownproperty tostring', 'null', 'NULL', 'a"b',
  'a\\b', 'a,b', '{x}', '𠮷野家', '\uFF71', '\uE000', '\uFFFD', 'z', 'é', 'e\u0301', 'ä𝔄', 'a\u00A0b', '\u3000', 'Ω ω', '  spaced   out  ',
  '\uD800 lone', 'lone \uDFFF', '𝔄 \uFB01 \uFFFF',
];

const allTitles = (): string[][] => [
  ...SEARCH_CORPUS.map(([title, , , others]) => [title, ...(others ?? [])]),
  ...WORLD_TITLES.map((t) => [t]),
];

describe('the search rows Node builds for a first aggregation in bulk', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('runs on a database whose text order is its code points (the tests’ and the embedded one)', async () => {
    const { rows } = await db.pool.query('SELECT to_jsonb(d) AS d FROM pg_database d WHERE d.datname = current_database()');
    expect(codePointOrder(rows[0].d)).toBe(true);
    expect(codePointOrder({ datlocprovider: 'c', datcollate: 'en_US.UTF-8' })).toBe(false);
    expect(codePointOrder({ datlocprovider: 'i', datcollate: 'C', datlocale: 'und' })).toBe(false);
    expect(codePointOrder({ datlocprovider: 'b', datcollate: 'C', datlocale: 'C.UTF-8' })).toBe(true);
  });

  it('gives the tokens of moviec_search_tokens, distinct and in the database’s order, for real titles', async () => {
    // Movies of one to four titles each (a title and its original, alternative titles), and each
    // awkward string as a movie's only title and among others.
    const normalised = allTitles().map((titles) => titles.map(normalizeTitle));
    const movies: string[][] = [...normalised, ...RAW_NORMALISED.map((n) => [n])];
    for (let i = 0; i + 3 < normalised.length; i += 3) movies.push([...normalised[i]!, ...normalised[i + 1]!, ...normalised[i + 2]!]);
    for (let i = 0; i < RAW_NORMALISED.length; i++) movies.push([RAW_NORMALISED[i]!, RAW_NORMALISED[(i * 7 + 3) % RAW_NORMALISED.length]!, normalised[i]![0]!]);
    const names = movies.flat();
    const groups = movies.flatMap((titles, g) => titles.map(() => g));
    const { rows } = await db.pool.query<{ g: number; tokens: (string | null)[] }>(
      // As the search refresh takes them: no tokens at all (titles without a word) is the empty array.
      `SELECT m.g, coalesce(t.tokens, '{}') AS tokens
         FROM generate_series(0, $3::int - 1) AS m(g)
         LEFT JOIN (SELECT n.g, array_agg(DISTINCT tok ORDER BY tok) AS tokens
                      FROM unnest($1::text[], $2::int[]) AS n(t, g), unnest(moviec_search_tokens(n.t)) tok
                     GROUP BY n.g) t ON t.g = m.g
        ORDER BY m.g`,
      [names, groups, movies.length],
    );
    expect(rows).toHaveLength(movies.length);
    const node = movies.map((titles, g) => ({ g, tokens: sortedTokens(titles.flatMap(searchTokens)) }));
    expect(rows).toEqual(node);
    // Words beyond U+FFFF come after those of U+E000-U+FFFF there, as in UTF-8's bytes.
    expect(sortedTokens(['𠮷', '\uFF71', 'a', null, '\uE000'])).toEqual(['a', '\uE000', '\uFF71', '𠮷', null]);
    expect(searchTokens('')).toEqual([]);
    expect(searchTokens('constructor ii')).toEqual(['constructor', '2', '=constructor2']);
  });

  it('gives the popularity bit for bit, from the database’s logarithms', async () => {
    // Vote counts of every size IMDb shows (each of the first thousands, then spread to millions),
    // scores with full float8 precision, unscored movies.
    const votes = [...Array.from({ length: 3000 }, (_, i) => i), ...Array.from({ length: 3000 }, (_, i) => Math.floor(1.0047 ** (i + 1) * 997) + i)];
    const movies: SearchMovie[] = votes.map((v, i) => ({
      fields: { year: 1900 + (i % 130) },
      score: i % 11 === 0 ? null : { value: ((i * 7919) % 100_000) / 1000 + Math.PI / (i + 1), votes: v },
      titles: [{ providerKey: 'imdb' }, { providerKey: i % 3 ? 'tmdb' : 'imdb' }],
      normalized: ['some title', `title ${i}`],
      genres: [{ name: 'Drama', confidence: 1 }, { name: 'Comedy', confidence: (i % 5) / 8 }],
    }));
    const lines = copyLines();
    const ids = movies.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    movies.forEach((m, i) => addSearchInputs(lines, ids[i]!, m, {}));
    const { rows: genres } = await db.pool.query<{ id: number; name: string }>('SELECT id, name FROM genres');
    const lookup = async (v: number[]) =>
      (await db.pool.query<{ v: number; l: number }>('SELECT v, log(1 + greatest(coalesce(v, 0), 0)) AS l FROM unnest($1::int[]) v', [v])).rows;
    const search = new NodeSearch(new Map(genres.map((g) => [g.name, g.id])), lookup);
    const plan = search.plan(lines.search, ids);
    expect(plan.sqlIds).toEqual([]);
    const text = await plan.text!;

    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE built (LIKE movie_search) ON COMMIT DROP');
      await copyInto(client, 'built', text);
      const { rows } = await client.query(
        `SELECT count(*)::int AS movies,
                count(*) FILTER (WHERE float8send(popularity) = float8send(log(1 + greatest(coalesce(votes, 0), 0)) + coalesce(score, 0) / 500))::int AS same,
                count(*) FILTER (WHERE genre_ids = ARRAY(SELECT g.id FROM genres g WHERE g.name = 'Drama' OR (g.name = 'Comedy' AND substr(movie_id::text, 25)::int % 5 >= 4) ORDER BY g.id))::int AS genres,
                count(*) FILTER (WHERE providers = CASE WHEN substr(movie_id::text, 25)::int % 3 = 0 THEN '{imdb}'::text[] ELSE '{imdb,tmdb}' END)::int AS providers
           FROM built`,
      );
      expect(rows[0]).toEqual({ movies: movies.length, same: movies.length, genres: movies.length, providers: movies.length });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('writes in a first aggregation in bulk what per-movie aggregation writes, for real titles in many scripts', async () => {
    const { pool } = db;
    const films = allTitles();
    const tconst = (i: number) => `tt07${String(i).padStart(5, '0')}`;
    const genres = ['Drama', 'Comedy', 'Horror', 'Romance', 'Animation', 'Sci-Fi'];
    const files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv(films.map((titles, i) => ({
        tconst: tconst(i), title: titles[0]!, original: titles[1] ?? titles[0]!, year: 1920 + (i % 100), genres: [genres[i % 6]!, genres[(i * 5 + 1) % 6]!],
      }))),
      // Ratings for most (unrated movies have no score), votes of every size.
      'ratings.tsv': ratingsTsv(films.flatMap((_, i) => (i % 9 === 4 ? [] : [[tconst(i), 1 + ((i * 37) % 90) / 10, (i * 7919) % 2_500_000] as [string, number, number]]))),
    });
    expect((await importImdb(pool, files['basics.tsv']!, files['ratings.tsv']!)).status).toBe('SUCCEEDED');
    const { rows: ids } = await pool.query<{ id: string }>('SELECT id FROM movies ORDER BY imdb_id');
    expect(ids).toHaveLength(films.length);
    const firstAggregation = async () => {
      for (const table of ['movie_titles', 'ratings', 'movie_genres', 'movie_search', 'search_postings', 'search_word_deletes']) await pool.query(`DELETE FROM ${table}`);
      await pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
      await pool.query('DELETE FROM search_words');
    };
    const search = async () => {
      const rows = async (sql: string) => (await pool.query(sql)).rows as unknown[];
      return {
        search: await rows('SELECT movie_id, tokens, popularity, votes, score, year, genre_ids, providers FROM movie_search ORDER BY movie_id'),
        postings: await rows('SELECT movie_id, token, popularity, tokens, year FROM search_postings ORDER BY movie_id, token'),
        words: await rows('SELECT word, movies FROM search_words ORDER BY word'),
        deletes: await rows('SELECT variant, word FROM search_word_deletes ORDER BY variant, word'),
        // What the words' counts and deletions must be, from the postings.
        counted: await rows(`SELECT token AS word, count(*)::int AS movies FROM search_postings WHERE token NOT LIKE '=%' GROUP BY token ORDER BY token`),
        variants: await rows(
          `SELECT DISTINCT overlay(w.word PLACING '' FROM i FOR 1) AS variant, w.word
             FROM search_words w, generate_series(1, length(w.word)) i WHERE length(w.word) >= 4 ORDER BY 1, 2`,
        ),
      };
    };
    const movies = ids.length;
    const bulkAndPerMovie = async () => {
      await firstAggregation();
      expect(await aggregateAll(pool, { chunk: 16, bulk: true })).toEqual({ movies, changed: movies, removed: 0 });
      const bulk = await search();
      await firstAggregation();
      await aggregateMovies(pool, ids.map((r) => r.id));
      return { bulk, perMovie: await search() };
    };

    const { bulk, perMovie } = await bulkAndPerMovie();
    expect(bulk.search).toHaveLength(movies);
    expect(bulk.postings.length).toBeGreaterThan(movies * 2);
    for (const table of ['search', 'postings', 'words', 'deletes'] as const) expect({ table, rows: bulk[table] }).toEqual({ table, rows: perMovie[table] });
    expect(bulk.words).toEqual(bulk.counted);
    expect(bulk.deletes).toEqual(bulk.variants);
    // The Unicode titles are there, in the database's order of tokens.
    const { rows: kanji } = await pool.query(`SELECT s.tokens FROM movie_search s JOIN movies m ON m.id = s.movie_id WHERE m.imdb_id = $1`, [tconst(films.findIndex((t) => t[0] === '𠮷野家の牛丼'))]);
    expect(kanji[0].tokens).toContain('𠮷野家の牛丼');

    // Two locked titles: their search rows are left to the SQL, in the same chunks as the rest, and
    // the words counted from the postings. (Per-movie aggregation's counts leave the words only a
    // locked title has out: compared with the postings instead.)
    await pool.query(`UPDATE movies SET locks = jsonb_build_object('title', 'Le Cercle rouge') WHERE id = $1`, [ids[5]!.id]);
    await pool.query(`UPDATE movies SET locks = jsonb_build_object('title', '東京物語 Ⅱ') WHERE id = $1`, [ids[40]!.id]);
    const locked = await bulkAndPerMovie();
    for (const table of ['search', 'postings'] as const) expect({ table, rows: locked.bulk[table] }).toEqual({ table, rows: locked.perMovie[table] });
    expect(locked.bulk.words).toEqual(locked.bulk.counted);
    expect(locked.bulk.deletes).toEqual(locked.bulk.variants);
    expect(locked.bulk.words).toContainEqual({ word: 'cercle', movies: 1 });
  }, 180_000);
});

async function copyInto(client: pg.PoolClient, table: string, text: SearchText): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (movie_id, tokens, popularity, votes, score, year, genre_ids, providers) FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    for (const piece of text.rows.pieces()) stream.write(piece);
    stream.end();
  });
}
