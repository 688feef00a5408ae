import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { normalizeTitle } from '../../src/matching/normalize-title.js';
import { createApp, type AppOptions, type MovieCApp, type RunningServer } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** A response body as tests read it: asserted field by field, as loosely typed as pg's rows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;

export interface GraphQLResponse<T = Untyped> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestApi {
  db: TestDatabase;
  app: MovieCApp;
  server: RunningServer;
  /** Origin of the server, e.g. http://127.0.0.1:41234. */
  origin: string;
  gql<T = Untyped>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

type ApiOptions = Partial<Omit<AppOptions, 'pool'>>;

/**
 * A fresh database and the HTTP app on a free port, queried over real HTTP. Options are createApp's,
 * or a function of the database giving them (e.g. a cache that needs the pool).
 */
export async function startTestApi(options: ApiOptions | ((db: TestDatabase) => Promise<ApiOptions>) = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const resolved = typeof options === 'function' ? await options(db) : options;
  // The test's environment as it is when the API starts is its configuration (as npm start reads it once).
  const app = await createApp({ config: loadConfig(), ...resolved, pool: db.pool });
  const server = await app.start(0, '127.0.0.1');
  const origin = new URL(server.url).origin;
  return {
    db,
    app,
    server,
    origin,
    gql: (query, variables, headers) => postGraphQL(server.url, query, variables, headers),
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

export async function postGraphQL<T = Untyped>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

const PROVIDERS: Record<string, [name: string, kind: 'FILE' | 'API', scale: string, createsMovies: boolean]> = {
  imdb: ['IMDb', 'FILE', '1-10', true],
  tmdb: ['TMDB', 'API', '0-10', true],
  rottentomatoes: ['Rotten Tomatoes', 'FILE', '0-100', false],
  movielens: ['MovieLens', 'FILE', '0.5-5', true],
};

/** Adds provider rows the reference data does not hold yet (only imdb is seeded today). */
export async function ensureProviders(pool: pg.Pool, keys: string[]): Promise<void> {
  for (const key of keys) {
    const [name, kind, scale, createsMovies] = PROVIDERS[key]!;
    await pool.query(
      `INSERT INTO providers (key, name, kind, rating_scale, creates_movies) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO NOTHING`,
      [key, name, kind, scale, createsMovies],
    );
  }
}

export interface MovieSpec {
  title: string;
  originalTitle?: string | null;
  year?: number | null;
  releaseDate?: string | null;
  runtimeMinutes?: number | null;
  overview?: string | null;
  posterUrl?: string | null;
  imdbId?: string | null;
  score?: { value: number; confidence: number; votes: number | null; providerCount: number } | null;
  ratings?: { provider: string; kind: string; rawValue: number; rawScale: string; normalized: number; votes: number | null }[];
  titles?: { provider: string; title: string; score: number }[];
  genres?: { name: string; confidence: number }[];
  externalIds?: { provider: string; externalId: string }[];
}

/** Writes a curated movie with its titles, genres, ratings and matched provider records; returns its id. */
export async function insertMovie(pool: pg.Pool, spec: MovieSpec): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO movies (title, original_title, year, release_date, runtime_minutes, overview, poster_url, imdb_id,
                         score_value, score_confidence, score_votes, score_provider_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [
      spec.title,
      spec.originalTitle ?? null,
      spec.year ?? null,
      spec.releaseDate ?? null,
      spec.runtimeMinutes ?? null,
      spec.overview ?? null,
      spec.posterUrl ?? null,
      spec.imdbId ?? null,
      spec.score?.value ?? null,
      spec.score?.confidence ?? null,
      spec.score?.votes ?? null,
      spec.score?.providerCount ?? 0,
    ],
  );
  const id = rows[0]!.id;
  for (const r of spec.ratings ?? []) {
    await pool.query(
      `INSERT INTO ratings (movie_id, provider_key, kind, raw_value, raw_scale, normalized, votes) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, r.provider, r.kind, r.rawValue, r.rawScale, r.normalized, r.votes],
    );
  }
  // Like aggregation, the curated title is always one of the movie's titles (search reads only these).
  const titles = spec.titles ?? [{ provider: 'imdb', title: spec.title, score: 1 }];
  for (const t of titles) {
    await pool.query(
      `INSERT INTO movie_titles (movie_id, provider_key, title, normalized, score) VALUES ($1, $2, $3, $4, $5)`,
      [id, t.provider, t.title, normalizeTitle(t.title), t.score],
    );
  }
  for (const g of spec.genres ?? []) {
    await pool.query(
      `WITH known AS (INSERT INTO genres (name) VALUES ($2) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id)
       INSERT INTO movie_genres (movie_id, genre_id, confidence) SELECT $1, id, $3 FROM known`,
      [id, g.name, g.confidence],
    );
  }
  for (const e of spec.externalIds ?? []) {
    await insertRecord(pool, e.provider, e.externalId, id);
  }
  return id;
}

/** A provider record; matched to movieId when given, else left UNMATCHED. */
export async function insertRecord(pool: pg.Pool, provider: string, externalId: string, movieId: string | null): Promise<void> {
  await pool.query(
    `INSERT INTO provider_records (provider_key, external_id, payload, content_hash, movie_id, match_status)
     VALUES ($1, $2, '{}', md5($2), $3, $4)`,
    [provider, externalId, movieId, movieId ? 'MATCHED' : 'UNMATCHED'],
  );
}

/** The value of one Prometheus sample from GET /metrics, e.g. metric('moviec_cache_hits_total', { kind: 'movie' }); 0 when absent. */
export async function metricValue(origin: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) total += Number(match[3]);
  }
  return total;
}

/** The text of every statement any pg client sends (pool.query, Prisma's adapter, transactions) during fn. */
export async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const texts: string[] = [];
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const [first] = args;
    const config = first as { text?: unknown } | undefined;
    texts.push(typeof first === 'string' ? first : typeof config?.text === 'string' ? config.text : '');
    return original.apply(this, args);
  };
  try {
    await fn();
    return texts;
  } finally {
    prototype.query = original;
  }
}

// The catalogue's tables; a statement naming none of them (a LISTEN, a ping, the once-a-minute
// token statistics read from pg_stats) is the process's own background work, which a timer may
// fire during the request on a busy machine.
const CATALOGUE_TABLES = /\b(movies|movie_\w+|ratings|genres|genre_aliases|provider_records|providers|search_\w+|title_forms|import_\w+|webhooks?|api_keys)\b/;

/**
 * Counts the statements any pg client sends (pool.query, Prisma's adapter, transactions) during fn
 * that read or write the catalogue: what a cached answer must not send.
 */
export async function countStatements(fn: () => Promise<unknown>): Promise<number> {
  return (await statementsDuring(fn)).filter((text) => CATALOGUE_TABLES.test(text) && !/\bpg_stats\b/.test(text)).length;
}
