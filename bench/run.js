// `npm run bench [-- --size N]`: MovieC at IMDb scale, measured side by side with the machine's
// limit (PostgreSQL's own COPY, Node's own line split, Graphile Worker no-op jobs) and a peer
// (PostGraphile 5), in one run on a throwaway embedded PostgreSQL. Prints a table and writes it as
// JSON under bench/results/. See docs/BENCHMARKS.md for the method. Imports the compiled code from
// dist/ (npm run build).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, readdirSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGunzip, createGzip } from 'node:zlib';
import autocannon from 'autocannon';
import { run as runWorker, Logger as WorkerLogger } from 'graphile-worker';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openCache } from '../dist/cache/index.js';
import { startEmbeddedPostgres } from '../dist/db/embedded.js';
import { createPool } from '../dist/db/pool.js';
import { prepareDatabase } from '../dist/db/setup.js';
import { createLogger } from '../dist/logger.js';
import { normalizeTitle } from '../dist/matching/normalize-title.js';
import { aggregateAll } from '../dist/scoring/aggregate.js';
import { refreshPriors } from '../dist/scoring/priors.js';
import { imdbAdapter } from '../dist/sources/imdb.js';
import { providerDefinitions } from '../dist/sources/registry.js';
import { createTaskList } from '../dist/workers/tasks.js';
import { generateImdb } from '../scripts/generate-imdb.js';
import { generateBenchInputs } from './generate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    // title.basics lines (all title types; the real dump's mix unless --shape classic).
    size: { type: 'string', default: '100000' },
    shape: { type: 'string', default: 'real' },
    // The headline: a 13.5M-line pair (11.95M basics lines, ~1.6M ratings) shaped like the real
    // dump; implies --import-only. Takes many minutes: run it once, not in a loop.
    'real-dump': { type: 'boolean', default: false },
    // Only the import measures (IMDb, re-imports, aggregation, MovieLens): no Rotten Tomatoes, API, CLI.
    'import-only': { type: 'boolean', default: false },
    // No aggregation measures (full rebuild, per-movie jobs): the imports alone, e.g. --real-dump
    // in minutes instead of the rebuild of ~730k movies.
    'skip-aggregation': { type: 'boolean', default: false },
    // MovieLens ratings.csv lines (default: --size; ml-32m has 32,000,204).
    'movielens-ratings': { type: 'string', default: '' },
    // MovieLens movies (default: every 5th IMDb movie; ml-32m has 87,585).
    'movielens-movies': { type: 'string', default: '' },
    seed: { type: 'string', default: '1' },
    'api-seconds': { type: 'string', default: '10' },
    // Rounds of the cache-miss measure: each asks for the same movies once each (at most 2,000 a
    // second of --api-seconds, 4,489 on the kept 100k catalogue), every stored answer invalidated
    // before each round (as after `moviec aggregate --all`), so that both servers' JIT warm-up
    // weighs less than in one short run. PostGraphile gets the same rounds.
    'miss-rounds': { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    // The overload measure (key `overload`): mixed requests at this many connections, 503 + Retry-After counted.
    'overload-connections': { type: 'string', default: '200' },
    jobs: { type: 'string', default: '5000' },
    'skip-api': { type: 'boolean', default: false },
    'skip-peer': { type: 'boolean', default: false },
    'cli-only': { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
    // Only these API measurements (comma-separated keys: movieMiss, movieHit, search, restSearch,
    // top, suggest, facets, overload), PostGraphile's among them too: e.g. `--only search,suggest` on a kept
    // catalogue measures search and autocomplete side by side with the peer in a minute.
    only: { type: 'string', default: '' },
    // API processes (node:cluster on one port) and `moviec worker` processes during the API tests.
    'api-processes': { type: 'string', default: '1' },
    workers: { type: 'string', default: '0' },
    // Replicas: reads through DATABASE_READ_URL (the same server under another role name).
    'read-url': { type: 'boolean', default: false },
    // CPU profiles of the MovieC API processes (node --cpu-prof) into this folder.
    profile: { type: 'string', default: '' },
    // A folder for a persistent catalogue: built on the first run (ingest + aggregation), reused
    // by later runs with the same --size, which then apply new migrations and measure only the API.
    keep: { type: 'string', default: '' },
  },
});
const REAL_DUMP_BASICS = 11_950_000;
const SIZE = args['real-dump'] ? REAL_DUMP_BASICS : Number(args.size);
const IMPORT_ONLY = args['import-only'] || args['real-dump'];
const ML_RATINGS = args['movielens-ratings'] ? Number(args['movielens-ratings']) : SIZE;
const ONLY = args.only ? new Set(args.only.split(',').map((k) => k.trim()).filter(Boolean)) : null;
const measured = (key) => !ONLY || ONLY.has(key);
const API_SECONDS = Number(args['api-seconds']);
const MISS_ROUNDS = Math.max(1, Number(args['miss-rounds']));
const CONNECTIONS = Number(args.connections);
const OVERLOAD_CONNECTIONS = Number(args['overload-connections']);
const API_PROCESSES = Math.max(1, Number(args['api-processes']));
const WORKERS = Math.max(0, Number(args.workers));
const WORKER_CONCURRENCY = 2; // the default of WORKER_CONCURRENCY (src/config.ts)
const silentWorkerLogger = new WorkerLogger(() => () => undefined);
const logger = createLogger('warn', { format: 'json' });

const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? null : Number(n.toFixed(digits)));

