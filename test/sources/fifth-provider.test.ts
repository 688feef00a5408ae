import { spawn } from 'node:child_process';
import path from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/index.js';
import { loadConfig } from '../../src/config.js';
import { kindOf, recognise } from '../../src/inbox/recognise.js';
import { plannedSchedules } from '../../src/schedule/schedules.js';
import { createApp, type RunningServer } from '../../src/server/app.js';
import { findProvider, loadProviderModules, providerKeyOf } from '../../src/sources/registry.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { postGraphQL } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { ConfigError, UnknownProviderError } from '../../src/errors.js';

/**
 * Adding a provider is one module: test/fixtures/providers/starboard-club.ts defines a fifth
 * provider (a CSV of star_id, title, year and a 0-5 rating) and nothing else in src/ knows it. Named
 * by MOVIEC_PROVIDER_MODULES, it is in `moviec --help`, the import commands, the configuration and
 * schedules, the inbox, the GraphQL enum, matchReport, and an import end to end.
 */
const MODULE = 'test/fixtures/providers/starboard-club.ts';
const CSV = path.resolve('test/fixtures/providers/starboard-club.csv');

/** The real `moviec` executable (bin/moviec.js's run() on the sources) as a child process. */
function moviecProcess(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './test/support/ts-register.mjs', 'test/support/moviec-source.mjs', ...args], {
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', MOVIEC_PROVIDER_MODULES: MODULE, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `moviec …args` in this process through main(), as bin/moviec.js runs it; console output captured. */
async function moviec(env: Record<string, string>, ...args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const capture = (...parts: unknown[]) => void lines.push(parts.join(' '));
  const spies = [
    jest.spyOn(console, 'log').mockImplementation(capture),
    jest.spyOn(console, 'error').mockImplementation(capture),
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)),
  ];
  const saved = { ...process.env };
  Object.assign(process.env, { LOG_LEVEL: 'silent', MOVIEC_PROVIDER_MODULES: MODULE, ...env });
  process.exitCode = undefined;
  try {
    await main(['node', 'moviec', ...args]);
    return { code: Number(process.exitCode ?? 0), text: lines.join('\n') };
  } finally {
    process.exitCode = undefined;
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    for (const spy of spies) spy.mockRestore();
  }
}

