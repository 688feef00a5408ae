import { readFile } from 'node:fs/promises';
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
  }, 180_000);
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
    expect(rt.matched).toBeGreaterThan(150);

    const { rows } = await api.db.pool.query(
      `SELECT m.id FROM movies m WHERE (SELECT count(DISTINCT provider_key) FROM ratings r WHERE r.movie_id = m.id) >= 2
          AND EXISTS (SELECT 1 FROM provider_records pr WHERE pr.movie_id = m.id AND pr.provider_key = 'rottentomatoes')
          AND EXISTS (SELECT 1 FROM provider_records pr WHERE pr.movie_id = m.id AND pr.provider_key = 'movielens') ORDER BY m.id LIMIT 1`,
    );
    const movie = await api.gql(`query($id: ID!) { movie(id: $id) { title score { providerCount } ratings { provider { key } kind } } }`, {
      id: rows[0].id,
    });
    expect(movie.data.movie.score.providerCount).toBeGreaterThanOrEqual(2);
    expect(movie.data.movie.ratings.map((r: { provider: { key: string } }) => r.provider.key)).toEqual(
      expect.arrayContaining(['MOVIELENS', 'ROTTEN_TOMATOES']),
    );
  });
  /** The movie each provider record of these external ids belongs to. */
  async function movieOf(provider: string, externalId: string): Promise<{ id: string; title: string; year: number } | null> {
    const { rows } = await api.db.pool.query(
      `SELECT m.id, m.title, m.year FROM provider_records pr JOIN movies m ON m.id = pr.movie_id
        WHERE pr.provider_key = $1 AND pr.external_id = $2`,
      [provider, externalId],
    );
    return rows[0] ?? null;
  }

  it('are the same films across IMDb, MovieLens and Rotten Tomatoes: most movies have two providers or more', async () => {
    const { rows } = await api.db.pool.query(
      `SELECT count(*)::int AS movies,
              count(*) FILTER (WHERE providers >= 2)::int AS two,
              count(*) FILTER (WHERE providers = 3)::int AS three
         FROM (SELECT m.id, count(DISTINCT pr.provider_key) AS providers
                 FROM movies m JOIN provider_records pr ON pr.movie_id = m.id GROUP BY m.id) x`,
    );
    const { movies, two, three } = rows[0];
    expect(movies).toBeGreaterThan(200);
    expect(two / movies).toBeGreaterThan(0.9);
    expect(three / movies).toBeGreaterThan(0.6);
  });

  it('keeps a remake pair apart: Scarface 1932 and 1983, Ocean\u2019s Eleven 1960 and 2001, each with its own Rotten Tomatoes row', async () => {
    for (const [title, years] of [['Scarface', [1932, 1983]], ["Ocean's Eleven", [1960, 2001]]] as const) {
      const { rows } = await api.db.pool.query('SELECT id, year FROM movies WHERE title = $1 ORDER BY year', [title]);
      expect(rows.map((r) => r.year)).toEqual(years);
    }
    expect(await movieOf('rottentomatoes', 'm/scarface_1932')).toMatchObject({ title: 'Scarface', year: 1932 });
    expect(await movieOf('rottentomatoes', 'm/scarface_1983')).toMatchObject({ title: 'Scarface', year: 1983 });
    expect(await movieOf('movielens', '4262')).toMatchObject({ year: 1983 });
    expect(await movieOf('rottentomatoes', 'm/oceans_eleven_1960')).toMatchObject({ year: 1960 });
    expect(await movieOf('rottentomatoes', 'm/oceans_eleven')).toMatchObject({ year: 2001 });
  });

  it('keeps a sequel pair apart: The Godfather and The Godfather Part II, each rated by all three providers', async () => {
    const godfather = await movieOf('imdb', 'tt0068646');
    const partTwo = await movieOf('imdb', 'tt0071562');
    expect(godfather).toMatchObject({ title: 'The Godfather', year: 1972 });
    expect(partTwo).toMatchObject({ year: 1974 });
    expect(partTwo!.id).not.toBe(godfather!.id);
    // MovieLens "Godfather: Part II, The" and Rotten Tomatoes "The Godfather, Part II" join the sequel, not the first film.
    expect((await movieOf('movielens', '1221'))!.id).toBe(partTwo!.id);
    expect((await movieOf('rottentomatoes', 'm/godfather_part_ii'))!.id).toBe(partTwo!.id);
    expect((await movieOf('rottentomatoes', 'm/godfather'))!.id).toBe(godfather!.id);
    for (const movie of [godfather!, partTwo!]) {
      const res = await api.gql(`query($id: ID!) { movie(id: $id) { score { providerCount } ratings { provider { key } } } }`, { id: movie.id });
      expect(res.data.movie.score.providerCount).toBe(3);
    }
  });

  it('joins the same film under other titles and years: original titles, "The" dropped, a release a year later', async () => {
    // IMDb "Crouching Tiger, Hidden Dragon" (original "Wo hu cang long"), MovieLens "Crouching Tiger, Hidden Dragon (Wo hu cang long)",
    // Rotten Tomatoes "Crouching Tiger, Hidden Dragon (Wo Hu Cang Long)".
    const crouching = await movieOf('imdb', 'tt0190332');
    expect((await movieOf('rottentomatoes', 'm/crouching_tiger_hidden_dragon'))?.id).toBe(crouching!.id);
    // Rotten Tomatoes "Departed" (2006) is IMDb's "The Departed".
    expect((await movieOf('rottentomatoes', 'm/departed'))?.id).toBe((await movieOf('imdb', 'tt0407887'))!.id);
    // City of God (2002) opened in the US in 2003: Rotten Tomatoes dates it a year later, "City of God (Cidade de Deus)".
    const cityOfGod = await movieOf('imdb', 'tt0317248');
    expect(cityOfGod).toMatchObject({ title: 'City of God', year: 2002 });
    expect((await movieOf('rottentomatoes', 'm/city_of_god'))?.id).toBe(cityOfGod!.id);
    // Star Wars (IMDb's title) is MovieLens's and Rotten Tomatoes' "Star Wars: Episode IV - A New Hope".
    const starWars = await movieOf('imdb', 'tt0076759');
    expect((await movieOf('rottentomatoes', 'm/star_wars'))?.id).toBe(starWars!.id);
  });

  it('explains every score: the contributions add up to the value of every movie', async () => {
    let after: string | null = null;
    let scored = 0;
    for (;;) {
      const res: { data?: { movies: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } = await api.gql(
        `query($after: String) { movies(first: 100, after: $after) { edges { node { score { value explanation { contributions { contribution } } } } }
           pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const page = res.data!.movies;
      for (const { node } of page.edges as { node: { score: { value: number; explanation: { contributions: { contribution: number }[] } } | null } }[]) {
        if (!node.score) continue;
        scored++;
        const sum = node.score.explanation.contributions.reduce((total, c) => total + c.contribution, 0);
        expect(sum).toBeCloseTo(node.score.value, 6);
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(scored).toBeGreaterThan(200);
  });

  it('fills "Top rated" with films several providers rate', async () => {
    const res = await api.gql(`{ movies(first: 20, orderBy: SCORE_DESC) { edges { node { title score { value providerCount votes } } } } }`);
    const top = res.data.movies.edges.map((e: { node: { title: string; score: { providerCount: number; votes: number } } }) => e.node);
    expect(top).toHaveLength(20);
    for (const movie of top) expect(movie.score.providerCount).toBeGreaterThanOrEqual(2);
    expect(top.map((m: { title: string }) => m.title)).toContain('The Godfather');
  });

  it('answers the README\u2019s "Try it" examples as written', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /Try it:\n\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = block.replace(/\\\n\s*/g, ' ').trim().split('\n');
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      const body = /-d '(.*)'$/.exec(command)?.[1];
      if (body) {
        const res = await api.gql(JSON.parse(body).query);
        expect([command, res.errors]).toEqual([command, undefined]);
        const found = JSON.stringify(res.data);
        expect(found).toMatch(/"title":"[^"]+"/);
        continue;
      }
      const url = /curl -s '(?:http:\/\/)?localhost:4000(\/[^']+)'/.exec(command)![1]!;
      const response = await fetch(api.origin + url);
      expect([command, response.status]).toEqual([command, 200]);
      const json = (await response.json()) as { total: number; results: { title: string }[] };
      expect(json.total).toBeGreaterThan(0);
    }
    // The search example finds both Godfather films.
    const search = /curl -s '(?:http:\/\/)?localhost:4000(\/movies\/search[^']+)'/.exec(block)![1]!;
    const found = (await (await fetch(api.origin + search)).json()) as { results: { title: string }[] };
    expect(found.results.map((r) => r.title)).toEqual(expect.arrayContaining(['The Godfather', 'The Godfather Part II']));
  });
});
