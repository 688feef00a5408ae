import { aggregateMovies } from '../../src/scoring/aggregate.js';
import { loadPriors, refreshPriors } from '../../src/scoring/priors.js';
import type { ProviderDefinition } from '../../src/sources/types.js';
import { imdbDefinition } from '../../src/sources/imdb-definition.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

const critic: ProviderDefinition = {
  key: 'imdb', name: 'Test critics', kind: 'FILE', createsMovies: false, genreAliases: {}, weights: {},
  ratingScales: { critics: { label: '0-100%', min: 0, max: 100 } },
};

describe('aggregation against the database', () => {
  let db: TestDatabase;
  let ids: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // 240 films: a calibration is fitted only from 200 films rated by two providers (linear below).
    const titles = Array.from({ length: 240 }, (_, i) => ({ tconst: `tt${String(2000000 + i)}`, title: `Film ${i}`, year: 1980 + (i % 40) }));
    // IMDb users bunch between 5.5 and 9.4; the critics spread over 40-98.5.
    const ratings = titles.map((t, i): [string, number, number] => [t.tconst, Math.round((5.5 + (i % 40) * 0.1) * 10) / 10, 100 + (i % 40) * 50]);
    const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(titles), 'r.tsv': ratingsTsv(ratings) });
    expect((await importImdb(db.pool, files['b.tsv']!, files['r.tsv']!)).status).toBe('SUCCEEDED');
    const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM movies ORDER BY imdb_id');
    ids = rows.map((r) => r.id);
    await db.pool.query(`INSERT INTO providers (key, name, kind, rating_scale, creates_movies) VALUES ('testcritic', 'Test critics', 'FILE', '0-100%', false)`);
    await db.pool.query(
      `INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, votes)
       SELECT id, 'testcritic', 'critics', 40 + ((n - 1) % 40) * 1.5, '0-100%', 40 + ((n - 1) % 40) * 1.5, 20
         FROM (SELECT id, row_number() OVER (ORDER BY imdb_id) AS n FROM movies) m`,
    );
  });
  afterAll(() => db.drop());

  it('fits each provider’s prior and a strictly increasing calibration from films several providers rate', async () => {
    const fitted = await refreshPriors(db.pool, [imdbDefinition, { ...critic, key: 'testcritic' }]);
    expect(fitted).toBe(2);
    const { rows } = await db.pool.query('SELECT * FROM scoring_priors ORDER BY provider_key');
    expect(rows.map((r) => [r.provider_key, r.kind, r.sample_size, r.overlap_size])).toEqual([
      ['imdb', 'users', 240, 240],
      ['testcritic', 'critics', 240, 240],
    ]);
    const imdb = rows[0];
    expect(imdb.prior_votes).toBe(1075); // median of 100, 150, …, 2050
    // IMDb rates as many films and comes first: it is the anchor, its scale the common scale.
    expect(rows[0].calibration).toEqual([]);
    for (const { calibration } of rows.slice(1)) {
      expect(calibration.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < calibration.length; i++) {
        expect(calibration[i][0]).toBeGreaterThan(calibration[i - 1][0]);
        expect(calibration[i][1]).toBeGreaterThan(calibration[i - 1][1]);
      }
    }
    // The two providers' medians land on one common median.
    const priors = await loadPriors(db.pool);
    const { calibrate } = await import('../../src/scoring/calibration.js');
    const imdbMedian = calibrate(((7.45 - 1) / 9) * 100, priors('imdb', 'users').calibration);
    const criticMedian = calibrate(69.25, priors('testcritic', 'critics').calibration);
    expect(imdbMedian).toBeCloseTo(criticMedian, 0);
  });

  it('two concurrent aggregations of one movie give the single-threaded result', async () => {
    const id = ids[3]!;
    await db.pool.query('UPDATE movies SET aggregate_hash = NULL WHERE id = $1', [id]);
    const before = (await db.pool.query('SELECT version FROM movies WHERE id = $1', [id])).rows[0].version;
    const outcomes = await Promise.all([aggregateMovies(db.pool, [id]), aggregateMovies(db.pool, [id])]);
    expect(outcomes.map((o) => o.changed.length).sort()).toEqual([0, 1]);
    const after = (await db.pool.query('SELECT version, score_value FROM movies WHERE id = $1', [id])).rows[0];
    expect(after.version).toBe(before + 1);
    await db.pool.query('UPDATE movies SET aggregate_hash = NULL WHERE id = $1', [id]);
    await aggregateMovies(db.pool, [id]);
    expect((await db.pool.query('SELECT score_value FROM movies WHERE id = $1', [id])).rows[0].score_value).toBe(after.score_value);
  });

  it('a locked field keeps its value whatever providers say, and provenance says so', async () => {
    const id = ids[5]!;
    await db.pool.query(`UPDATE movies SET locks = '{"title": "The Locked Title", "year": 1901}' WHERE id = $1`, [id]);
    await aggregateMovies(db.pool, [id]);
    const { rows } = await db.pool.query('SELECT title, year, provenance FROM movies WHERE id = $1', [id]);
    expect(rows[0]).toMatchObject({ title: 'The Locked Title', year: 1901 });
    expect(rows[0].provenance).toMatchObject({ title: 'lock', year: 'lock', isAdult: 'imdb' });
    await db.pool.query(`UPDATE movies SET locks = '{}' WHERE id = $1`, [id]);
    await aggregateMovies(db.pool, [id]);
    const { rows: unlocked } = await db.pool.query('SELECT title, year, provenance FROM movies WHERE id = $1', [id]);
    expect(unlocked[0]).toMatchObject({ title: 'Film 5', year: 1985, provenance: { title: 'imdb', year: 'imdb' } });
  });

  it('removes a movie left without provider records', async () => {
    const id = ids[7]!;
    await db.pool.query('UPDATE provider_records SET movie_id = NULL WHERE movie_id = $1', [id]);
    const outcome = await aggregateMovies(db.pool, [id]);
    expect(outcome.removed).toEqual([id]);
    expect((await db.pool.query('SELECT 1 FROM movies WHERE id = $1', [id])).rowCount).toBe(0);
  });
});
