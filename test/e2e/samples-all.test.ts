import { importSamplesIfEmpty } from '../../src/catalogue/sample.js';
import { createLogger } from '../../src/logger.js';
import { startWorker } from '../../src/workers/runner.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';

describe('npm start on an empty database imports every bundled sample', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    const logger = createLogger('silent');
    const worker = await startWorker({ pool: api.db.pool, logger, concurrency: 2 });
    try {
      expect(await importSamplesIfEmpty(api.db.pool, logger)).toBe(true);
      expect(await importSamplesIfEmpty(api.db.pool, logger)).toBe(false);
    } finally {
      await worker.stop();
    }
  });
  afterAll(() => api.close());

  it('finishes every sample run and joins Rotten Tomatoes rows to the movies MovieLens created', async () => {
    const { rows: runs } = await api.db.pool.query('SELECT provider_key, status FROM import_runs ORDER BY id');
    expect(runs).toEqual([
      { provider_key: 'imdb', status: 'SUCCEEDED' },
      { provider_key: 'movielens', status: expect.stringMatching(/SUCCEEDED|PARTIAL/) },
      { provider_key: 'rottentomatoes', status: expect.stringMatching(/SUCCEEDED|PARTIAL/) },
    ]);
    const res = await api.gql(`{ matchReport { provider { key } total matched unmatched } }`);
    const rt = res.data.matchReport.find((r: { provider: { key: string } }) => r.provider.key === 'ROTTEN_TOMATOES');
    expect(rt.matched).toBeGreaterThan(40);

    const { rows } = await api.db.pool.query(
      `SELECT m.id FROM movies m WHERE (SELECT count(DISTINCT provider_key) FROM ratings r WHERE r.movie_id = m.id) >= 2 LIMIT 1`,
    );
    const movie = await api.gql(`query($id: ID!) { movie(id: $id) { title score { providerCount } ratings { provider { key } kind } } }`, {
      id: rows[0].id,
    });
    expect(movie.data.movie.score.providerCount).toBeGreaterThanOrEqual(2);
    expect(movie.data.movie.ratings.map((r: { provider: { key: string } }) => r.provider.key)).toEqual(
      expect.arrayContaining(['MOVIELENS', 'ROTTEN_TOMATOES']),
    );
  });
});
