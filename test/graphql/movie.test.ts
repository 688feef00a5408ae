import { ensureProviders, insertMovie, insertRecord, startTestApi, type TestApi } from '../support/graphql-api.js';

const MOVIE_FIELDS = `
  id title originalTitle year releaseDate runtimeMinutes overview posterUrl
  score { value confidence providerCount votes }
  ratings { provider { key name kind } kind rawValue rawScale normalized votes }
  titles { provider { key } title score }
  genres { name confidence }
  externalIds { provider { key } externalId }
  updatedAt`;

describe('GraphQL: one movie', () => {
  let api: TestApi;
  let harborId: string;
  let unratedId: string;

  beforeAll(async () => {
    api = await startTestApi();
    await ensureProviders(api.db.pool, ['tmdb']);
    harborId = await insertMovie(api.db.pool, {
      title: 'The Silent Harbor',
      originalTitle: 'Le Port Silencieux',
      year: 1994,
      releaseDate: '1994-09-23',
      runtimeMinutes: 142,
      overview: 'Two sailors wait out a storm.',
      posterUrl: 'https://img.example/harbor.jpg',
      imdbId: 'tt0000001',
      score: { value: 88.5, confidence: 0.9, votes: 2_900_500, providerCount: 2 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 9.3, rawScale: '1-10', normalized: 92.2, votes: 2_900_000 },
        { provider: 'tmdb', kind: 'users', rawValue: 8.7, rawScale: '0-10', normalized: 87, votes: 500 },
      ],
      titles: [
        { provider: 'imdb', title: 'The Silent Harbor', score: 1 },
        { provider: 'tmdb', title: 'Silent Harbor', score: 0.6 },
      ],
      genres: [
        { name: 'Drama', confidence: 1 },
        { name: 'Thriller', confidence: 0.5 },
      ],
      externalIds: [
        { provider: 'imdb', externalId: 'tt0000001' },
        { provider: 'tmdb', externalId: '278' },
      ],
    });
    unratedId = await insertMovie(api.db.pool, { title: 'Iron Valley', titles: [] });
    await insertRecord(api.db.pool, 'imdb', 'tt0000009', null);
  });
  afterAll(() => api.close());

  it('returns a movie by id with every nested field', async () => {
    const res = await api.gql(`query ($id: ID!) { movie(id: $id) { ${MOVIE_FIELDS} } }`, { id: harborId });
    expect(res.errors).toBeUndefined();
    const movie = res.data.movie;
    expect(movie).toMatchObject({
      id: harborId,
      title: 'The Silent Harbor',
      originalTitle: 'Le Port Silencieux',
      year: 1994,
      releaseDate: '1994-09-23',
      runtimeMinutes: 142,
      overview: 'Two sailors wait out a storm.',
      posterUrl: 'https://img.example/harbor.jpg',
      score: { value: 88.5, confidence: 0.9, providerCount: 2, votes: 2_900_500 },
      ratings: [
        { provider: { key: 'IMDB', name: 'IMDb', kind: 'FILE' }, kind: 'users', rawValue: 9.3, rawScale: '1-10', normalized: 92.2, votes: 2_900_000 },
        { provider: { key: 'TMDB', name: 'TMDB', kind: 'API' }, kind: 'users', rawValue: 8.7, rawScale: '0-10', normalized: 87, votes: 500 },
      ],
      titles: [
        { provider: { key: 'IMDB' }, title: 'The Silent Harbor', score: 1 },
        { provider: { key: 'TMDB' }, title: 'Silent Harbor', score: 0.6 },
      ],
      genres: [
        { name: 'Drama', confidence: 1 },
        { name: 'Thriller', confidence: 0.5 },
      ],
      externalIds: [
        { provider: { key: 'IMDB' }, externalId: 'tt0000001' },
        { provider: { key: 'TMDB' }, externalId: '278' },
      ],
    });
    expect(new Date(movie.updatedAt).toISOString()).toBe(movie.updatedAt);
  });

  it('lists genres below the confidence threshold as candidates only, with their confidence', async () => {
    const id = await insertMovie(api.db.pool, {
      title: 'Borderline',
      genres: [
        { name: 'Drama', confidence: 0.8 },
        { name: 'Thriller', confidence: 0.5 },
        { name: 'Horror', confidence: 0.2 },
      ],
    });
    const res = await api.gql(`query ($id: ID!) { movie(id: $id) { genres { name confidence } genreCandidates { name confidence accepted } } }`, { id });
    expect(res.errors).toBeUndefined();
    expect(res.data.movie).toEqual({
      genres: [
        { name: 'Drama', confidence: 0.8 },
        { name: 'Thriller', confidence: 0.5 },
      ],
      genreCandidates: [
        { name: 'Drama', confidence: 0.8, accepted: true },
        { name: 'Thriller', confidence: 0.5, accepted: true },
        { name: 'Horror', confidence: 0.2, accepted: false },
      ],
    });
    // A genre filter only sees the movie's genres.
    const horror = await api.gql(`{ movies(filter: { genres: ["Horror"] }) { totalCount } }`);
    expect(horror.data.movies.totalCount).toBe(0);
  });

  it('gives a null score and empty lists for a movie no provider rates', async () => {
    const res = await api.gql(`query ($id: ID!) { movie(id: $id) { ${MOVIE_FIELDS} } }`, { id: unratedId });
    expect(res.errors).toBeUndefined();
    expect(res.data.movie).toMatchObject({ title: 'Iron Valley', year: null, score: null, ratings: [], titles: [], genres: [], externalIds: [] });
  });

  it.each([
    ['a malformed id', 'not-a-uuid'],
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
  ])('returns null for %s', async (_, id) => {
    const res = await api.gql(`query ($id: ID!) { movie(id: $id) { id } }`, { id });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ movie: null });
  });

  it('finds a movie by an IMDb id and by a TMDB id', async () => {
    const byImdb = await api.gql(`{ movieByExternalId(provider: IMDB, externalId: "tt0000001") { id title } }`);
    expect(byImdb.data.movieByExternalId).toEqual({ id: harborId, title: 'The Silent Harbor' });
    const byTmdb = await api.gql(`{ movieByExternalId(provider: TMDB, externalId: "278") { id } }`);
    expect(byTmdb.data.movieByExternalId).toEqual({ id: harborId });
  });

  it('returns null for an external id that is unknown or matched to no movie', async () => {
    const res = await api.gql(`{
      unknown: movieByExternalId(provider: IMDB, externalId: "tt9999999") { id }
      unmatched: movieByExternalId(provider: IMDB, externalId: "tt0000009") { id }
      otherProvider: movieByExternalId(provider: MOVIELENS, externalId: "tt0000001") { id }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ unknown: null, unmatched: null, otherProvider: null });
  });

  it('rejects an unknown provider key as a validation error', async () => {
    const res = await api.gql(`{ movieByExternalId(provider: NETFLIX, externalId: "1") { id } }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
