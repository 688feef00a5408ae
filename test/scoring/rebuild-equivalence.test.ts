import type pg from 'pg';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { beginBulkAggregation } from '../../src/db/aggregate-bulk.js';
import { Provenances } from '../../src/db/bulk-lines.js';
import { aggregateAll, aggregateMovies, computeBatch } from '../../src/scoring/aggregate.js';
import { catalogueStructure, curatedRows } from '../support/catalogue-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

// A full rebuild (`moviec aggregate --all`: large chunks, several at once, or the bulk path of a
// first aggregation) writes exactly what aggregating each movie on its own writes, row by row, on
// the bundled samples (three providers).
describe('a full rebuild equals per-movie aggregation', () => {
  let db: TestDatabase;

  const curated = (pool: pg.Pool) => curatedRows(pool);
  const structure = (pool: pg.Pool) => catalogueStructure(pool);
  /** Forgets every aggregate: the next aggregation writes every movie, its titles, ratings and genres anew. */
  const forget = async () => {
    await db.pool.query('DELETE FROM movie_titles');
    await db.pool.query('DELETE FROM ratings');
    await db.pool.query('DELETE FROM movie_genres');
    await db.pool.query(`UPDATE movies SET aggregate_hash = NULL, links_hash = NULL, score_value = NULL, score_votes = NULL, provenance = '{}'`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const { provider, location } of SAMPLES) {
      await queueImport(db.pool, provider, location, 'cli');
      await drainJobs(db.pool);
    }
  }, 180_000);
  afterAll(() => db.drop());

  it('writes the same movies, titles, ratings, genres and search rows', async () => {
    const movies = Number((await db.pool.query('SELECT count(*) FROM movies')).rows[0].count);
    expect(movies).toBeGreaterThan(100);
    const imported = await curated(db.pool);

    await forget();
    expect(await aggregateAll(db.pool, { chunk: 97, parallel: 3, bulk: false })).toEqual({ movies, changed: movies, removed: 0 });
    const rebuilt = await curated(db.pool);

    await forget();
    const before = await structure(db.pool);
    expect(await aggregateAll(db.pool, { chunk: 97, bulk: true })).toEqual({ movies, changed: movies, removed: 0 });
    const bulk = await curated(db.pool);
    expect(await structure(db.pool)).toEqual(before);

    await forget();
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id');
    for (const { id } of rows) await aggregateMovies(db.pool, [id]);
    const oneByOne = await curated(db.pool);

    for (const table of ['movies', 'titles', 'ratings', 'genres', 'search', 'postings', 'words'] as const) {
      expect({ table, rows: rebuilt[table].length }).toEqual({ table, rows: oneByOne[table].length });
      expect(rebuilt[table]).toEqual(oneByOne[table]);
      expect(bulk[table]).toEqual(oneByOne[table]);
      // The jobs the imports queued wrote the same catalogue as well.
      expect(imported[table]).toEqual(oneByOne[table]);
    }
  }, 180_000);

  it('in bulk, rewrites movies aggregated before, removes movies without records, and leaves the rest', async () => {
    const imported = await curated(db.pool);
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY id');
    const stale = rows.filter((_, i) => i % 3 === 0).map((r) => r.id);
    const fresh = rows.filter((_, i) => i % 3 === 1).map((r) => r.id);
    // Stale results (aggregated before, to be rewritten) and never-aggregated movies, whose titles, ratings and genres are gone.
    await db.pool.query(`UPDATE movies SET aggregate_hash = 'stale', score_value = NULL WHERE id = ANY($1::uuid[])`, [stale]);
    for (const table of ['movie_titles', 'ratings', 'movie_genres']) await db.pool.query(`DELETE FROM ${table} WHERE movie_id = ANY($1::uuid[])`, [fresh]);
    await db.pool.query('UPDATE movies SET aggregate_hash = NULL WHERE id = ANY($1::uuid[])', [fresh]);
    // Stale search rows of the stale movies: another popularity and a word they no longer have, in
    // their postings and the dictionary's counts too. The rebuild replaces their postings and counts.
    await db.pool.query(`UPDATE movie_search SET popularity = popularity + 1, tokens = tokens || '{zzstale}' WHERE movie_id = ANY($1::uuid[])`, [stale]);
    await db.pool.query('DELETE FROM search_postings WHERE movie_id = ANY($1::uuid[])', [stale]);
    await db.pool.query(
      `INSERT INTO search_postings (movie_id, token, popularity, tokens, year)
       SELECT s.movie_id, w, s.popularity, s.tokens, s.year FROM movie_search s, unnest(s.tokens) w WHERE s.movie_id = ANY($1::uuid[])`,
      [stale],
    );
    await db.pool.query(`INSERT INTO search_words (word, movies) VALUES ('zzstale', $1)`, [stale.length]);
    expect((await curated(db.pool)).postings).not.toEqual(imported.postings);
    // A movie no provider record links to any more, with curated rows: removed with all of them.
    const { rows: [orphan] } = await db.pool.query<{ id: string }>(`INSERT INTO movies (title, aggregate_hash) VALUES ('Orphan', 'x') RETURNING id`);
    await db.pool.query(`INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score) VALUES ($1, 'imdb', 'Orphan', 'orphan', 1)`, [orphan!.id]);
    await db.pool.query(`INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized) VALUES ($1, 'imdb', 'users', 5, '1-10', 44.4)`, [orphan!.id]);

    expect(await aggregateAll(db.pool, { chunk: 50, bulk: true })).toEqual({ movies: rows.length + 1, changed: stale.length + fresh.length, removed: 1 });
    const after = await curated(db.pool);
    for (const table of ['movies', 'titles', 'ratings', 'genres', 'search', 'postings', 'words'] as const) expect(after[table]).toEqual(imported[table]);
  }, 120_000);

  it('in bulk, leaves the catalogue, its indexes and keys as they were when it fails part way', async () => {
    const catalogue = await curated(db.pool);
    const before = await structure(db.pool);
    await forget();
    const forgotten = await curated(db.pool);
    let chunks = 0;
    await expect(
      aggregateAll(db.pool, {
        chunk: 40,
        bulk: true,
        onChunk: () => {
          if (++chunks === 2) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(chunks).toBe(2);
    expect(await curated(db.pool)).toEqual(forgotten);
    expect(await structure(db.pool)).toEqual(before);
    // The next rebuild completes it.
    await aggregateAll(db.pool, { bulk: true });
    expect(await curated(db.pool)).toEqual(catalogue);
  }, 120_000);

  it('in bulk, writes the genres whose id Node does not know by the SQL join on their names, and provenances past the numbered ones inline', async () => {
    const catalogue = await curated(db.pool);
    await forget();
    const bulk = (await beginBulkAggregation(db.pool))!;
    // Only a few genres' ids known: the rest of the movies' genres are written by the SQL's join.
    const known = new Map([...bulk.genreIds].filter(([name]) => ['Drama', 'Crime'].includes(name)));
    expect(known.size).toBe(2);
    let after = '00000000-0000-0000-0000-000000000000';
    let unplaced = 0;
    // Two provenances numbered (sent once), the others sent with each movie.
    const provenances = new Provenances(2);
    let inline = 0;
    for (;;) {
      const { locked, records } = await bulk.read(after, 40);
      if (!locked.length) break;
      const { writes, result } = computeBatch(locked, records, bulk.priors, { events: bulk.webhooks, copy: true, genreIds: known, provenances });
      unplaced += writes.copy!.unplacedGenres.length;
      inline += writes.copy!.movies.toString().split('\n').filter((line) => line.endsWith('\t\\N')).length;
      await bulk.write(writes, new Set(result.created));
      after = locked[locked.length - 1]!.id;
    }
    await bulk.commit();
    expect(unplaced).toBeGreaterThan(0);
    expect(inline).toBeGreaterThan(0);
    expect(await curated(db.pool)).toEqual(catalogue);
  }, 120_000);

  it('takes the chunked path when the bulk locks are not granted in time', async () => {
    const catalogue = await curated(db.pool);
    await forget();
    const reader = await db.pool.connect();
    try {
      // A reader in a long transaction holds movies: the bulk path would wait for it.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM movies');
      const movies = catalogue.movies.length;
      expect(await aggregateAll(db.pool, { bulk: true, bulkLockTimeoutMs: 50 })).toEqual({ movies, changed: movies, removed: 0 });
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
    expect(await curated(db.pool)).toEqual(catalogue);
  }, 120_000);
});
