import { existsSync, readFileSync } from 'node:fs';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { startTestApi, type GraphQLResponse, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { drainJobs, importImdb } from '../support/pipeline.js';

/**
 * Every operation of the public contract (../shared/contract/operations.graphql), run over HTTP
 * against the running server on data that went through the real import pipeline, with its
 * answers checked. The contract is copied into test/fixtures so that a clone without ../shared
 * runs it too; where ../shared exists, the copy must equal it.
 */
const SHARED = new URL('../../../shared/contract/operations.graphql', import.meta.url);
const COPY = new URL('../fixtures/contract-operations.graphql', import.meta.url);
const DOCUMENT = readFileSync(COPY, 'utf8');
const OPERATIONS = parse(DOCUMENT)
  .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  .map((d) => d.name!.value);

const ADMIN_TOKEN = 'contract-test-admin-token-0123456789';

const TITLES = [
  { tconst: 'tt0200001', title: 'The Silent Harbor', original: 'Le Port Silencieux', year: 1994, runtime: 142, genres: ['Drama'] },
  { tconst: 'tt0200002', title: 'Harbor Lights', year: 1996, runtime: 101, genres: ['Drama', 'Romance'] },
  { tconst: 'tt0200003', title: 'Iron Valley', year: 2001, runtime: 95, genres: ['Western'] },
  { tconst: 'tt0200004', title: 'Quiet Drama', year: 1998, runtime: 90, genres: ['Drama'] },
];
const RATINGS: [string, number, number][] = [
  ['tt0200001', 9.1, 250_000],
  ['tt0200002', 7.4, 12_000],
  ['tt0200003', 6.2, 4_000],
  ['tt0200004', 8.0, 500], // below TopMovies' minVotes: 1000
];

describe('the contract operations over HTTP', () => {
  let api: TestApi;
  let firstRunId: string;
  let harborId: string;
  let reimportRunId: string;

  async function run(operationName: string, variables: Record<string, unknown> = {}, admin = false): Promise<GraphQLResponse> {
    const response = await fetch(api.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}) },
      body: JSON.stringify({ query: DOCUMENT, operationName, variables }),
    });
    const body = (await response.json()) as GraphQLResponse;
    expect(body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    return { ...body, status: response.status };
  }

  beforeAll(async () => {
    api = await startTestApi({ adminToken: ADMIN_TOKEN });
    const files = await writeFiles(await tempDir(), { 'b.tsv': basicsTsv(TITLES), 'r.tsv': ratingsTsv(RATINGS) });
    const imported = await importImdb(api.db.pool, files['b.tsv']!, files['r.tsv']!);
    expect(imported.status).toBe('SUCCEEDED');
    firstRunId = String(imported.id);
    const { rows } = await api.db.pool.query<{ id: string }>(`SELECT id FROM movies WHERE imdb_id = 'tt0200001'`);
    harborId = rows[0]!.id;
  });
  afterAll(() => api.close());

  it('tests the contract as it is in ../shared, and every operation of it', () => {
    if (existsSync(SHARED)) expect(readFileSync(SHARED, 'utf8')).toBe(DOCUMENT);
    expect([...OPERATIONS].sort()).toEqual(['Catalogue', 'MovieById', 'MovieByImdb', 'Recompute', 'Reimport', 'Run', 'Search', 'TopMovies']);
  });

  it('MovieByImdb: every field of the movie from the IMDb files', async () => {
    const { data } = await run('MovieByImdb', { imdbId: 'tt0200001' });
    expect(data.movieByExternalId).toMatchObject({
      id: harborId,
      title: 'The Silent Harbor',
      originalTitle: 'Le Port Silencieux',
      year: 1994,
      runtimeMinutes: 142,
      score: { providerCount: 1, votes: 250_000 },
      ratings: [{ provider: { key: 'IMDB' }, kind: 'users', rawValue: 9.1, rawScale: '1-10', votes: 250_000 }],
      titles: expect.arrayContaining([expect.objectContaining({ provider: { key: 'IMDB' }, title: 'The Silent Harbor' })]),
      genres: [{ name: 'Drama', confidence: 1 }],
      externalIds: [{ provider: { key: 'IMDB' }, externalId: 'tt0200001' }],
    });
    const movie = data.movieByExternalId;
    expect(movie.score.value).toBeGreaterThan(50);
    expect(movie.score.value).toBeLessThanOrEqual(100);
    expect(movie.score.confidence).toBeGreaterThan(0);
    expect(movie.ratings[0].normalized).toBeCloseTo(((9.1 - 1) / 9) * 100, 1);
    expect(new Date(movie.updatedAt).toISOString()).toBe(movie.updatedAt);
  });

  it('MovieById: the same movie by its MovieC id', async () => {
    const { data } = await run('MovieById', { id: harborId });
    expect(data.movie).toMatchObject({ id: harborId, title: 'The Silent Harbor', year: 1994, ratings: [{ provider: { key: 'IMDB' } }] });
    expect(data.movie.score.value).toBeGreaterThan(50);
  });

  it('TopMovies: drama from 1990 to 2000 with 1000 votes or more, best first', async () => {
    const { data } = await run('TopMovies', { genres: ['Drama'], from: 1990, to: 2000 });
    const titles = data.movies.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(titles).toEqual(['The Silent Harbor', 'Harbor Lights']);
    expect(data.movies.totalCount).toBe(2);
    expect(data.movies.pageInfo).toEqual({ hasNextPage: false, endCursor: data.movies.edges[1].cursor });
    for (const { node } of data.movies.edges) {
      expect(node.score.votes).toBeGreaterThanOrEqual(1000);
      expect(node.genres.map((g: { name: string }) => g.name)).toContain('Drama');
    }
    expect(data.movies.edges[0].node.score.value).toBeGreaterThan(data.movies.edges[1].node.score.value);
  });

  it('Search: typo-tolerant, with genres, and the next page by cursor', async () => {
    const all = await run('Search', { q: 'harbour' });
    expect(all.data.searchMovies.totalCount).toBe(2);
    const titles = all.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(titles.sort()).toEqual(['Harbor Lights', 'The Silent Harbor']);

    const romance = await run('Search', { q: 'harbor', genres: ['Romance'] });
    expect(romance.data.searchMovies.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['Harbor Lights']);

    const firstPage = await run('Search', { q: 'harbor' });
    expect(firstPage.data.searchMovies.pageInfo.hasNextPage).toBe(false);
    const after = await run('Search', { q: 'harbor', after: firstPage.data.searchMovies.pageInfo.endCursor });
    expect(after.data.searchMovies).toEqual({ totalCount: 2, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('Catalogue: genres, providers with their last run, match report', async () => {
    const { data } = await run('Catalogue');
    const genres = data.genres.map((g: { name: string }) => g.name);
    expect(genres).toEqual(expect.arrayContaining(['Drama', 'Romance', 'Western']));
    const imdb = data.providers.find((p: { key: string }) => p.key === 'IMDB');
    expect(imdb).toEqual({
      key: 'IMDB',
      name: 'IMDb',
      kind: 'FILE',
      lastRun: { id: firstRunId, status: 'SUCCEEDED', rowsRead: 8, rowsChanged: 4, rowsRejected: 0, finishedAt: expect.any(String) },
    });
    const report = data.matchReport.find((r: { provider: { key: string } }) => r.provider.key === 'IMDB');
    expect(report).toEqual({ provider: { key: 'IMDB' }, total: 4, matched: 4, unmatched: 0, unmatchedPercent: 0 });
  });

  it('Run: an import run by id', async () => {
    const { data } = await run('Run', { id: firstRunId });
    expect(data.importRun).toMatchObject({ id: firstRunId, status: 'SUCCEEDED', rowsRead: 8, rowsChanged: 4, rowsRejected: 0, error: null });
    expect(Date.parse(data.importRun.finishedAt)).toBeGreaterThanOrEqual(Date.parse(data.importRun.startedAt));
  });

  it('Reimport (admin): queues an IMDb import like the last one, polled with Run until it finishes', async () => {
    const { data } = await run('Reimport', { provider: 'IMDB' }, true);
    expect(data.reimportProvider.status).toBe('QUEUED');
    reimportRunId = data.reimportProvider.id;
    expect(reimportRunId).not.toBe(firstRunId);
    expect((await run('Run', { id: reimportRunId })).data.importRun).toMatchObject({ status: 'QUEUED', startedAt: null, finishedAt: null });
    await drainJobs(api.db.pool);
    // The same files again: read, nothing changed.
    expect((await run('Run', { id: reimportRunId })).data.importRun).toMatchObject({ status: 'SUCCEEDED', rowsRead: 8, rowsChanged: 0 });
  });

  it('Recompute (admin): the movie recomputed from its records, at once', async () => {
    // A rating changes in the provider record, without the aggregation that would follow.
    await api.db.pool.query(
      `UPDATE provider_records SET ratings = jsonb_set(ratings, '{0,value}', '5.0') WHERE provider_key = 'imdb' AND external_id = 'tt0200001'`,
    );
    const before = (await run('MovieById', { id: harborId })).data.movie.score.value;
    const { data } = await run('Recompute', { id: harborId }, true);
    expect(data.recomputeMovie.id).toBe(harborId);
    expect(data.recomputeMovie.score.value).toBeLessThan(before);
    expect((await run('MovieById', { id: harborId })).data.movie.score.value).toBe(data.recomputeMovie.score.value);
  });
});