describe('a fifth provider from one module (MOVIEC_PROVIDER_MODULES)', () => {
  let db: TestDatabase;
  let files: Record<string, string>;

  beforeAll(async () => {
    await loadProviderModules([MODULE]);
    db = await createTestDatabase();
    files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv([
        { tconst: 'tt0100001', title: 'Northern Lights', year: 2003, genres: ['Drama'] },
        { tconst: 'tt0100002', title: 'Southern Cross', year: 2004, genres: ['Western'] },
      ]),
      'ratings.tsv': ratingsTsv([['tt0100001', 7.7, 4000], ['tt0100002', 6.1, 300]]),
    });
  });
  afterAll(() => db.drop());

  it('is known by its key and GraphQL name in any spelling; an unknown name is a clear error', () => {
    for (const name of ['starboardclub', 'STARBOARD_CLUB', 'starboard_club', 'StarboardClub', 'Starboard-Club']) {
      expect(providerKeyOf(name)).toBe('starboardclub');
    }
    for (const name of ['rottentomatoes', 'ROTTEN_TOMATOES', 'rotten_tomatoes', 'RottenTomatoes']) {
      expect(findProvider(name)?.definition.key).toBe('rottentomatoes');
    }
    expect(() => providerKeyOf('netflix')).toThrow(UnknownProviderError);
    expect(() => providerKeyOf('netflix')).toThrow('Unknown provider "netflix"; known: imdb, tmdb, rottentomatoes, movielens, starboardclub');
  });

  it('is in `moviec --help` and `moviec import --help` of a real moviec process', async () => {
    const [top, imports] = await Promise.all([moviecProcess({}, '--help'), moviecProcess({}, 'import', '--help')]);
    expect(top.code).toBe(0);
    expect(top.stdout.replace(/\s+/g, ' ')).toContain('movie ratings from IMDb, TMDB, Rotten Tomatoes, MovieLens and Starboard Club');
    expect(imports.code).toBe(0);
    expect(imports.stdout).toMatch(/^ {2}starboardclub \[options\] +Starboard Club ratings CSV/m);
    expect(imports.stdout).toMatch(/^ {2}rottentomatoes \[options\] +Rotten Tomatoes movies CSV/m);
  });

  it('gets a configuration variable and a nightly schedule from its module', () => {
    const schedules = plannedSchedules(loadConfig({ STARBOARDCLUB_FILE: '/data/starboard.csv' }));
    expect(schedules.map(({ identifier, cron, payload, reason }) => ({ identifier, cron, payload, reason }))).toEqual([{
      identifier: 'import-starboardclub', cron: '0 4 * * *',
      payload: { provider: 'starboardclub', location: { file: '/data/starboard.csv' } },
      reason: 'default: nightly, STARBOARDCLUB_FILE is set',
    }]);
    const moved = plannedSchedules(loadConfig({ STARBOARDCLUB_FILE: '/data/s.csv', SCHEDULE_STARBOARDCLUB: '15 5 * * 1' }));
    expect(moved.map((s) => [s.identifier, s.cron])).toEqual([['import-starboardclub', '15 5 * * 1']]);
    expect(() => loadConfig({ SCHEDULE_STARBOARDCLUB: 'at noon' })).toThrow(ConfigError);
    expect(() => plannedSchedules(loadConfig({ SCHEDULE_STARBOARDCLUB: '0 1 * * *' }))).toThrow(
      'Invalid schedule configuration:\n  SCHEDULE_STARBOARDCLUB: is "0 1 * * *" but STARBOARDCLUB_FILE is not set',
    );
  });

  it('is recognised in the inbox by name or first line', () => {
    expect(kindOf({ name: 'starboard-2026-11.csv', isDirectory: false })).toBe('starboardclub');
    expect(kindOf({ name: 'export.csv', isDirectory: false, header: 'star_id,title,year,stars' })).toBe('starboardclub');
    const { unrecognised } = recognise([{ name: 'holiday.jpg', isDirectory: false }]);
    expect(unrecognised[0]!.reason).toBe(
      'neither an IMDb title.basics/title.ratings TSV, a Rotten Tomatoes movies CSV, a MovieLens folder, nor a Starboard Club CSV',
    );
  });

  describe('end to end', () => {
    let server: RunningServer;
    let url: string;
    const env = () => ({ DATABASE_URL: db.url });

    beforeAll(async () => {
      const imdb = await moviec(env(), 'import', 'imdb', '--basics', files['basics.tsv']!, '--ratings', files['ratings.tsv']!);
      expect(imdb.text).toMatch(/Import run \d+ SUCCEEDED$/);
      // The real process writes the provider's reference row (the registry's) and imports its CSV.
      const run = await moviecProcess({ DATABASE_URL: db.url }, 'import', 'STARBOARD_CLUB', '--file', CSV);
      expect(run.stdout).toMatch(/Import run \d+ started \(starboardclub\)\.\n[\s\S]*Import run \d+ SUCCEEDED\n$/);
      expect(run.code).toBe(0);
      const app = await createApp({ pool: db.pool });
      server = await app.start(0, '127.0.0.1');
      url = server.url;
    });
    afterAll(() => server.close());

    it('stores its provider row from the registry', async () => {
      const { rows } = await db.pool.query(`SELECT key, name, kind::text, rating_scale, creates_movies FROM providers WHERE key = 'starboardclub'`);
      expect(rows).toEqual([{ key: 'starboardclub', name: 'Starboard Club', kind: 'FILE', rating_scale: '0-5', creates_movies: false }]);
    });

    it('is a value of the GraphQL ProviderKey enum, with its description', async () => {
      const res = await postGraphQL(url, '{ __type(name: "ProviderKey") { enumValues { name description } } }');
      expect(res.data.__type.enumValues).toEqual([
        expect.objectContaining({ name: 'IMDB' }), expect.objectContaining({ name: 'TMDB' }),
        expect.objectContaining({ name: 'ROTTEN_TOMATOES' }), expect.objectContaining({ name: 'MOVIELENS' }),
        { name: 'STARBOARD_CLUB', description: 'Starboard Club CSV (ids are star_id values).' },
      ]);
    });

    it('matches its rows by title and year, scores its 0-5 rating, and reports them in matchReport', async () => {
      const res = await postGraphQL(url, `{
        matchReport { provider { key name } total matched unmatched unmatchedPercent }
        movieByExternalId(provider: STARBOARD_CLUB, externalId: "sb-1") {
          title year ratings { provider { key } rawValue rawScale normalized } externalIds { provider { key } externalId }
        }
        importRuns(provider: STARBOARD_CLUB) { status rowsRead rowsChanged rowsRejected }
      }`);
      expect(res.errors).toBeUndefined();
      expect(res.data.matchReport).toContainEqual({
        provider: { key: 'STARBOARD_CLUB', name: 'Starboard Club' }, total: 3, matched: 2, unmatched: 1, unmatchedPercent: 33.33,
      });
      const movie = res.data.movieByExternalId;
      expect(movie).toMatchObject({ title: 'Northern Lights', year: 2003 });
      expect(movie.ratings).toContainEqual({ provider: { key: 'STARBOARD_CLUB' }, rawValue: 4.5, rawScale: '0-5', normalized: 90 });
      expect(movie.externalIds).toContainEqual({ provider: { key: 'STARBOARD_CLUB' }, externalId: 'sb-1' });
      expect(res.data.importRuns).toEqual([{ status: 'SUCCEEDED', rowsRead: 3, rowsChanged: 3, rowsRejected: 0 }]);
    });

    it('lists its unmatched rows for `status --unmatched --provider` in any spelling, and refuses an unknown provider', async () => {
      const listed = await moviec(env(), 'status', '--unmatched', '--provider', 'Starboard_Club');
      expect(listed.code).toBe(0);
      expect(listed.text).toMatch(/starboardclub\s+sb-3\s+A Film Nobody Else Has\s+1999\s+UNMATCHED/);
      const unknown = await moviec(env(), 'status', '--unmatched', '--provider', 'rotten_tomatos');
      expect(unknown.code).toBe(1);
      expect(unknown.text).toContain('Unknown provider "rotten_tomatos"; known: imdb, tmdb, rottentomatoes, movielens, starboardclub');
      expect(unknown.text).not.toContain('Every row is matched');
    });

    it('shows its schedule in `moviec status`', async () => {
      const { code, text } = await moviec({ ...env(), STARBOARDCLUB_FILE: CSV }, 'status');
      expect(code).toBe(0);
      expect(text).toMatch(/import-starboardclub\s+0 4 \* \* \*\s+default: nightly, STARBOARDCLUB_FILE is set/);
    });
  });
});
