/**
 * Vanished rows (issue 13 point 4), through the real pipeline: a full file without half its movies
 * withdraws their records (last_seen_run_id, withdrawn_at, import_runs.rows_withdrawn) and flags
 * the movies (`Movie.withdrawnFrom`, `moviec status`) without touching their aggregates; once
 * WITHDRAW_GRACE_DAYS have passed (time injected, nothing sleeps) the next import re-aggregates
 * them without the withdrawn records; a partial input withdraws nothing; a record that comes back
 * is restored.
 */
import { invalidateThrough } from '../../src/services/aggregation.js';
import { printStatus } from '../../src/cli/status.js';
import { DEFAULT_INPUT_LIMITS } from '../../src/sources/limits.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { rtCsv } from '../support/csv-files.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles, type Title } from '../support/imdb-files.js';
import { drainJobs, executeImport, queueImport } from '../support/pipeline.js';

const TITLES: Title[] = Array.from({ length: 10 }, (_, i) => ({
  tconst: `tt05000${String(i).padStart(2, '0')}`, title: `Vanishing Picture ${i}`, year: 1980 + i, runtime: 90 + i, genres: ['Drama'],
}));
const RATINGS: [string, number, number][] = TITLES.map((t, i) => [t.tconst, 5 + i * 0.3, 1000 + i]);
const KEPT = TITLES.slice(0, 5);
const GONE = TITLES.slice(5);
const DAY = 86_400_000;

let api: TestApi;
let dir: string;
let full: Record<string, string>;
let half: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi();
  dir = await tempDir();
  full = await writeFiles(dir, { 'b.tsv': basicsTsv(TITLES), 'r.tsv': ratingsTsv(RATINGS) });
  half = await writeFiles(dir, { 'half-b.tsv': basicsTsv(KEPT), 'half-r.tsv': ratingsTsv(RATINGS.slice(0, 5)) });
});
afterAll(() => api.close());

/** Queues an import, runs it as the worker does at time `now` with a grace of 7 days, and runs the aggregation it queued. */
async function importAt(provider: string, location: Record<string, string>, now: Date) {
  const runId = await queueImport(api.db.pool, provider, location, 'cli');
  const outcome = await executeImport(api.db.pool, runId, { now, settings: { limits: DEFAULT_INPUT_LIMITS, withdrawGraceDays: 7 } });
  // Aggregation invalidates what the API serves, as a worker does.
  await drainJobs(api.db.pool, invalidateThrough(api.app.cache));
  return outcome!;
}

async function movie(tconst: string) {
  const res = await api.gql(
    `query ($id: ID!) { movie(id: $id) { id withdrawnFrom score { value } ratings { provider { key } rawValue } } }`,
    { id: await movieId(tconst) },
  );
  expect(res.errors).toBeUndefined();
  return res.data.movie as { withdrawnFrom: string[]; score: { value: number } | null; ratings: { provider: { key: string }; rawValue: number }[] } | null;
}

async function movieId(tconst: string): Promise<string> {
  const { rows } = await api.db.pool.query('SELECT id FROM movies WHERE imdb_id = $1', [tconst]);
  return rows[0]?.id ?? '00000000-0000-0000-0000-000000000000';
}

const start = Date.now();