const children = new Set();
async function main() {
  const keep = args.keep ? path.resolve(args.keep) : null;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'moviec-bench-'));
  const results = {
    size: SIZE, shape: args.shape, label: args.label, startedAt: new Date().toISOString(), machine: machineInfo(),
    load: { start: os.loadavg().map((n) => round(n, 2)) }, ingest: {}, aggregation: {}, reimport: {}, api: {},
  };
  let embedded;
  try {
    const dataDir = keep ? path.join(keep, 'pg') : path.join(tmp, 'pg');
    log(`starting embedded PostgreSQL in ${dataDir}`);
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: Boolean(keep), database: 'postgres' });
    const admin = new pg.Client({ connectionString: embedded.url });
    await admin.connect();
    const dbUrl = (name) => Object.assign(new URL(embedded.url), { pathname: `/${name}` }).toString();
    if (keep) {
      // A benchmark catalogue trades durability for speed, like the throwaway cluster.
      for (const setting of ['fsync', 'full_page_writes', 'synchronous_commit']) await admin.query(`ALTER SYSTEM SET ${setting} = off`);
      await admin.query('SELECT pg_reload_conf()');
      const built = await builtCatalogue(dbUrl('bench'));
      if (built === SIZE) {
        log(`reusing the catalogue of ${SIZE} titles in ${keep}: applying migrations, measuring the API`);
        const pool = createPool(dbUrl('bench'), 10);
        await prepareDatabase(pool);
        await pool.query('ANALYZE');
        results.machine.postgres = (await pool.query('SHOW server_version')).rows[0].server_version;
        results.reused = true;
        if (!args['skip-api']) results.api = await apiBenchmarks(pool, dbUrl('bench'), tmp);
        await pool.end();
        await admin.end();
        return await writeResults(results);
      }
      if (built !== null) throw new Error(`${keep} holds a catalogue of ${built} titles, not ${SIZE}: remove it or give another --keep folder`);
      for (const name of ['bench', 'bench_template', 'bench_copy', 'bench_small']) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await admin.query('CREATE DATABASE bench_template');
    {
      const pool = createPool(dbUrl('bench_template'), 2);
      await prepareDatabase(pool);
      await pool.end();
    }
    for (const name of ['bench', 'bench_copy']) await admin.query(`CREATE DATABASE ${name} TEMPLATE bench_template`);
    const pool = createPool(dbUrl('bench'), 10);
    results.machine.postgres = (await pool.query('SHOW server_version')).rows[0].server_version;
    if (args['cli-only']) {
      log('moviec --help, --version and status (empty database)');
      results.cli = await cliBenchmarks(dbUrl('bench'));
      await pool.end();
      await admin.end();
      await writeResults(results);
      return;
    }

    log(`generating inputs for ${SIZE} titles (${args.shape} shape, gzipped)`);
    let started = performance.now();
    const inputs = await generateBenchInputs(path.join(tmp, 'data'), SIZE, Number(args.seed), { shape: args.shape, movieLensRatings: ML_RATINGS, movieLensMovies: Number(args['movielens-movies'] || 0) });
    results.generateSeconds = round((performance.now() - started) / 1000, 1);
    results.inputs = inputs;

    // ---- Ingest --------------------------------------------------------------------------
    const imdbRows = inputs.imdb.titles + inputs.imdb.ratingRows;
    const imdbFiles = { basics: inputs.imdb.basics, ratings: inputs.imdb.ratings };
    log('COPY baseline');
    results.ingest.copy = await copyBaseline(dbUrl('bench_copy'), inputs.imdb, imdbRows);
    log('line-split baseline (gunzip, split lines and fields in Node)');
    results.ingest.lineSplit = await lineSplitBaseline(imdbFiles, imdbRows);
    log('IMDb adapter alone (read and parse, nothing stored)');
    results.ingest.adapter = await adapterRead(imdbFiles, imdbRows);
    results.ingest.adapterRatioToLineSplit = round(results.ingest.adapter.rowsPerSecond / results.ingest.lineSplit.rowsPerSecond, 3);
    log(`adapter: ${results.ingest.adapter.rowsPerSecond} lines/s (${results.ingest.adapterRatioToLineSplit}x line split ${results.ingest.lineSplit.rowsPerSecond})`);
    log('IMDb ingest through the pipeline');
    const imdb = await ingestChild(dbUrl('bench'), 'imdb', imdbFiles);
    results.ingest.imdb = { ...imdb, rows: imdbRows, rowsPerSecond: round(imdbRows / (imdb.ms / 1000)) };
    results.ingest.ratioToCopy = round(results.ingest.imdb.rowsPerSecond / results.ingest.copy.rowsPerSecond, 3);
    results.load.afterIngest = os.loadavg().map((n) => round(n, 2));
    log(`IMDb: ${results.ingest.imdb.rowsPerSecond} rows/s (${results.ingest.ratioToCopy}x COPY), peak RSS ${results.ingest.imdb.peakRssMb} MB`);
    if (SIZE > 100_000) {
      log('IMDb ingest of 100k titles (RSS comparison)');
      await admin.query('CREATE DATABASE bench_small TEMPLATE bench_template');
      const small = await generateImdb({ out: path.join(tmp, 'imdb-100k'), count: 100_000, seed: Number(args.seed), shape: args.shape, gzip: true });
      const run = await ingestChild(dbUrl('bench_small'), 'imdb', { basics: small.files.basics, ratings: small.files.ratings });
      results.ingest.imdb100k = { ...run, rows: small.titles + small.ratings, rowsPerSecond: round((small.titles + small.ratings) / (run.ms / 1000)) };
      await admin.query('DROP DATABASE bench_small WITH (FORCE)');
    }
    await admin.query('DROP DATABASE bench_copy WITH (FORCE)');

    // ---- Aggregation ---------------------------------------------------------------------
    // The imports queued aggregation jobs; the benchmark runs aggregation itself.
    await pool.query('DELETE FROM graphile_worker._private_jobs');
    const movieCount = Number((await pool.query('SELECT count(*) FROM movies')).rows[0].count);
    if (!args['skip-aggregation']) {
      log(`full rebuild of ${movieCount} movies (the aggregate --all path)`);
      started = performance.now();
      await refreshPriors(pool, providerDefinitions());
      const { movies: aggregated } = await aggregateAll(pool);
      const rebuildSeconds = (performance.now() - started) / 1000;
      results.aggregation.fullRebuild = { movies: aggregated, seconds: round(rebuildSeconds, 2), moviesPerSecond: round(aggregated / rebuildSeconds) };
      results.aggregation.ingestPlusRebuildSeconds = round(results.ingest.imdb.ms / 1000 + rebuildSeconds, 1);
      results.aggregation.endToEndRatioToCopy = round(
        (imdbRows / results.aggregation.ingestPlusRebuildSeconds) / results.ingest.copy.rowsPerSecond, 3);
      log(`full rebuild: ${results.aggregation.fullRebuild.moviesPerSecond} movies/s; ingest + rebuild ${results.aggregation.ingestPlusRebuildSeconds} s`);
    }

    // ---- Re-imports ----------------------------------------------------------------------
    log('re-import of the same files (nothing changed)');
    const again = await ingestChild(dbUrl('bench'), 'imdb', imdbFiles);
    results.reimport.unchanged = { ...again, seconds: round(again.ms / 1000, 1) };
    await pool.query('DELETE FROM graphile_worker._private_jobs');
    log(`unchanged re-import: ${results.reimport.unchanged.seconds} s, ${again.rowsChanged} rows changed, ${again.moviesQueued} movies queued`);
    log('re-import with 1 % of the ratings changed');
    const changedRatings = path.join(tmp, 'data', 'title.ratings.changed.tsv.gz');
    const changedTconsts = await changeRatings(inputs.imdb.ratings, changedRatings, 100);
    const { rows: expected } = await pool.query(
      `SELECT count(DISTINCT movie_id)::int AS n FROM provider_records WHERE provider_key = 'imdb' AND external_id = ANY($1::text[]) AND movie_id IS NOT NULL`,
      [changedTconsts],
    );
    const onePercent = await ingestChild(dbUrl('bench'), 'imdb', { basics: inputs.imdb.basics, ratings: changedRatings });
    results.reimport.onePercentRatings = {
      ...onePercent, seconds: round(onePercent.ms / 1000, 1), ratingLinesChanged: changedTconsts.length, moviesExpected: expected[0].n,
    };
    await pool.query('DELETE FROM graphile_worker._private_jobs');
    log(`1 % ratings changed: ${results.reimport.onePercentRatings.seconds} s, ${onePercent.moviesQueued} movies queued (expected ${expected[0].n})`);

    // Rotten Tomatoes and MovieLens after the IMDb movies are aggregated: title matching needs their titles.
    if (!IMPORT_ONLY) {
      log('Rotten Tomatoes ingest');
      const rt = await ingestChild(dbUrl('bench'), 'rottentomatoes', { file: inputs.rottentomatoes.file });
      results.ingest.rottentomatoes = { ...rt, rows: inputs.rottentomatoes.rows, rowsPerSecond: round(inputs.rottentomatoes.rows / (rt.ms / 1000)) };
    }
    log('MovieLens ingest');
    const ml = await ingestChild(dbUrl('bench'), 'movielens', { dir: inputs.movielens.dir });
    const mlRows = inputs.movielens.movies * 2 + inputs.movielens.ratings;
    results.ingest.movielens = { ...ml, rows: mlRows, rowsPerSecond: round(mlRows / (ml.ms / 1000)) };
    log(`MovieLens: ${results.ingest.movielens.rowsPerSecond} rows/s, ${round(ml.ms / 1000, 1)} s, peak RSS ${ml.peakRssMb} MB`);
    await pool.query('DELETE FROM graphile_worker._private_jobs');

    if (!args['skip-aggregation']) {
      const jobs = Math.min(Number(args.jobs), movieCount);
      log(`${jobs} aggregate-movie jobs through Graphile Worker`);
      const { rows: sample } = await pool.query('SELECT id FROM movies ORDER BY md5(id::text) LIMIT $1', [jobs]);
      const sampleIds = sample.map((r) => r.id);
      // A stale hash makes every job recompute and rewrite its movie, as after a real change.
      await pool.query(`UPDATE movies SET aggregate_hash = 'stale' WHERE id = ANY($1::uuid[])`, [sampleIds]);
      const perMovie = await timeJobs(pool, createTaskList({ pool, logger }), 'aggregate-movie', sampleIds.map((id) => ({ movieId: id })), (id) => `aggregate:${id.movieId}`);
      const noop = await timeJobs(pool, { 'bench-noop': async () => undefined }, 'bench-noop', sampleIds.map((id) => ({ movieId: id })), null);
      results.aggregation.perMovieJobs = perMovie;
      results.aggregation.noopJobs = noop;
      results.aggregation.perMovieRatioToNoop = round(perMovie.jobsPerSecond / noop.jobsPerSecond, 3);
      log(`per-movie: ${perMovie.jobsPerSecond} jobs/s, no-op: ${noop.jobsPerSecond} jobs/s`);
      await pool.query('DELETE FROM graphile_worker._private_jobs');
      // The same movies in aggregate-movies chunks of 500, as an import that changed many queues them.
      await pool.query(`UPDATE movies SET aggregate_hash = 'stale' WHERE id = ANY($1::uuid[])`, [sampleIds]);
      const chunks = [];
      for (let i = 0; i < sampleIds.length; i += 500) chunks.push({ movieIds: sampleIds.slice(i, i + 500) });
      const chunked = await timeJobs(pool, createTaskList({ pool, logger }), 'aggregate-movies', chunks, null);
      results.aggregation.chunkJobs = { ...chunked, movies: sampleIds.length, moviesPerSecond: round(sampleIds.length / chunked.seconds) };
      results.aggregation.chunkRatioToNoop = round(results.aggregation.chunkJobs.moviesPerSecond / noop.jobsPerSecond, 3);
      log(`aggregate-movies chunks: ${results.aggregation.chunkJobs.moviesPerSecond} movies/s (${results.aggregation.chunkRatioToNoop}x no-op jobs)`);
      await pool.query('DELETE FROM graphile_worker._private_jobs');
    }
    await pool.query('ANALYZE');
    if (keep) {
      await pool.query('CREATE TABLE bench_catalogue (size int NOT NULL)');
      await pool.query('INSERT INTO bench_catalogue VALUES ($1)', [SIZE]);
    }

    results.load.end = os.loadavg().map((n) => round(n, 2));
    if (!IMPORT_ONLY) {
      log('moviec --help, --version and status (full database)');
      results.cli = await cliBenchmarks(dbUrl('bench'));
    }

    // ---- API -----------------------------------------------------------------------------
    if (!args['skip-api'] && !IMPORT_ONLY) results.api = await apiBenchmarks(pool, dbUrl('bench'), tmp);

    await pool.end();
    await admin.end();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    if (embedded) await embedded.stop().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
  await writeResults(results);
}

