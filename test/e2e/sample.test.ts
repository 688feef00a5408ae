import { fileURLToPath } from 'node:url';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { importImdb } from '../support/pipeline.js';

const SAMPLE = {
  basics: fileURLToPath(new URL('../../data/sample/imdb/title.basics.tsv', import.meta.url)),
  ratings: fileURLToPath(new URL('../../data/sample/imdb/title.ratings.tsv', import.meta.url)),
};

describe('the bundled sample through the worker, then the GraphQL answer', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    const run = await importImdb(api.db.pool, SAMPLE.basics, SAMPLE.ratings);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.rows_changed).toBeGreaterThan(200);
  });
  afterAll(() => api.close());

  it('answers movieByExternalId with what the files say', async () => {
    // title.basics.tsv: tt0010039 movie "The Velvet Horizon" 2021, 139 min, Adventure,Drama,Thriller;
    // title.ratings.tsv: tt0010039 6.5 35379.
    const res = await api.gql(`{
      movieByExternalId(provider: IMDB, externalId: "tt0010039") {
        title year runtimeMinutes
        genres { name confidence }
        ratings { provider { key } kind rawValue rawScale normalized votes }
        externalIds { provider { key } externalId }
        score { value providerCount votes }
      }
    }`);
    expect(res.errors).toBeUndefined();
    const movie = res.data.movieByExternalId;
    expect(movie).toMatchObject({
      title: 'The Velvet Horizon',
      year: 2021,
      runtimeMinutes: 139,
      externalIds: [{ provider: { key: 'IMDB' }, externalId: 'tt0010039' }],
    });
    expect(movie.genres.map((g: { name: string }) => g.name).sort()).toEqual(['Adventure', 'Drama', 'Thriller']);
    expect(movie.ratings).toEqual([
      { provider: { key: 'IMDB' }, kind: 'users', rawValue: 6.5, rawScale: '1-10', normalized: expect.closeTo(61.11, 2), votes: 35379 },
    ]);
    // Shrunk toward the IMDb prior fitted after the import (C, m): v/(v+m)·61.11 + m/(v+m)·C, one decimal.
    const { rows } = await api.db.pool.query(`SELECT prior_mean, prior_votes FROM scoring_priors WHERE provider_key = 'imdb'`);
    const { prior_mean: C, prior_votes: m } = rows[0];
    const expected = Math.round(((35379 / (35379 + m)) * ((6.5 - 1) / 9) * 100 + (m / (35379 + m)) * C) * 10) / 10;
    expect(movie.score).toMatchObject({ providerCount: 1, votes: 35379, value: expected });
  });

  it('lists the catalogue by c-rating, skipping titles that are not movies', async () => {
    const res = await api.gql(`{ movies(first: 5) { totalCount edges { node { title score { value } } } } }`);
    const { rows } = await api.db.pool.query(`SELECT count(*)::int AS n FROM movies`);
    expect(res.data.movies.totalCount).toBe(rows[0].n);
    const values = res.data.movies.edges.map((e: { node: { score: { value: number } } }) => e.node.score.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    const episode = await api.gql(`{ movieByExternalId(provider: IMDB, externalId: "tt0010028") { title } }`);
    expect(episode.data.movieByExternalId).toBeNull();
  });
});
