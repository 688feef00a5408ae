import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import { SAMPLES_2026_11 as SAMPLES } from '../fixtures/sample-2026-11/index.js';
import { buildCli } from '../../src/cli/index.js';
import { MIN_OVERLAP } from '../../src/scoring/calibration.js';
import { scheduleFreshness } from '../../src/server/app.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';

/**
 * Issue 15 on the samples as bundled until 2026-11 (test/fixtures/sample-2026-11: a small overlap, linear scoring), imported with the real `moviec import` (which works the queue,
 * including the scoring refit it causes): every explanation adds up to its value, under every
 * profile; an `aggregate --all` right after changes nothing; ratings say how fresh they are.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let clock = new Date();

/** Runs `moviec ...args` in-process against the test database; returns exit code and output. */
async function moviec(api: TestApi, ...args: string[]) {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = api.db.url;
  process.env.LOG_LEVEL = 'silent';
  process.exitCode = undefined;
  try {
    await buildCli().exitOverride().parseAsync(['node', 'moviec', ...args]);
    return { code: Number(process.exitCode ?? 0), lines };
  } finally {
    process.exitCode = undefined;
    Object.assign(process.env, env);
    if (env.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    if (env.LOG_LEVEL === undefined) delete process.env.LOG_LEVEL;
    log.mockRestore();
  }
}

const SCORE_FIELDS = `value confidence providerCount votes profile
  explanation { formulaVersion contributions { provider { key } kind rawValue rawScale normalized calibrated votes weight priorMean priorVotes trust contribution } }`;

interface Explained {
  value: number;
  explanation: { formulaVersion: string; contributions: { contribution: number; weight: number; trust: number; calibrated: number; normalized: number }[] } | null;
}

async function everyMovie(api: TestApi) {
  const movies: { id: string; title: string; balanced: Explained | null; critics: Explained | null; audience: Explained | null }[] = [];
  let after: string | null = null;
  for (;;) {
    const res: { errors?: unknown; data?: { movies: { edges: { node: (typeof movies)[number] }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } =
      await api.gql(
        `query($after: String) { movies(first: 20, after: $after, orderBy: TITLE_ASC) {
          edges { node { id title balanced: score { ${SCORE_FIELDS} } critics: score(profile: CRITICS) { ${SCORE_FIELDS} }
                         audience: score(profile: AUDIENCE) { ${SCORE_FIELDS} } } }
          pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
    expect(res).not.toHaveProperty('errors');
    movies.push(...res.data!.movies.edges.map((e) => e.node));
    if (!res.data!.movies.pageInfo.hasNextPage) return movies;
    after = res.data!.movies.pageInfo.endCursor;
  }
}

async function scoreState(api: TestApi) {
  const { rows } = await api.db.pool.query(
    `SELECT m.id, m.score_value, m.score_critics, m.score_audience, m.score_confidence, m.version, m.aggregate_hash,
            (SELECT json_agg(r ORDER BY r.provider_key, r.kind) FROM ratings r WHERE r.movie_id = m.id) AS ratings
       FROM movies m ORDER BY m.id`,
  );
  return rows;
}

describe('explained scores on the 2026-11 samples', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      // Whole answers holding `stale` may be kept for a minute of real time (its cache hint); this
      // test moves the freshness clock by a millisecond, so answers are computed, never kept.
      responseCache: false,
      freshness: scheduleFreshness({ imdb: DAY, movielens: DAY, rottentomatoes: DAY, tmdb: HOUR }, () => clock),
    });
    for (const { provider, location } of SAMPLES) {
      const args = Object.entries(location).flatMap(([name, value]) => [`--${name}`, String(value)]);
      const { code } = await moviec(api, 'import', provider, ...args);
      expect([0, 2]).toContain(code);
    }
  });
  afterAll(() => api.close());

  it('every movie’s explanation adds up to its value, under every profile, and the value has one decimal', async () => {
    const movies = await everyMovie(api);
    expect(movies.length).toBeGreaterThan(300);
    let scored = 0;
    for (const movie of movies) {
      for (const score of [movie.balanced, movie.critics, movie.audience]) {
        if (!score) continue;
        scored++;
        expect(Math.round(score.value * 10) / 10).toBe(score.value);
        expect(score.explanation).not.toBeNull();
        const { contributions } = score.explanation!;
        expect(contributions.length).toBeGreaterThan(0);
        expect(contributions.reduce((sum, c) => sum + c.contribution, 0)).toBeCloseTo(score.value, 6);
        expect(contributions.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 3);
        for (const c of contributions) {
          expect(c.trust).toBeGreaterThanOrEqual(0);
          expect(c.trust).toBeLessThanOrEqual(1);
        }
      }
      expect(Boolean(movie.balanced)).toBe(Boolean(movie.critics));
      expect(Boolean(movie.balanced)).toBe(Boolean(movie.audience));
    }
    expect(scored).toBeGreaterThan(900);
  });

  it('normalized is linear on the provider scale (MovieLens 4.2 / 5 is 84, a 98 % audience is 98); calibrated sits beside it', async () => {
    const { rows } = await api.db.pool.query(
      `SELECT movie_id, provider_key, kind, raw_value, normalized, calibrated FROM ratings WHERE provider_key IN ('movielens', 'rottentomatoes')`,
    );
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) {
      const linear = r.provider_key === 'movielens' ? ((r.raw_value - 0.5) / 4.5) * 100 : r.raw_value;
      expect(r.normalized).toBeCloseTo(linear, 1);
      expect(r.calibrated).not.toBeNull();
    }
    const res = await api.gql(`query($id: ID!) { movie(id: $id) { ratings { provider { key } kind normalized calibrated } } }`, {
      id: rows[0].movie_id,
    });
    const served = res.data.movie.ratings.find((r: { provider: { key: string } }) => r.provider.key !== 'IMDB');
    expect(served.normalized).toBeCloseTo(
      rows.find((r) => r.movie_id === rows[0].movie_id && r.provider_key === served.provider.key.toLowerCase().replace('_', '') && r.kind === served.kind).normalized,
      6,
    );
  });

  it('a small overlap stays linear: no calibration below 200 films rated by two providers', async () => {
    const { rows } = await api.db.pool.query('SELECT provider_key, kind, overlap_size, calibration, version FROM scoring_priors');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const prior of rows) {
      expect(prior.overlap_size).toBeLessThan(MIN_OVERLAP);
      expect(prior.calibration).toEqual([]);
      expect(prior.version).toBeGreaterThanOrEqual(1);
    }
    const { rows: fits } = await api.db.pool.query('SELECT version, formula_version, reason FROM scoring_fits ORDER BY version');
    expect(fits.length).toBeGreaterThanOrEqual(1);
    expect(fits.at(-1)).toMatchObject({ formula_version: '2', reason: 'after import' });
  });

  it('aggregate --all right after the imports changes no score: the fit refitted by itself is kept', async () => {
    const before = await scoreState(api);
    const { code, lines } = await moviec(api, 'aggregate', '--all');
    expect(code).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/^Scoring fit \d+ kept/));
    expect(lines.at(-1)).toBe(`${before.length} movies aggregated, 0 changed.`);
    expect(await scoreState(api)).toEqual(before);
  });

  it('SCORE_DESC and minScore follow the profile asked for', async () => {
    for (const [profile, column] of [['CRITICS', 'score_critics'], ['AUDIENCE', 'score_audience'], ['BALANCED', 'score_value']] as const) {
      const res = await api.gql(
        `query($p: ScoreProfile) { movies(first: 30, orderBy: SCORE_DESC, profile: $p, filter: { minScore: 60 }) {
           totalCount edges { node { id score(profile: $p) { value } } } } }`,
        { p: profile },
      );
      const values = res.data.movies.edges.map((e: { node: { score: { value: number } } }) => e.node.score.value);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(Math.min(...values)).toBeGreaterThanOrEqual(60);
      const { rows } = await api.db.pool.query(`SELECT count(*)::int AS n FROM movies WHERE ${column} >= 60`);
      expect(res.data.movies.totalCount).toBe(rows[0].n);
    }
    const orders = await Promise.all(
      ['CRITICS', 'AUDIENCE'].map(async (p) => {
        const res = await api.gql(`query($p: ScoreProfile) { movies(first: 30, profile: $p) { edges { node { id } } } }`, { p });
        return res.data.movies.edges.map((e: { node: { id: string } }) => e.node.id).join();
      }),
    );
    expect(orders[0]).not.toBe(orders[1]);
  });

  it('a MovieLens rating carries the provider’s own date: the newest ratings.csv timestamp of the movie', async () => {
    const dir = String(SAMPLES.find((s) => s.provider === 'movielens')!.location.dir);
    const latest = new Map<string, number>();
    for (const line of (await readFile(path.join(dir, 'ratings.csv'), 'utf8')).trim().split('\n').slice(1)) {
      const [, movieId, , timestamp] = line.split(',');
      latest.set(movieId!, Math.max(latest.get(movieId!) ?? 0, Number(timestamp)));
    }
    const { rows } = await api.db.pool.query<{ movie_id: string; external_ids: string[] }>(
      `SELECT pr.movie_id, array_agg(pr.external_id) AS external_ids FROM provider_records pr
        WHERE pr.provider_key = 'movielens'
          AND EXISTS (SELECT 1 FROM ratings r WHERE r.movie_id = pr.movie_id AND r.provider_key = 'movielens')
        GROUP BY pr.movie_id ORDER BY pr.movie_id LIMIT 8`,
    );
    expect(rows.length).toBeGreaterThan(0);
    const query = `query($id: ID!) { movie(id: $id) { ratings { provider { key } kind fetchedAt sourceUpdatedAt } } }`;
    for (const row of rows) {
      const { data } = await api.gql(query, { id: row.movie_id });
      const ratings = data.movie.ratings as { provider: { key: string }; kind: string; fetchedAt: string; sourceUpdatedAt: string | null }[];
      // The newest date of the movie's MovieLens records.
      const newest = Math.max(...row.external_ids.map((id) => latest.get(id) ?? 0));
      const movielens = ratings.find((r) => r.provider.key === 'MOVIELENS');
      expect(movielens?.sourceUpdatedAt).toBe(new Date(newest * 1000).toISOString());
      // A provider that gives no date (IMDb) says so with null.
      for (const r of ratings.filter((x) => x.provider.key === 'IMDB')) expect(r.sourceUpdatedAt).toBeNull();
    }
  });

  it('each rating says when MovieC read it, and turns stale just past its provider’s refresh interval', async () => {
    const { rows } = await api.db.pool.query(
      `SELECT r.movie_id, max(pr.last_seen_at) AS seen FROM ratings r
         JOIN provider_records pr ON pr.movie_id = r.movie_id AND pr.provider_key = r.provider_key
        WHERE r.provider_key = 'imdb' GROUP BY r.movie_id LIMIT 1`,
    );
    const query = `query($id: ID!) { movie(id: $id) { ratings { provider { key } fetchedAt sourceUpdatedAt stale } } }`;
    const imdbRating = async () =>
      (await api.gql(query, { id: rows[0].movie_id })).data.movie.ratings.find((r: { provider: { key: string } }) => r.provider.key === 'IMDB');
    const seen = new Date(rows[0].seen);
    clock = new Date(seen.getTime() + DAY);
    const fresh = await imdbRating();
    expect(fresh).toMatchObject({ fetchedAt: seen.toISOString(), sourceUpdatedAt: null, stale: false });
    clock = new Date(seen.getTime() + DAY + 1);
    expect((await imdbRating()).stale).toBe(true);
  });
});
