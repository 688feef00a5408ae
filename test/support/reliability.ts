import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** A MovieC child process (from dist/, built by `npm install` / `npm run build`) with its output kept. */
export interface Child {
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code or signal once the process ended. */
  exited: Promise<number | string | null>;
  kill(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export function spawnMoviec(args: string[], env: Record<string, string>): Child {
  return spawnNode([path.join(ROOT, 'bin', 'moviec.js'), ...args], env);
}

/** `node <args>` from the project root, e.g. dist/main.js (what `npm start` runs once built). */
export function spawnNode(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Several fault points armed at once are let go one at a time by lines on standard input; others read nothing there.
  child.stdin.on('error', () => undefined);
  if (!env.MOVIEC_FAULT_POINT?.includes(',')) child.stdin.end();
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return {
    process: child,
    output: () => text,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Spawns `moviec worker` against a database, with fast crash recovery. */
export function spawnWorker(databaseUrl: string, env: Record<string, string> = {}): Child {
  return spawnMoviec(['worker'], { DATABASE_URL: databaseUrl, WORKER_CONCURRENCY: '2', WORKER_RECOVERY_SECONDS: '1', ...env });
}

/**
 * Waits until a child armed with MOVIEC_FAULT_POINT (src/fault-points.ts) reached the point and
 * froze there; fails with its output if it exits first.
 */
export async function reachedFaultPoint(child: Child, name: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const pattern = new RegExp(`fault point ${name.replace(/\./g, '\\.')} reached (\\{.*\\})`);
  let exited = false;
  void child.exited.then(() => (exited = true));
  const line = await waitFor(() => {
    if (exited) throw new Error(`the process ended before fault point ${name}:\n${child.output()}`);
    return pattern.exec(child.output());
  }, timeoutMs, `fault point ${name}`, 20);
  return JSON.parse(line[1]!) as Record<string, unknown>;
}

/** The level-50+ (error, fatal) lines of a child's JSON log output, for a test to expect none. */
export function errorLines(child: Child): string[] {
  return child.output().split('\n').filter((line) => /"level":(5\d|60)\b/.test(line));
}

/** Polls until check returns a truthy value; fails with the last value after timeoutMs. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Writes deterministic IMDb files (scripts/generate-imdb.js) of count titles into dir. */
export async function generateImdb(dir: string, count: number, seed = '1'): Promise<{ basics: string; ratings: string }> {
  await run(process.execPath, [path.join(ROOT, 'scripts', 'generate-imdb.js'), '--out', dir, '--count', String(count), '--seed', seed]);
  return { basics: path.join(dir, 'title.basics.tsv'), ratings: path.join(dir, 'title.ratings.tsv') };
}

export interface CatalogueSnapshot {
  records: Record<string, unknown>[];
  movies: Record<string, unknown>[];
  ratings: Record<string, unknown>[];
  genres: Record<string, unknown>[];
  titles: Record<string, unknown>[];
}

/**
 * The raw and curated tables, keyed by provider ids and IMDb ids rather than generated ids, so two
 * databases that imported the same files compare equal.
 */
export async function catalogueSnapshot(pool: pg.Pool | pg.PoolClient): Promise<CatalogueSnapshot> {
  const q = async (sql: string) => (await pool.query(sql)).rows as Record<string, unknown>[];
  return {
    records: await q(
      `SELECT pr.provider_key, pr.external_id, pr.content_hash, pr.match_status, pr.title, pr.year, pr.rating, pr.votes,
              m.imdb_id AS movie
         FROM provider_records pr LEFT JOIN movies m ON m.id = pr.movie_id ORDER BY 1, 2`,
    ),
    movies: await q(
      `SELECT imdb_id, title, original_title, year, runtime_minutes, is_adult, score_value, score_confidence, score_votes,
              score_provider_count, aggregate_hash, provenance
         FROM movies ORDER BY imdb_id, title`,
    ),
    ratings: await q(
      `SELECT m.imdb_id, r.provider_key, r.kind, r.raw_value, r.normalized, r.votes
         FROM ratings r JOIN movies m ON m.id = r.movie_id ORDER BY 1, 2, 3`,
    ),
    genres: await q(
      `SELECT m.imdb_id, g.name, mg.confidence FROM movie_genres mg JOIN movies m ON m.id = mg.movie_id
         JOIN genres g ON g.id = mg.genre_id ORDER BY 1, 2`,
    ),
    titles: await q(
      `SELECT m.imdb_id, t.provider_key, t.title, t.score FROM movie_titles t JOIN movies m ON m.id = t.movie_id ORDER BY 1, 2, 3`,
    ),
  };
}

/** Counts that show duplicated or lost rows at a glance. */
export interface IntegrityCounts {
  records: number;
  distinct_records: number;
  movies: number;
  distinct_movies: number;
  unaggregated: number;
  unmatched: number;
  staged: number;
}

export async function integrityCounts(pool: pg.Pool): Promise<IntegrityCounts> {
  const { rows } = await pool.query<IntegrityCounts>(
    `SELECT (SELECT count(*)::int FROM provider_records) AS records,
            (SELECT count(DISTINCT (provider_key, external_id))::int FROM provider_records) AS distinct_records,
            (SELECT count(*)::int FROM movies) AS movies,
            (SELECT count(DISTINCT imdb_id)::int FROM movies) AS distinct_movies,
            (SELECT count(*)::int FROM movies WHERE aggregate_hash IS NULL) AS unaggregated,
            (SELECT count(*)::int FROM provider_records WHERE movie_id IS NULL) AS unmatched,
            (SELECT count(*)::int FROM import_staging_records) + (SELECT count(*)::int FROM import_staging_ratings) AS staged`,
  );
  return rows[0]!;
}

/** Jobs left in the queue, by task (failed ones included). */
export async function queuedJobs(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ task: string; n: number }>(
    `SELECT task_identifier AS task, count(*)::int AS n FROM graphile_worker.jobs GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.task, r.n]));
}

/** Every row of the raw and curated tables, exactly (ids, versions and timestamps included). */
export async function exactState(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const tables = ['provider_records', 'movies', 'movie_titles', 'movie_genres', 'ratings', 'genre_aliases', 'scoring_priors'];
  const state: Record<string, unknown[]> = {};
  for (const table of tables) state[table] = (await pool.query(`SELECT * FROM ${table} t ORDER BY t::text`)).rows;
  return state;
}

/**
 * `moviec <args>` run from the TypeScript sources (no build needed) with debug JSON logs, every
 * line of its output kept: what the secrets tests grep for planted secrets.
 */
export function moviecFromSource(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './test/support/ts-register.mjs', 'test/support/moviec-source.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'debug', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
