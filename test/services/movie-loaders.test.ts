import { randomUUID } from 'node:crypto';
import { createMemoryCache } from '../../src/cache/index.js';
import { requestPool } from '../../src/db/request-pool.js';
import { createLoaders } from '../../src/services/movie-loaders.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { insertMovie, statementsDuring } from '../support/graphql-api.js';

/**
 * The movie reads of answers computed for the response cache (createLoaders' direct) are shared by
 * the requests of a process: the reads asked for in one turn go out as one statement.
 */
describe('movie reads of computed answers, shared by the requests of one turn', () => {
  let db: TestDatabase;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 5; i++) {
      ids.push(
        await insertMovie(db.pool, {
          title: `Shared Read ${i}`,
          year: 1990 + i,
          genres: i % 2 ? [{ name: 'Drama', confidence: 0.9 }, { name: 'Western', confidence: 0.5 }] : [],
        }),
      );
    }
  });
  afterAll(async () => {
    await db.drop();
  });

  /** A request's loaders as a GraphQL context builds them: its own pool view, its own memo. */
  const requestLoaders = () => createLoaders(requestPool(db.pool, new AbortController().signal), createMemoryCache(), { direct: true });

  it('reads the movies several requests ask for in the same turn with one statement, each its own answer', async () => {
    const unknown = randomUUID();
    const requests = [...ids, unknown].map(() => requestLoaders());
    const asked = [...ids, unknown];
    let answers: Awaited<ReturnType<(typeof requests)[number]['movie']['load']>>[] = [];
    let genres: Awaited<ReturnType<(typeof requests)[number]['genres']['load']>>[] = [];
    const statements = await statementsDuring(async () => {
      answers = await Promise.all(requests.map((loaders, i) => loaders.movie.load(asked[i]!)));
      // Each request's genres came with its movie (primed into its own loader): no statement more.
      genres = await Promise.all(requests.slice(0, ids.length).map((loaders, i) => loaders.genres.load(asked[i]!)));
    });
    expect(statements.filter((text) => /\bmovies\b/.test(text))).toHaveLength(1);
    expect(statements).toHaveLength(1);
    expect(answers.map((movie) => movie?.title ?? null)).toEqual(['Shared Read 0', 'Shared Read 1', 'Shared Read 2', 'Shared Read 3', 'Shared Read 4', null]);
    expect(answers.map((movie) => movie?.id ?? null)).toEqual([...ids, null]);
    expect(genres[1]!.map((g) => g.name)).toEqual(['Drama', 'Western']);
    expect(genres[1]!.every((g) => g.movieId === ids[1])).toBe(true);
    expect(genres[0]).toEqual([]);
  });

  it('answers the same movie asked by several requests at once to each of them', async () => {
    const requests = [requestLoaders(), requestLoaders(), requestLoaders()];
    const answers = await Promise.all(requests.map((loaders) => loaders.movie.load(ids[3]!)));
    expect(answers.map((movie) => movie?.title)).toEqual(['Shared Read 3', 'Shared Read 3', 'Shared Read 3']);
  });

  it('reads again in a later turn: nothing is remembered between batches', async () => {
    expect((await requestLoaders().movie.load(ids[2]!))?.year).toBe(1992);
    await db.pool.query('UPDATE movies SET year = 1999 WHERE id = $1', [ids[2]]);
    expect((await requestLoaders().movie.load(ids[2]!))?.year).toBe(1999);
  });
});
