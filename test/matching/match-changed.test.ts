import { withTransaction } from '../../src/db/pool.js';
import { markChanged } from '../../src/db/record-changes.js';
import { matchChangedRecords } from '../../src/matching/match-changed.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ensureProviders } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { drainJobs, importImdb } from '../support/pipeline.js';

/** Inserts or updates a raw record and runs matching on it as an import would; returns the movies to re-aggregate. */
async function upsertAndMatch(
  db: TestDatabase,
  provider: string,
  externalId: string,
  fields: { title: string; year: number; imdbId?: string | null },
): Promise<string[]> {
  return withTransaction(db.pool, async (client) => {
    const { rows } = await client.query(
      `WITH previous AS (SELECT id, movie_id FROM provider_records WHERE provider_key = $1 AND external_id = $2),
            upserted AS (
              INSERT INTO provider_records (provider_key, external_id, title, year, imdb_id, payload, content_hash)
              VALUES ($1, $2, $3, $4, $5, '{}', md5(random()::text))
              ON CONFLICT (provider_key, external_id) DO UPDATE
                SET title = excluded.title, year = excluded.year, imdb_id = excluded.imdb_id, content_hash = excluded.content_hash
              RETURNING id)
       SELECT u.id, p.movie_id AS "previousMovieId" FROM upserted u LEFT JOIN previous p ON true`,
      [provider, externalId, fields.title, fields.year, fields.imdbId ?? null],
    );
    return matchChangedRecords(await markChanged(client, rows));
  });
}

async function record(db: TestDatabase, provider: string, externalId: string) {
  const { rows } = await db.pool.query(
    `SELECT pr.movie_id, pr.match_status, pr.match_method, pr.match_reason, m.imdb_id AS movie_imdb_id
       FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id
      WHERE provider_key = $1 AND external_id = $2`,
    [provider, externalId],
  );
  return rows[0];
}

describe('matching rows to movies in the database', () => {
  let db: TestDatabase;
  let dir: string;
  let movie: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureProviders(db.pool, ['tmdb', 'rottentomatoes']);
    dir = await tempDir();
    const files = await writeFiles(dir, {
      'b.tsv': basicsTsv([
        { tconst: 'tt3000001', title: 'Iron Valley', year: 1987 },
        { tconst: 'tt3000002', title: 'Steel River', year: 2001 },
      ]),
      'r.tsv': ratingsTsv([['tt3000001', 7, 100], ['tt3000002', 6, 100]]),
    });
    expect((await importImdb(db.pool, files['b.tsv']!, files['r.tsv']!)).status).toBe('SUCCEEDED');
    const { rows } = await db.pool.query<{ id: string; imdb_id: string }>('SELECT id, imdb_id FROM movies');
    movie = Object.fromEntries(rows.map((r) => [r.imdb_id, r.id]));
  });
  afterAll(() => db.drop());

  it('matches a row without ids by title and year', async () => {
    const affected = await upsertAndMatch(db, 'tmdb', '501', { title: 'Iron Valley', year: 1987 });
    expect(affected).toEqual([movie.tt3000001]);
    expect(await record(db, 'tmdb', '501')).toMatchObject({ movie_id: movie.tt3000001, match_status: 'MATCHED', match_method: 'title_year' });
  });

  it('moves the row when a later id match contradicts the title match, and re-aggregates both movies', async () => {
    const affected = await upsertAndMatch(db, 'tmdb', '501', { title: 'Iron Valley', year: 1987, imdbId: 'tt3000002' });
    expect(affected.sort()).toEqual([movie.tt3000001, movie.tt3000002].sort());
    expect(await record(db, 'tmdb', '501')).toMatchObject({ movie_id: movie.tt3000002, match_method: 'imdb_id' });
  });

  it('lets a provider with ids create a movie for a film nobody has, and keeps it there', async () => {
    const affected = await upsertAndMatch(db, 'tmdb', '777', { title: 'Nobody Else Has This', year: 2010 });
    expect(affected).toHaveLength(1);
    expect(await record(db, 'tmdb', '777')).toMatchObject({ movie_id: affected[0], match_method: 'created' });
    await upsertAndMatch(db, 'tmdb', '777', { title: 'Nobody Else Has This (Director’s Cut)', year: 2010 });
    expect(await record(db, 'tmdb', '777')).toMatchObject({ movie_id: affected[0], match_method: 'created' });
  });

  it('never lets a provider without ids create a movie; the row waits with its reason and is matched once the movie appears', async () => {
    const affected = await upsertAndMatch(db, 'rottentomatoes', 'm/copper_lake', { title: 'Copper Lake', year: 2015 });
    expect(affected).toEqual([]);
    expect(await record(db, 'rottentomatoes', 'm/copper_lake')).toMatchObject({
      movie_id: null, match_status: 'UNMATCHED', match_reason: '"Copper Lake" (2015): no movie with a similar title within a year',
    });
    const { rows: before } = await db.pool.query('SELECT count(*)::int AS n FROM movies');

    const files = await writeFiles(dir, {
      'b2.tsv': basicsTsv([{ tconst: 'tt3000003', title: 'Copper Lake', year: 2015 }]),
      'r2.tsv': ratingsTsv([]),
    });
    expect((await importImdb(db.pool, files['b2.tsv']!, files['r2.tsv']!)).status).toBe('SUCCEEDED');
    // The retry is queued a few seconds out so a burst of new movies is matched once: let that time pass.
    const { rows: queued } = await db.pool.query(
      `UPDATE graphile_worker._private_jobs SET run_at = now()
        WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'rematch-unmatched') RETURNING id`,
    );
    expect(queued).toHaveLength(1);
    await drainJobs(db.pool);
    const { rows: after } = await db.pool.query('SELECT count(*)::int AS n FROM movies');
    expect(after[0].n).toBe(before[0].n + 1);
    expect(await record(db, 'rottentomatoes', 'm/copper_lake')).toMatchObject({
      movie_imdb_id: 'tt3000003', match_status: 'MATCHED', match_method: 'title_year',
    });
  });
});