async function writeResults(results) {
  results.finishedAt = new Date().toISOString();
  await mkdir(path.join(here, 'results'), { recursive: true });
  const file = path.join(here, 'results', `${results.startedAt.replace(/[:.]/g, '-')}-${SIZE}${args.label ? `-${args.label}` : ''}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  log(`written to ${path.relative(process.cwd(), file)}`);
}

/** The size of a completed persistent catalogue in that database, or null when there is none. */
async function builtCatalogue(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return null;
  }
  try {
    const { rows } = await client.query(`SELECT to_regclass('bench_catalogue') IS NOT NULL AS present`);
    if (!rows[0].present) return null;
    return (await client.query('SELECT size FROM bench_catalogue')).rows[0]?.size ?? null;
  } finally {
    await client.end();
  }
}

// ---- CLI -----------------------------------------------------------------------------------

/**
 * Wall time of the `moviec` executable as a person runs it (a new process each time, the way a
 * shell does): --help and --version load only commander; status opens the database. Median and
 * worst of 5 runs each, with `node -e 0` as the floor of any node process on this machine.
 */
async function cliBenchmarks(url) {
  const bin = path.join(here, '..', 'bin', 'moviec.js');
  const time = async (args, env = {}) => {
    const samples = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      const code = await new Promise((resolve) => {
        const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
        child.on('exit', resolve);
      });
      if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return { medianMs: round(samples[2]), maxMs: round(samples[4]) };
  };
  return {
    nodeFloor: await time(['-e', '0']),
    help: await time([bin, '--help']),
    version: await time([bin, '--version']),
    status: await time([bin, 'status'], { DATABASE_URL: url }),
  };
}

// ---- Ingest helpers ------------------------------------------------------------------------

/** PostgreSQL's own COPY of the same two files into unlogged tables: the machine's limit. */
async function copyBaseline(url, imdb, rows) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE UNLOGGED TABLE copy_basics (tconst text, title_type text, primary_title text, original_title text,
      is_adult text, start_year text, end_year text, runtime_minutes text, genres text)`);
    await client.query('CREATE UNLOGGED TABLE copy_ratings (tconst text, average_rating text, num_votes text)');
    const started = performance.now();
    // The files are gzipped as the real dump is: gunzipped in Node on the way, as the import does.
    const open = (file) => (file.endsWith('.gz') ? [createReadStream(file), createGunzip()] : [createReadStream(file)]);
    await pipeline(...open(imdb.basics), client.query(copyFrom('COPY copy_basics FROM STDIN WITH (FORMAT text, HEADER true)')));
    await pipeline(...open(imdb.ratings), client.query(copyFrom('COPY copy_ratings FROM STDIN WITH (FORMAT text, HEADER true)')));
    const ms = performance.now() - started;
    return { rows, ms: round(ms), rowsPerSecond: round(rows / (ms / 1000)) };
  } finally {
    await client.end();
  }
}

