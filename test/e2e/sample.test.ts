import { readFile } from 'node:fs/promises';
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
    // title.basics.tsv: tt0068646 movie "The Godfather" 1972, 175 min, Crime,Drama; its title.ratings.tsv row is read here.
    const [, ratingText, votesText] = (await readFile(SAMPLE.ratings, 'utf8')).split('\n').find((line) => line.startsWith('tt0068646\t'))!.split('\t');
    const [rating, votes] = [Number(ratingText), Number(votesText)];
    const res = await api.gql(`{
      movieByExternalId(provider: IMDB, externalId: "tt0068646") {
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
      title: 'The Godfather',
      year: 1972,
      runtimeMinutes: 175,
      externalIds: [{ provider: { key: 'IMDB' }, externalId: 'tt0068646' }],
    });
    expect(movie.genres.map((g: { name: string }) => g.name).sort()).toEqual(['Crime', 'Drama']);
    expect(movie.ratings).toEqual([
      { provider: { key: 'IMDB' }, kind: 'users', rawValue: rating, rawScale: '1-10', normalized: expect.closeTo(((rating - 1) / 9) * 100, 2), votes },
    ]);
    // Shrunk toward the IMDb prior fitted after the import (C, m): v/(v+m)·R + m/(v+m)·C, one decimal.
    const { rows } = await api.db.pool.query(`SELECT prior_mean, prior_votes FROM scoring_priors WHERE provider_key = 'imdb'`);
    const { prior_mean: C, prior_votes: m } = rows[0];
    const expected = Math.round(((votes / (votes + m)) * ((rating - 1) / 9) * 100 + (m / (votes + m)) * C) * 10) / 10;
    expect(movie.score).toMatchObject({ providerCount: 1, votes, value: expected });
  });

  it('lists the catalogue by c-rating, skipping titles that are not movies', async () => {
    const res = await api.gql(`{ movies(first: 5) { totalCount edges { node { title score { value } } } } }`);
    const { rows } = await api.db.pool.query(`SELECT count(*)::int AS n FROM movies`);
    expect(res.data.movies.totalCount).toBe(rows[0].n);
    const values = res.data.movies.edges.map((e: { node: { score: { value: number } } }) => e.node.score.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // Babylon 5 is a tvSeries in title.basics: not a movie.
    const series = await api.gql(`{ movieByExternalId(provider: IMDB, externalId: "tt0105946") { title } }`);
    expect(series.data.movieByExternalId).toBeNull();
  });
});
