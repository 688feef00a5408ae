import type pg from 'pg';
import { aggregateAll } from '../../src/scoring/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { executeImport, importImdb, queueImport } from '../support/pipeline.js';

// Films whose titles hold no letter or digit ("?", "...", "!!!" are in IMDb's basics): the title
// normaliser gives them the empty form, and search has no word to find them by. They are imported
// and aggregated like any other film, and do not stop the films beside them.
const TITLES: Title[] = [
  { tconst: 'tt0000011', title: 'The Silent Harbor', year: 1994, genres: ['Drama'] },
  { tconst: 'tt0000012', title: '?', year: 2011, genres: ['Drama'] },
  { tconst: 'tt0000013', title: '...', year: 1999, genres: ['Comedy'] },
  { tconst: 'tt0000014', title: '!!!', original: 'Trois points', year: 2003 },
];
const RATINGS: [string, number, number][] = [['tt0000011', 7.2, 1200], ['tt0000012', 6.1, 321]];

async function searchRows(pool: pg.Pool) {
  const { rows } = await pool.query(
    `SELECT m.imdb_id, m.aggregate_hash IS NOT NULL AS aggregated, s.tokens
       FROM movies m LEFT JOIN movie_search s ON s.movie_id = m.id ORDER BY m.imdb_id`,
  );
  return rows;
}

const EXPECTED = [
  { imdb_id: 'tt0000011', aggregated: true, tokens: ['harbor', 'silent', '=silentharbor'].sort() },
  { imdb_id: 'tt0000012', aggregated: true, tokens: [] },
  { imdb_id: 'tt0000013', aggregated: true, tokens: [] },
  { imdb_id: 'tt0000014', aggregated: true, tokens: ['points', 'trois', '=troispoints'].sort() },
];

describe('a title without a letter or digit', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  async function files() {
    return writeFiles(await tempDir(), { basics: basicsTsv(TITLES), ratings: ratingsTsv(RATINGS) });
  }

  it('is aggregated by the worker with the films beside it', async () => {
    const { basics, ratings } = await files();
    expect((await importImdb(db.pool, basics!, ratings!)).status).toBe('SUCCEEDED');
    expect(await searchRows(db.pool)).toEqual(EXPECTED);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM search_postings WHERE token IS NULL`);
    expect(rows[0].n).toBe(0);
  });

  it('is aggregated by the bulk rebuild with the films beside it', async () => {
    const { basics, ratings } = await files();
    await executeImport(db.pool, await queueImport(db.pool, 'imdb', { basics: basics!, ratings: ratings! }, 'cli'));
    const outcome = await aggregateAll(db.pool, { bulk: true });
    expect(outcome.movies).toBe(4);
    expect(await searchRows(db.pool)).toEqual(EXPECTED);
  });
});