/**
 * Node's own floor for reading the same files: gunzip, decode, split into lines and each line into
 * its tab-separated fields, nothing else. Lines/s over both files' data rows.
 */
async function lineSplitBaseline(files, rows) {
  const started = performance.now();
  let lines = 0;
  let fields = 0;
  for (const file of [files.basics, files.ratings]) {
    const stream = createReadStream(file).pipe(createGunzip());
    stream.setEncoding('utf8');
    let rest = '';
    for await (const chunk of stream) {
      const text = rest + chunk;
      const parts = text.split('\n');
      rest = parts.pop();
      for (const line of parts) {
        fields += line.split('\t').length;
        lines++;
      }
    }
    if (rest) lines++;
  }
  const ms = performance.now() - started;
  return { rows, lines, fields, ms: round(ms), rowsPerSecond: round(rows / (ms / 1000)) };
}

/** The IMDb adapter alone (src/sources/imdb.ts read): every item it yields counted, nothing stored. */
async function adapterRead(files, rows) {
  const started = performance.now();
  const counts = {};
  for await (const item of imdbAdapter.read(files, {})) {
    if (Array.isArray(item)) for (const one of item) counts[one.type] = (counts[one.type] ?? 0) + 1;
    else counts[item.type] = (counts[item.type] ?? 0) + 1;
  }
  const ms = performance.now() - started;
  return { rows, items: counts, ms: round(ms), rowsPerSecond: round(rows / (ms / 1000)) };
}

/**
 * A copy of a gzipped title.ratings file with the votes of every `every`-th data line raised by
 * one; returns the tconsts changed.
 */
async function changeRatings(from, to, every) {
  const changed = [];
  const gzip = createGzip({ level: 1 });
  const done = pipeline(gzip, createWriteStream(to));
  const input = createReadStream(from).pipe(createGunzip());
  input.setEncoding('utf8');
  let rest = '';
  let n = 0;
  const write = async (text) => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  for await (const chunk of input) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    let out = '';
    for (const line of parts) {
      if (n++ > 0 && n % every === 0) {
        const [tconst, average, votes] = line.split('\t');
        changed.push(tconst);
        out += `${tconst}\t${average}\t${Number(votes) + 1}\n`;
      } else out += `${line}\n`;
    }
    await write(out);
  }
  if (rest) await write(rest);
  gzip.end();
  await done;
  return changed;
}

/** Runs bench/ingest-child.js, sampling its VmHWM from /proc while it runs. */
async function ingestChild(url, provider, location) {
  const child = spawn(process.execPath, [path.join(here, 'ingest-child.js'), url, provider, JSON.stringify(location)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let sampledKb = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      sampledKb = Math.max(sampledKb, kb);
    } catch {
      // the process has exited
    }
  }, 100);
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  children.delete(child);
  if (code !== 0) throw new Error(`ingest of ${provider} exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  if (result.outcome.status === 'FAILED') throw new Error(`ingest of ${provider} failed: ${result.outcome.error}`);
  return {
    ms: round(result.ms),
    status: result.outcome.status,
    rowsRead: result.outcome.rowsRead,
    rowsChanged: result.outcome.rowsChanged,
    moviesQueued: result.outcome.moviesQueued,
    peakRssMb: round(Math.max(sampledKb, result.vmHwmKb) / 1024, 1),
  };
}

// ---- Aggregation helpers -------------------------------------------------------------------

/** Adds one job per payload in one statement, runs a worker until they are all done; jobs/s. */
async function timeJobs(pool, taskList, task, payloads, keyOf) {
  await pool.query(
    `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
       SELECT ROW($1::text, p.payload, NULL, NULL, NULL, p.key, NULL, NULL)::graphile_worker.job_spec
         FROM jsonb_to_recordset($2::jsonb) AS p(payload json, key text)))`,
    [task, JSON.stringify(payloads.map((payload) => ({ payload, key: keyOf ? keyOf(payload) : null })))],
  );
  const started = performance.now();
  const runner = await runWorker({ pgPool: pool, concurrency: WORKER_CONCURRENCY, taskList, noHandleSignals: true, pollInterval: 1000, logger: silentWorkerLogger });
  for (;;) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
        WHERE t.identifier = $1 AND j.attempts < j.max_attempts`,
      [task],
    );
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  const { rows: failed } = await pool.query(
    `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = $1`,
    [task],
  );
  return { jobs: payloads.length, failed: failed[0].n, seconds: round(seconds, 2), jobsPerSecond: round(payloads.length / seconds) };
}

// ---- API helpers ---------------------------------------------------------------------------