describe('a full file without half its movies', () => {
  it('flags the missing ones without re-aggregating them; a partial input withdraws nothing; after the grace period they are aggregated without IMDb; back again, they are restored', async () => {
    // One vanishing movie is also rated by Rotten Tomatoes: it survives without its IMDb rating.
    expect((await importAt('imdb', { basics: full['b.tsv']!, ratings: full['r.tsv']! }, new Date(start))).status).toBe('SUCCEEDED');
    const rt = await writeFiles(dir, {
      'rt.csv': rtCsv([{
        rotten_tomatoes_link: 'm/vanishing_picture_9', movie_title: 'Vanishing Picture 9', original_release_date: '1989-06-01',
        runtime: 99, tomatometer_rating: 80, tomatometer_count: 50,
      }]),
    });
    expect((await importAt('rottentomatoes', { file: rt['rt.csv']! }, new Date(start))).status).toBe('SUCCEEDED');
    const before = { gone: await movie('tt0500009'), imdbOnly: await movie('tt0500005'), kept: await movie('tt0500000') };
    expect(before.gone!.ratings.map((r) => r.provider.key).sort()).toEqual(['IMDB', 'ROTTEN_TOMATOES']);
    expect(before.gone!.withdrawnFrom).toEqual([]);

    // The file without half the movies: flagged, counted, not yet re-aggregated.
    const second = await importAt('imdb', { basics: half['half-b.tsv']!, ratings: half['half-r.tsv']! }, new Date(start + DAY));
    expect(second).toMatchObject({ status: 'SUCCEEDED', rowsWithdrawn: 5 });
    const { rows: withdrawn } = await api.db.pool.query(
      `SELECT external_id FROM provider_records WHERE provider_key = 'imdb' AND withdrawn_at IS NOT NULL ORDER BY 1`,
    );
    expect(withdrawn.map((r) => r.external_id)).toEqual(GONE.map((t) => t.tconst));
    expect(await movie('tt0500009')).toEqual({ ...before.gone, withdrawnFrom: ['IMDB'] });
    expect(await movie('tt0500005')).toEqual({ ...before.imdbOnly, withdrawnFrom: ['IMDB'] });
    expect(await movie('tt0500000')).toEqual(before.kept);

    // moviec status shows them.
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      await printStatus(api.db.pool);
    } finally {
      console.log = log;
    }
    const text = printed.join('\n');
    expect(text).toMatch(/Withdrawn records/);
    expect(text).toMatch(/imdb\s*\|?\s*5\s*\|?\s*0\s*\|?\s*5/);

    // A partial input (a delta) of one movie withdraws nothing, even after the grace period of the others is near.
    const delta = await writeFiles(dir, { 'delta-b.tsv': basicsTsv([KEPT[0]!]), 'delta-r.tsv': ratingsTsv([RATINGS[0]!]) });
    const partial = await importAt('imdb', { basics: delta['delta-b.tsv']!, ratings: delta['delta-r.tsv']!, snapshot: 'partial' }, new Date(start + 2 * DAY));
    expect(partial).toMatchObject({ status: 'SUCCEEDED', rowsWithdrawn: 0 });
    const { rows: stillCurrent } = await api.db.pool.query(
      `SELECT count(*)::int AS n FROM provider_records WHERE provider_key = 'imdb' AND withdrawn_at IS NULL`,
    );
    expect(stillCurrent[0].n).toBe(5);
    expect(await movie('tt0500009')).toEqual({ ...before.gone, withdrawnFrom: ['IMDB'] });

    // Eight days after they vanished, the next import (any provider, here the same half file) applies the withdrawals.
    expect((await importAt('imdb', { basics: half['half-b.tsv']!, ratings: half['half-r.tsv']! }, new Date(start + 9 * DAY))).status).toBe('SUCCEEDED');
    const after = await movie('tt0500009');
    expect(after!.ratings.map((r) => r.provider.key)).toEqual(['ROTTEN_TOMATOES']);
    expect(after!.withdrawnFrom).toEqual(['IMDB']);
    expect(after!.score!.value).not.toBe(before.gone!.score!.value);
    // A movie IMDb alone knew has nothing left: it is removed, as a movie whose records all moved away.
    expect(await movie('tt0500005')).toBeNull();
    expect(await movie('tt0500000')).toEqual(before.kept);

    // The full file again: every record is current, the movies come back with their IMDb ratings.
    const back = await importAt('imdb', { basics: full['b.tsv']!, ratings: full['r.tsv']! }, new Date(start + 10 * DAY));
    expect(back).toMatchObject({ status: 'SUCCEEDED', rowsWithdrawn: 0 });
    expect(await movie('tt0500009')).toEqual({ ...before.gone, withdrawnFrom: [] });
    const restored = await movie('tt0500005');
    expect(restored).toMatchObject({ withdrawnFrom: [], ratings: before.imdbOnly!.ratings });
    const { rows: none } = await api.db.pool.query('SELECT count(*)::int AS n FROM provider_records WHERE withdrawn_at IS NOT NULL');
    expect(none[0].n).toBe(0);
  });

  it('TMDB is never a full snapshot; the file providers are unless the location says partial', async () => {
    const { getAdapter } = await import('../../src/sources/registry.js');
    expect(getAdapter('tmdb').isFullSnapshot?.({}) ?? false).toBe(false);
    for (const key of ['imdb', 'rottentomatoes', 'movielens']) {
      expect(getAdapter(key).isFullSnapshot?.({})).toBe(true);
      expect(getAdapter(key).isFullSnapshot?.({ snapshot: 'partial' })).toBe(false);
    }
  });
});
