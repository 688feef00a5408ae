import { insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

// Facets, autocomplete, the year preference and the search index following the curated tables.

const FACETS = `query ($q: String!, $genres: [String!], $year: Int) {
  searchMovies(query: $q, genres: $genres, year: $year, first: 10) {
    totalCount
    edges { node { id title year } }
    facets { genres { name count } decades { decade count } providers { key count } }
  }
}`;

describe('search: facets, autocomplete, year preference, freshness', () => {
  let api: TestApi;
  const ids: Record<string, string> = {};
  const score = (value: number, votes: number) => ({ value, confidence: 0.8, votes, providerCount: 1 });

  beforeAll(async () => {
    api = await startTestApi();
    const pool = api.db.pool;
    ids.alien = await insertMovie(pool, {
      title: 'Alien', year: 1979, score: score(85, 950_000),
      titles: [{ provider: 'imdb', title: 'Alien', score: 1 }, { provider: 'tmdb', title: 'Alien', score: 1 }],
      genres: [{ name: 'Horror', confidence: 1 }, { name: 'Science Fiction', confidence: 1 }],
    });
    ids.aliens = await insertMovie(pool, {
      title: 'Aliens', year: 1986, score: score(84, 760_000),
      genres: [{ name: 'Action', confidence: 1 }, { name: 'Science Fiction', confidence: 1 }],
    });
    ids.alien3 = await insertMovie(pool, { title: 'Alien³', year: 1992, score: score(64, 330_000), genres: [{ name: 'Science Fiction', confidence: 0.4 }] });
    ids.alienNation = await insertMovie(pool, { title: 'Alien Nation', year: 1988, score: score(62, 25_000), genres: [{ name: 'Crime', confidence: 1 }] });
    ids.net1995 = await insertMovie(pool, { title: 'The Net', year: 1995, score: score(60, 160_000) });
    ids.net1916 = await insertMovie(pool, { title: 'The Net', year: 1916, score: score(55, 40) });
    ids.faceOff = await insertMovie(pool, { title: 'Face/Off', year: 1997, score: score(73, 430_000) });
    ids.walle = await insertMovie(pool, { title: 'WALL·E', year: 2008, score: score(84, 1_200_000) });
    ids.spiderMan = await insertMovie(pool, { title: 'Spider-Man', year: 2002, score: score(74, 900_000) });
    ids.rocky2 = await insertMovie(pool, { title: 'Rocky II', year: 1979, score: score(73, 230_000) });
    ids.harbor = await insertMovie(pool, { title: 'Harbor Lights', year: 1963, score: score(50, 120) });
    ids.firewall = await insertMovie(pool, { title: 'Firewall', year: 2006, score: score(58, 95_000) });
    ids.basquiat = await insertMovie(pool, { title: 'Basquiat', year: 1996, score: score(68, 25_000) });
    ids.smurfs = await insertMovie(pool, { title: 'The Smurfs', year: 2011, score: score(55, 90_000) });
    ids.debt = await insertMovie(pool, { title: 'The Debt', year: 2010, score: score(68, 70_000) });
  });
  afterAll(() => api.close());

  const search = (q: string, extra: Record<string, unknown> = {}) => api.gql(FACETS, { q, ...extra });
  const titles = (res: Awaited<ReturnType<typeof search>>) => res.data.searchMovies.edges.map((e: { node: { title: string; year: number } }) => `${e.node.title} ${e.node.year}`);

  it.each([
    ['Firweall', 'Firewall 2006'],
    ['The Dbet', 'The Debt 2010'],
    ['Basqiuat', 'Basquiat 1996'],
    ['The Smrufs', 'The Smurfs 2011'],
    ['Fac/eOff', 'Face/Off 1997'],
    ['faceoff', 'Face/Off 1997'],
    ['walle', 'WALL·E 2008'],
    ['spiderman', 'Spider-Man 2002'],
    ['alein', 'Alien 1979'],
    ['harbour lights', 'Harbor Lights 1963'],
    ['rocky 2', 'Rocky II 1979'],
    ['the net', 'The Net 1995'],
    ['the net 1916', 'The Net 1916'],
    ['alien 1986', 'Aliens 1986'],
    ['alie', 'Alien 1979'],
  ])('%j finds %s first', async (q, expected) => {
    const res = await search(q);
    expect(res.errors).toBeUndefined();
    expect(titles(res)[0]).toBe(expected);
  });

  it('prefers the year given as an argument, as when the query names it', async () => {
    expect(titles(await search('the net', { year: 1916 }))[0]).toBe('The Net 1916');
    expect(titles(await search('alien', { year: 1988 }))[0]).toBe('Alien Nation 1988');
    const bad = await search('alien', { year: 99999 });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('applies a filter to whole titles and words alike, also when no title has the words', async () => {
    const FILTERED = `query ($q: String!, $filter: MovieFilter) { searchMovies(query: $q, filter: $filter, first: 10) { edges { node { title year } } } }`;
    const run = async (q: string, filter: Record<string, unknown>) => {
      const res = await api.gql(FILTERED, { q, filter });
      expect(res.errors).toBeUndefined();
      return res.data.searchMovies.edges.map((e: { node: { title: string; year: number } }) => `${e.node.title} ${e.node.year}`);
    };
    expect(await run('zzqx', { minVotes: 1 })).toEqual([]);
    expect(await run('the net', { minVotes: 1000 })).toEqual(['The Net 1995']);
    expect(await run('the net', { yearTo: 1950 })).toEqual(['The Net 1916']);
    expect(await run('alien', { yearFrom: 1985, genres: ['Sci-Fi'] })).toEqual(['Aliens 1986']);
  });

  it('counts genres (confident ones), decades and providers over every match, with the filter applied', async () => {
    const res = await search('alien');
    expect(res.errors).toBeUndefined();
    const { totalCount, facets } = res.data.searchMovies;
    expect(totalCount).toBe(4);
    expect(facets.genres).toEqual([
      { name: 'Science Fiction', count: 2 },
      { name: 'Action', count: 1 },
      { name: 'Crime', count: 1 },
      { name: 'Horror', count: 1 },
    ]);
    expect(facets.decades).toEqual([
      { decade: 1970, count: 1 },
      { decade: 1980, count: 2 },
      { decade: 1990, count: 1 },
    ]);
    expect(facets.providers).toEqual([
      { key: 'IMDB', count: 4 },
      { key: 'TMDB', count: 1 },
    ]);
    const filtered = await search('alien', { genres: ['Sci-Fi'] });
    expect(filtered.data.searchMovies.totalCount).toBe(2);
    expect(filtered.data.searchMovies.facets.decades).toEqual([
      { decade: 1970, count: 1 },
      { decade: 1980, count: 1 },
    ]);
  });

  it('counts facets over a movies list too', async () => {
    const res = await api.gql(`{ movies(filter: { yearFrom: 1980, yearTo: 1999 }) { totalCount facets { decades { decade count } providers { key count } } } }`);
    expect(res.errors).toBeUndefined();
    // Aliens, Alien Nation; Alien³, The Net (1995), Basquiat, Face/Off.
    expect(res.data.movies.totalCount).toBe(6);
    expect(res.data.movies.facets.decades).toEqual([
      { decade: 1980, count: 2 },
      { decade: 1990, count: 4 },
    ]);
    expect(res.data.movies.facets.providers).toEqual([{ key: 'IMDB', count: 6 }]);
  });

  it('suggests the most popular matches as the user types, over GraphQL and REST', async () => {
    const res = await api.gql(`{ suggestMovies(prefix: "ali") { id title year } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.suggestMovies.map((m: { title: string }) => m.title)).toEqual(['Alien', 'Aliens', 'Alien³', 'Alien Nation']);
    const typo = await api.gql(`{ suggestMovies(prefix: "spidr", first: 1) { title } }`);
    expect(typo.data.suggestMovies).toEqual([{ title: 'Spider-Man' }]);
    const rest = await fetch(`${api.origin}/movies/suggest?prefix=${encodeURIComponent('the sm')}&limit=3`);
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual({ results: [{ id: ids.smurfs, title: 'The Smurfs', year: 2011 }] });
    for (const [query, message] of [
      ['', 'Invalid suggest: prefix is required'],
      ['prefix=', 'Invalid suggest: prefix must not be empty'],
      ['prefix=a&limit=50', 'Invalid suggest: limit must be between 1 and 20'],
    ]) {
      const bad = await fetch(`${api.origin}/movies/suggest?${query}`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: message });
    }
    const many = await api.gql(`{ suggestMovies(prefix: "a", first: 21) { id } }`);
    expect(many.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('follows the curated tables: a new title, genre or vote count is searchable at once', async () => {
    const pool = api.db.pool;
    // Aggregation writes the curated tables, then invalidates the cache; here the writes are direct.
    const write = async (sql: string, params: unknown[]) => {
      await pool.query(sql, params);
      await api.app.cache.invalidateAll();
    };
    // Looked up before the word exists: the process may keep what the dictionary said, but only
    // until the catalogue changes (the cache versions every change moves).
    expect(titles(await search('le pari'))).toEqual([]);
    await write(`INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score) VALUES ($1, 'movielens', 'Le Pari', 'pari', 0.5)`, [ids.debt]);
    expect(titles(await search('le pari'))[0]).toBe('The Debt 2010');
    await write(`DELETE FROM movie_titles WHERE movie_id = $1 AND provider_key = 'movielens'`, [ids.debt]);
    expect(titles(await search('le pari'))).toEqual([]);
    // Votes decide between the two "The Net".
    await write(`UPDATE movies SET score_votes = 10000000 WHERE id = $1`, [ids.net1916]);
    expect(titles(await search('the net'))[0]).toBe('The Net 1916');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM movie_search`);
    expect(rows[0].n).toBe(15);
    await write(`DELETE FROM movies WHERE id = $1`, [ids.net1916]);
    expect(titles(await search('the net'))).toEqual(['The Net 1995']);
  });
  it('suggests whole movies when a suggestion asks for more than id, title and year', async () => {
    const res = await api.gql(`{ suggestMovies(prefix: "alie", first: 2) { title year score { value votes } ... on Movie { id } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.suggestMovies).toEqual([
      { title: 'Alien', year: 1979, score: { value: 85, votes: 950_000 }, id: ids.alien },
      { title: 'Aliens', year: 1986, score: { value: 84, votes: 760_000 }, id: ids.aliens },
    ]);
  });

  it('suggests a renamed movie under its new title and year, and a deleted one no more, once the change is committed', async () => {
    const pool = api.db.pool;
    // Aggregation writes the curated tables, then invalidates the cache; here the writes are direct.
    const write = async (sql: string, params: unknown[]) => {
      await pool.query(sql, params);
      await api.app.cache.invalidateAll();
    };
    const suggest = async (prefix: string) => {
      const res = await api.gql(`query ($p: String!) { suggestMovies(prefix: $p) { id title year } }`, { p: prefix });
      expect(res.errors).toBeUndefined();
      return res.data.suggestMovies;
    };
    const rest = async (prefix: string) => (await (await fetch(`${api.origin}/movies/suggest?prefix=${encodeURIComponent(prefix)}`)).json()) as unknown;
    const id = await insertMovie(pool, { title: 'Harvest Moon', year: 2001, score: score(60, 5000) });
    await api.app.cache.invalidateAll();
    expect(await suggest('harv')).toEqual([{ id, title: 'Harvest Moon', year: 2001 }]);
    expect(await rest('Harvest Mo')).toEqual({ results: [{ id, title: 'Harvest Moon', year: 2001 }] });
    await write(`UPDATE movie_titles SET title = 'Harvest Sun', normalized = 'harvest sun' WHERE movie_id = $1`, [id]);
    await write(`UPDATE movies SET title = 'Harvest Sun', year = 2002 WHERE id = $1`, [id]);
    expect(await suggest('harv')).toEqual([{ id, title: 'Harvest Sun', year: 2002 }]);
    expect(await suggest('harvest s')).toEqual([{ id, title: 'Harvest Sun', year: 2002 }]);
    expect(await suggest('harvest mo')).toEqual([]);
    expect(await rest('Harvest Mo')).toEqual({ results: [] });
    await write(`DELETE FROM movies WHERE id = $1`, [id]);
    expect(await suggest('harv')).toEqual([]);
    expect(await rest('harv')).toEqual({ results: [] });
  });
});