/** SIGTERM, then the child's exit (so that a CPU profile is written before anything else starts). */
function stopChild(child) {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

async function startChild(script, env, name, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, path.join(here, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, ...JSON.parse(line) });
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') log(`${name} exited with ${code ?? signal}: ${stderr}`);
      reject(new Error(`${name} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

async function startRedis() {
  const which = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!which) return null;
  const port = await freePort();
  const child = spawn(which, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.add(child);
  for (let i = 0; i < 50; i++) {
    if (await canConnect(port)) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  return null;
}

/** SQL functions PostGraphile exposes as query fields, doing what MovieC's search and top page do. */
const PEER_FUNCTIONS = `
-- query: normalised by the one title normaliser (normalizeTitle) before it is sent.
-- Candidates as MovieC's first search found them (from indexes only: up to 200 titles starting with
-- the query, up to 1,000 with a similar word sequence), ranked by trigram similarity.
CREATE OR REPLACE FUNCTION bench_title_candidates(query text) RETURNS TABLE (movie_id uuid, matched text)
LANGUAGE sql STABLE STRICT
SET enable_seqscan = off
SET pg_trgm.word_similarity_threshold = 0.45
AS $$
  (SELECT t.movie_id, t.normalized FROM movie_titles t
    WHERE t.normalized COLLATE "C" >= query AND t.normalized COLLATE "C" < query || chr(1114111)
    ORDER BY t.normalized COLLATE "C" LIMIT 200)
  UNION ALL
  (SELECT t.movie_id, t.normalized FROM movie_titles t WHERE length(query) >= 3 AND query <% t.normalized LIMIT 1000)
$$;
CREATE OR REPLACE FUNCTION bench_search_movies(query text) RETURNS SETOF movies LANGUAGE sql STABLE AS $$
  SELECT m.* FROM (
    SELECT c.movie_id,
           max(round(((word_similarity(query, c.matched) + similarity(query, c.matched)) / 2)::numeric, 2))::float8 AS rank
      FROM bench_title_candidates(query) c GROUP BY c.movie_id) hit
  JOIN movies m ON m.id = hit.movie_id
  ORDER BY hit.rank DESC, coalesce(m.score_value, -1) DESC, m.id DESC
$$;
CREATE OR REPLACE FUNCTION bench_top_movies() RETURNS SETOF movies LANGUAGE sql STABLE AS $$
  SELECT * FROM movies ORDER BY coalesce(score_value, -1) DESC, id DESC
$$;`;

const MOVIEC_QUERIES = {
  movie: 'query($id: ID!) { movie(id: $id) { id title year runtimeMinutes score { value confidence } genres { name } } }',
  search: 'query($q: String!) { searchMovies(query: $q, first: 20) { edges { node { id title year score { value } } } } }',
  top: '{ movies(first: 20, orderBy: SCORE_DESC) { edges { node { id title year score { value } } } } }',
  suggest: 'query($p: String!) { suggestMovies(prefix: $p, first: 10) { id title year } }',
  facets: 'query($q: String!) { searchMovies(query: $q, first: 10) { totalCount edges { node { id title year } } facets { genres { name count } decades { decade count } providers { key count } } } }',
};
const PEER_QUERIES = {
  movie: 'query($id: UUID!) { movieByRowId(rowId: $id) { rowId title year runtimeMinutes scoreValue scoreConfidence movieGenresByMovieId { nodes { genreByGenreId { name } } } } }',
  search: 'query($q: String!) { benchSearchMovies(query: $q, first: 20) { nodes { rowId title year scoreValue } } }',
  top: '{ benchTopMovies(first: 20) { nodes { rowId title year scoreValue } } }',
};

async function apiBenchmarks(pool, url, tmp) {
  void tmp;
  const api = {};
  await pool.query(PEER_FUNCTIONS);
  const { rows: idRows } = await pool.query('SELECT id FROM movies ORDER BY md5(id::text || $1) LIMIT 100000', ['ids']);
  const ids = idRows.map((r) => r.id);
  // A cache-miss run asks for ids[100], ids[101], …: past ids.length it would ask again for movies it
  // already answered (hits for MovieC), so the number of distinct ids is reported beside it.
  api.movieIds = ids.length;
  const { rows: titleRows } = await pool.query('SELECT title FROM movies ORDER BY md5(id::text || $1) LIMIT 20000', ['titles']);
  // Search terms as people type them: the first one or two words of a title, a few with a typo.
  const queries = titleRows.map(({ title }, i) => {
    const words = title.split(/\s+/).filter((w) => w.length > 2);
    const q = words.slice(0, 1 + (i % 2)).join(' ') || title;
    return i % 5 === 0 && q.length > 4 ? q.slice(0, 2) + q.slice(3) : q;
  });
  const hot = ids.slice(0, 100);
  const warmIds = ids.slice(-Math.min(2000, Math.floor(ids.length / 4)));
  // Every request of a miss run asks for a movie not asked for before (not hot, not warmed up): at
  // most this many, however fast the server (both servers get the same requests).
  const missAmount = Math.min(ids.length - hot.length - warmIds.length, Math.max(1, API_SECONDS) * 2000);
  api.missRequests = missAmount;
  api.missRounds = MISS_ROUNDS;
  log(`${ids.length} movies to ask for; a miss run asks for ${missAmount} of them once each, in ${MISS_ROUNDS} round(s)`);
  // Autocomplete as people type: the first 2 to 12 characters of a title.
  const prefixes = titleRows.map(({ title }, i) => title.slice(0, 2 + (i % 11)).trim() || title);

  const redis = await startRedis();
  api.cache = redis ? 'redis' : 'memory';
  api.processes = API_PROCESSES;
  api.workers = WORKERS;
  const env = { DATABASE_URL: url, ...(redis ? { REDIS_URL: redis.url } : {}), LOG_LEVEL: 'warn', API_PROCESSES: String(API_PROCESSES) };
  if (args['read-url']) {
    // A second URL to the same server under another role: the reads' connections are told apart by it.
    await pool.query(`DO $$ BEGIN CREATE ROLE moviec_reader LOGIN SUPERUSER PASSWORD 'reader'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    env.DATABASE_READ_URL = Object.assign(new URL(url), { username: 'moviec_reader', password: 'reader' }).toString();
    api.readUrl = true;
  }
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    const child = spawn(process.execPath, [path.join(here, '..', 'bin', 'moviec.js'), 'worker'], { env: { ...process.env, ...env, API_PROCESSES: '' }, stdio: 'ignore' });
    children.add(child);
    workers.push(child);
  }
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [];
  const moviec = await startChild('api-server.js', env, 'MovieC API', nodeArgs);
  log(`MovieC API on port ${moviec.port} (cache: ${moviec.cache}, ${moviec.processes} process(es), ${WORKERS} worker(s))`);
  const base = `http://127.0.0.1:${moviec.port}`;
  // Warm up: the schema, connections, and the hot ids in the cache.
  await load(base, gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: hot[i % hot.length] })), 2, 'warm-up');
  // And the path of an answer computed (as PostGraphile's warm-up exercises its one path): other
  // movies than the measured misses ask for first (the last ones of the list).
  await load(base, gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: warmIds[i % warmIds.length] })), 2, 'warm-up');
  if (measured('top')) await load(base, gqlRequest(MOVIEC_QUERIES.top, () => ({})), 1, 'warm-up');

  // The machine is shared: its load during the run says how far figures of different runs compare.
  api.loadAverageAtStart = os.loadavg().map((n) => round(n, 1));
  api.moviec = {};
  // CPU time per request of each process involved (robust where req/s on a shared machine is not).
  const { rows: [{ pid: backendPid }] } = await pool.query('SELECT pg_backend_pid() AS pid');
  const postmaster = procStat(backendPid).ppid;
  const cpuNow = (apiPid) => ({ api: treeCpuMs(apiPid), redis: redis ? treeCpuMs(redis.child.pid) : 0, postgres: treeCpuMs(postmaster), bench: benchCpuMs() });
  const withCpu = async (apiPid, measure) => {
    const before = cpuNow(apiPid);
    const summary = await measure();
    const after = cpuNow(apiPid);
    const perRequest = (k) => round((after[k] - before[k]) / Math.max(1, summary.requests), 3);
    summary.cpuMsPerRequest = { api: perRequest('api'), redis: perRequest('redis'), postgres: perRequest('postgres'), loadGenerator: perRequest('bench') };
    log(`  CPU ms per request: ${JSON.stringify(summary.cpuMsPerRequest)}`);
    return summary;
  };
  const run = async (key, request, name) => {
    if (measured(key)) api.moviec[key] = await withCpu(moviec.child.pid, () => load(base, request, API_SECONDS, name, key === 'movieMiss' ? missAmount : 0));
  };
  // Before each round of misses every stored answer is made invalid, as `moviec aggregate --all`
  // does (through Redis, or PostgreSQL NOTIFY without it): the API computes each answer again.
  const invalidation = await openCache({ redisUrl: redis?.url, ttlSeconds: 300, pool });
  if (measured('movieMiss')) {
    api.moviec.movieMiss = await withCpu(moviec.child.pid, () =>
      missRounds(base, () => gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: ids[100 + (i % missAmount)] })), missAmount, 'MovieC movie by id, cache miss', () => invalidation.invalidateAll()),
    );
  }
  await invalidation.close();
  await run('movieHit', gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: hot[i % hot.length] })), 'MovieC movie by id, cache hit');
  await run('restMovie', restRequest((i) => `/movies/${hot[i % hot.length]}`), 'MovieC REST movie by id, cache hit');
  await run('search', gqlRequest(MOVIEC_QUERIES.search, (i) => ({ q: queries[i % queries.length] })), 'MovieC search');
  await run('restSearch', restRequest((i) => `/movies/search?query=${encodeURIComponent(queries[(i + 7) % queries.length])}&limit=20`), 'MovieC REST search');
  await run('top', gqlRequest(MOVIEC_QUERIES.top, () => ({})), 'MovieC top movies');
  await run('suggest', gqlRequest(MOVIEC_QUERIES.suggest, (i) => ({ p: prefixes[(i + 13) % prefixes.length] })), 'MovieC autocomplete');
  await run('facets', gqlRequest(MOVIEC_QUERIES.facets, (i) => ({ q: queries[(i + 29) % queries.length] })), 'MovieC search with facets');
  if (measured('overload')) {
    // Issue 13 point 10: many clients at once, each sending the next request as soon as it has an
    // answer (none honours Retry-After): every request must be answered, 200 or 503 + Retry-After.
    api.moviec.overload = await overload(base, [
      gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: ids[(5000 + i) % ids.length] })),
      gqlRequest(MOVIEC_QUERIES.movie, (i) => ({ id: hot[i % hot.length] })),
      gqlRequest(MOVIEC_QUERIES.search, (i) => ({ q: queries[(i + 101) % queries.length] })),
      gqlRequest(MOVIEC_QUERIES.top, () => ({})),
      restRequest((i) => `/movies/search?query=${encodeURIComponent(queries[(i + 203) % queries.length])}&limit=20`),
    ], API_SECONDS);
  }
  await stopChild(moviec.child);
  for (const worker of workers) await stopChild(worker);

  if (!args['skip-peer']) {
    try {
      // PostGraphile is its own small package (it needs Node >= 22; MovieC's install must not).
      if (!existsSync(path.join(here, 'peer', 'node_modules', 'postgraphile'))) {
        throw new Error('PostGraphile, the peer, is not installed: npm --prefix bench/peer install');
      }
      const peer = await startChild('peer/postgraphile-server.js', { DATABASE_URL: url, GRAPHILE_ENV: 'production' }, 'PostGraphile');
      log(`PostGraphile on port ${peer.port}`);
      const peerBase = `http://127.0.0.1:${peer.port}`;
      await load(peerBase, gqlRequest(PEER_QUERIES.movie, (i) => ({ id: hot[i % hot.length] })), 2, 'warm-up');
      await load(peerBase, gqlRequest(PEER_QUERIES.movie, (i) => ({ id: warmIds[i % warmIds.length] })), 2, 'warm-up');
      api.postgraphile = {};
      const runPeer = async (key, request, name) => {
        if (measured(key)) api.postgraphile[key] = await withCpu(peer.child.pid, () => load(peerBase, request, API_SECONDS, name, key === 'movieMiss' ? missAmount : 0));
      };
      // PostGraphile has no response cache: the same shape with many ids (the same rounds) and with the hot ids.
      if (measured('movieMiss')) {
        api.postgraphile.movieMiss = await withCpu(peer.child.pid, () =>
          missRounds(peerBase, () => gqlRequest(PEER_QUERIES.movie, (i) => ({ id: ids[100 + (i % missAmount)] })), missAmount, 'PostGraphile movie by id, many ids', () => Promise.resolve()),
        );
      }
      await runPeer('movieHit', gqlRequest(PEER_QUERIES.movie, (i) => ({ id: hot[i % hot.length] })), 'PostGraphile movie by id, hot ids');
      await runPeer('search', gqlRequest(PEER_QUERIES.search, (i) => ({ q: normalizeTitle(queries[i % queries.length]) })), 'PostGraphile search');
      await runPeer('top', gqlRequest(PEER_QUERIES.top, () => ({})), 'PostGraphile top movies');
      peer.child.kill('SIGTERM');
      children.delete(peer.child);
      api.ratios = {};
      for (const key of ['movieMiss', 'movieHit', 'search', 'top']) {
        if (!api.moviec[key] || !api.postgraphile[key]) continue;
        api.ratios[key] = round(api.moviec[key].requestsPerSecond / api.postgraphile[key].requestsPerSecond, 2);
      }
    } catch (error) {
      api.postgraphileError = String(error);
      log(`PostGraphile failed: ${String(error)}`);
    }
  }
  api.loadAverageAtEnd = os.loadavg().map((n) => round(n, 1));
  if (redis) {
    redis.child.kill('SIGTERM');
    children.delete(redis.child);
  }
  return api;
}

function gqlRequest(query, variablesOf) {
  let i = 0;
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ query, variables: variablesOf(i++) }) }),
  };
}

function restRequest(pathOf) {
  let i = 0;
  return { method: 'GET', path: '/', setupRequest: (req) => ({ ...req, path: pathOf(i++) }) };
}

/**
 * MISS_ROUNDS runs of `amount` requests each (requestOf(round)), `between()` before each: one
 * summary over all of them (req/s over their summed durations, percentiles over every answer).
 */
async function missRounds(base, requestOf, amount, name, between) {
  const rounds = [];
  for (let r = 0; r < MISS_ROUNDS; r++) {
    await between();
    rounds.push(await load(base, requestOf(r), 0, MISS_ROUNDS > 1 ? `${name}, round ${r + 1}` : name, amount, true));
  }
  if (rounds.length === 1) return stripTimes(rounds[0]);
  const times = rounds.flatMap((r) => r.times).sort((a, b) => a - b);
  const pct = (p) => (times.length ? times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] : null);
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const summary = {
    requestsPerSecond: round(requests / seconds),
    p50: round(pct(50), 2),
    p95: round(pct(95), 2),
    p99: round(pct(99), 2),
    requests,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rounds: rounds.map((r) => r.requestsPerSecond),
    ...(rounds.find((r) => r.firstError) ? { firstError: rounds.find((r) => r.firstError).firstError } : {}),
  };
  log(`${name}: ${summary.requestsPerSecond} req/s over ${rounds.length} rounds (${summary.rounds.join(', ')}), p50 ${summary.p50} ms, p99 ${summary.p99} ms, errors ${summary.errors}`);
  return summary;
}

function stripTimes({ times, seconds, ...summary }) {
  void times;
  void seconds;
  return summary;
}

/** autocannon for `seconds`; req/s, latency percentiles (p95 from every response's time) and errors. */
async function load(base, request, seconds, name, amount = 0, keepTimes = false) {
  const times = [];
  let graphqlErrors = 0;
  let firstError = null;
  const instance = autocannon({
    url: base,
    connections: CONNECTIONS,
    // A number of requests instead of a duration: a miss run ends before it would ask for a movie again.
    ...(amount > 0 ? { amount } : { duration: seconds }),
    requests: [{
      ...request,
      onResponse: (status, body) => {
        if (status === 200 && body.startsWith('{"errors"')) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        } else if (status !== 200) firstError ??= `${status} ${body.slice(0, 300)}`;
      },
    }],
  });
  // A run of a number of requests: its rate is over the time to its last answer (autocannon's own
  // duration of such a run is in whole seconds, which made a 2-3 s miss run read 2,245 or 1,496 req/s).
  const started = performance.now();
  let lastAnswer = started;
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    times.push(responseTime);
    lastAnswer = performance.now();
  });
  const result = await instance;
  const elapsed = amount > 0 ? (lastAnswer - started) / 1000 : result.duration;
  times.sort((a, b) => a - b);
  const pct = (p) => (times.length ? times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] : null);
  const summary = {
    requestsPerSecond: round(amount > 0 ? times.length / elapsed : result.requests.average),
    p50: round(pct(50), 2),
    p95: round(pct(95), 2),
    p99: round(pct(99), 2),
    requests: times.length,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
    ...(firstError ? { firstError } : {}),
    ...(keepTimes ? { times, seconds: elapsed } : {}),
  };
  if (name !== 'warm-up') log(`${name}: ${summary.requestsPerSecond} req/s, p50 ${summary.p50} ms, p99 ${summary.p99} ms, errors ${summary.errors}`);
  else if (summary.errors) log(`warm-up errors: ${firstError}`);
  return summary;
}

/**
 * Mixed requests at OVERLOAD_CONNECTIONS connections for `seconds`: answers by status, the 503 share
 * and whether each 503 carried Retry-After, timeouts (autocannon gives up after 10 s), latency
 * percentiles over every answer, and the load average around it (the machine is shared).
 */
async function overload(base, requests, seconds) {
  const times = [];
  let shed = 0;
  let withoutRetryAfter = 0;
  let graphqlErrors = 0;
  let firstError = null;
  const onResponse = (status, body, _context, headers) => {
    if (status === 503) {
      shed++;
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) withoutRetryAfter++;
    } else if (status === 200 && body.startsWith('{"errors"')) {
      graphqlErrors++;
      firstError ??= body.slice(0, 300);
    } else if (status !== 200) firstError ??= `${status} ${body.slice(0, 300)}`;
  };
  const loadAverageAtStart = os.loadavg().map((n) => round(n, 1));
  const instance = autocannon({ url: base, connections: OVERLOAD_CONNECTIONS, duration: seconds, requests: requests.map((r) => ({ ...r, onResponse })) });
  instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  times.sort((a, b) => a - b);
  const pct = (p) => (times.length ? times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] : null);
  const answered = times.length;
  const summary = {
    connections: OVERLOAD_CONNECTIONS,
    seconds,
    requestsPerSecond: round(result.requests.average),
    answered,
    ok: result['2xx'],
    shed,
    shedShare: answered ? round(shed / answered, 3) : null,
    withoutRetryAfter,
    timeouts: result.timeouts,
    connectionErrors: result.errors - result.timeouts,
    otherNon2xx: result.non2xx - shed,
    graphqlErrors,
    p50: round(pct(50), 2),
    p95: round(pct(95), 2),
    p99: round(pct(99), 2),
    max: round(times.at(-1) ?? null, 2),
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((n) => round(n, 1)),
    ...(firstError ? { firstError } : {}),
  };
  log(`MovieC mixed at ${OVERLOAD_CONNECTIONS} connections: ${summary.requestsPerSecond} req/s, ${summary.ok} 200 + ${shed} 503 ` +
    `(${round(100 * (summary.shedShare ?? 0), 1)} %, ${withoutRetryAfter} without Retry-After), ${summary.timeouts} timeouts, ` +
    `${summary.connectionErrors} connection errors, p50 ${summary.p50} ms, p99 ${summary.p99} ms, max ${summary.max} ms ` +
    `(load average ${loadAverageAtStart.join(' ')} -> ${summary.loadAverageAtEnd.join(' ')})`);
  return summary;
}

// ---- Report --------------------------------------------------------------------------------

function printTable(r) {
  const rows = [];
  // A partial run (--cli-only) prints only what it measured.
  const add = (area, what, value, ratio = '') => value !== undefined && rows.push([area, what, String(value ?? '-'), String(ratio ?? '')]);
  add('ingest', 'COPY baseline (unlogged, same gzip files), rows/s', r.ingest.copy?.rowsPerSecond);
  add('ingest', 'Node line split of the same gzip (baseline), lines/s', r.ingest.lineSplit?.rowsPerSecond);
  add('ingest', 'IMDb adapter alone (read + parse), lines/s', r.ingest.adapter?.rowsPerSecond, r.ingest.adapter ? `${r.ingest.adapterRatioToLineSplit}x line split` : '');
  add('ingest', `IMDb basics+ratings (${r.ingest.imdb?.rows} lines, ${r.inputs?.imdb?.movies} movies), rows/s`, r.ingest.imdb?.rowsPerSecond, `${r.ingest.ratioToCopy}x COPY`);
  add('ingest', 'IMDb ingest wall time, s', round(r.ingest.imdb?.ms / 1000, 1));
  add('ingest', `IMDb ingest peak RSS (${SIZE}), MB`, r.ingest.imdb?.peakRssMb);
  if (r.ingest.imdb100k) add('ingest', 'IMDb ingest peak RSS (100000), MB', r.ingest.imdb100k.peakRssMb);
  add('ingest', 'Rotten Tomatoes rows/s (title matching)', r.ingest.rottentomatoes?.rowsPerSecond);
  add('ingest', `MovieLens rows/s (movies+links+${r.inputs?.movielens?.ratings} ratings)`, r.ingest.movielens?.rowsPerSecond);
  add('ingest', 'MovieLens wall time, s | peak RSS, MB', r.ingest.movielens ? `${round(r.ingest.movielens.ms / 1000, 1)} | ${r.ingest.movielens.peakRssMb}` : undefined);
  add('aggregation', `full rebuild (${r.aggregation.fullRebuild?.movies} movies), movies/s`, r.aggregation.fullRebuild?.moviesPerSecond);
  add('aggregation', 'IMDb ingest + full rebuild, s', r.aggregation.ingestPlusRebuildSeconds, r.aggregation.endToEndRatioToCopy !== undefined ? `${r.aggregation.endToEndRatioToCopy}x COPY` : '');
  add('reimport', 'unchanged dump: s | rows changed | movies queued',
    r.reimport?.unchanged ? `${r.reimport.unchanged.seconds} | ${r.reimport.unchanged.rowsChanged} | ${r.reimport.unchanged.moviesQueued}` : undefined);
  add('reimport', '1 % of ratings changed: s | movies queued | expected',
    r.reimport?.onePercentRatings ? `${r.reimport.onePercentRatings.seconds} | ${r.reimport.onePercentRatings.moviesQueued} | ${r.reimport.onePercentRatings.moviesExpected}` : undefined);
  add('aggregation', 'per-movie jobs, movies/s', r.aggregation.perMovieJobs?.jobsPerSecond, `${r.aggregation.perMovieRatioToNoop}x no-op`);
  add('aggregation', 'aggregate-movies chunks of 500, movies/s', r.aggregation.chunkJobs?.moviesPerSecond, r.aggregation.chunkJobs ? `${r.aggregation.chunkRatioToNoop}x no-op` : '');
  add('aggregation', 'Graphile Worker no-op jobs, jobs/s', r.aggregation.noopJobs?.jobsPerSecond);
  for (const [key, label] of [['movieHit', 'movie by id, cache hit'], ['movieMiss', 'movie by id, cache miss'], ['restMovie', 'REST movie by id, cache hit'], ['search', 'search (GraphQL)'], ['restSearch', 'search (REST)'], ['top', 'top movies page'], ['suggest', 'autocomplete (GraphQL)'], ['facets', 'search + facets + totalCount']]) {
    const m = r.api.moviec?.[key];
    if (!m) continue;
    const p = r.api.postgraphile?.[key];
    add('api', `${label}: req/s | p50 | p95 | p99 ms | errors`, `${m.requestsPerSecond} | ${m.p50} | ${m.p95} | ${m.p99} | ${m.errors}`,
      p ? `${r.api.ratios[key]}x PostGraphile (${p.requestsPerSecond} req/s, p99 ${p.p99})` : '');
  }
  const o = r.api.moviec?.overload;
  if (o) {
    add('api', `mixed at ${o.connections} connections: req/s | 503 share | timeouts | p50 | p99 | max ms`,
      `${o.requestsPerSecond} | ${round(100 * o.shedShare, 1)} % | ${o.timeouts} | ${o.p50} | ${o.p99} | ${o.max}`,
      `${o.withoutRetryAfter} 503 without Retry-After, ${o.connectionErrors + o.otherNon2xx + o.graphqlErrors} other errors; load ${o.loadAverageAtStart.join(' ')}`);
  }
  if (r.api.loadAverageAtStart) add('api', 'load average (1, 5, 15 min) at start | end', `${r.api.loadAverageAtStart.join(', ')} | ${r.api.loadAverageAtEnd?.join(', ')}`);
  for (const [key, label] of [['nodeFloor', 'node -e 0 (floor)'], ['help', 'moviec --help'], ['version', 'moviec --version'], ['status', 'moviec status']]) {
    const m = r.cli?.[key];
    if (m) add('cli', `${label}: median | max ms`, `${m.medianMs} | ${m.maxMs}`);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length)));
  process.stdout.write(`\nMovieC benchmark, ${SIZE} titles, ${r.shape ?? 'classic'} shape (${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}, PostgreSQL ${r.machine.postgres}; load average ${r.load?.start?.join(' ')} at the start, ${r.load?.end?.join(' ') ?? '-'} at the end)\n`);
  for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
}

/** A process's parent and CPU time (user + system, in clock ticks of 10 ms) from /proc. */
function procStat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU milliseconds used so far by a process and all its descendants (cluster workers, PostgreSQL backends). */
function treeCpuMs(root) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.set(Number(name), procStat(name));
    } catch {
      // Gone meanwhile.
    }
  }
  let ticks = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === pid) stack.push(child);
  }
  return ticks * 10;
}

/** CPU milliseconds of this process (the load generator, autocannon). */
function benchCpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model,
    cores: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

main().then(
  () => process.exit(0),
  (error) => {
    for (const child of children) child.kill('SIGTERM');
    console.error(error);
    process.exit(1);
  },
);
