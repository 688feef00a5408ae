import { jest } from '@jest/globals';
import { buildCli } from '../../src/cli/index.js';
import { MATCHING_RULES_VERSION } from '../../src/matching/title-match.js';
import { rematchIfRulesChanged } from '../../src/services/rematch.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ensureProviders } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { importImdb } from '../support/pipeline.js';

/** Runs `moviec ...args` in-process against the test database; returns exit code and output. */
async function moviec(db: TestDatabase, ...args: string[]) {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const env = { DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = db.url;
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

describe('moviec rematch', () => {
  let db: TestDatabase;
  const movie: Record<string, string> = {};

  /** A Rotten Tomatoes record as an earlier version of the rules left it. */
  async function rtRecord(externalId: string, title: string, year: number, movieId: string | null, method: string | null) {
    await db.pool.query(
      `INSERT INTO provider_records (provider_key, external_id, title, year, payload, content_hash, movie_id, match_status, match_method, match_confidence)
       VALUES ('rottentomatoes', $1, $2, $3, '{}', md5($1), $4, $5::"MatchStatus", $6, CASE WHEN $4::uuid IS NULL THEN NULL ELSE 0.9 END)`,
      [externalId, title, year, movieId, movieId ? 'MATCHED' : 'UNMATCHED', method],
    );
  }
  const record = async (externalId: string) =>
    (await db.pool.query(
      `SELECT movie_id, match_status, match_method, match_reason FROM provider_records WHERE provider_key = 'rottentomatoes' AND external_id = $1`,
      [externalId],
    )).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureProviders(db.pool, ['rottentomatoes']);
    const files = await writeFiles(await tempDir(), {
      'b.tsv': basicsTsv([
        { tconst: 'tt1179904', title: 'Paranormal Activity', year: 2007 },
        { tconst: 'tt1536044', title: 'Paranormal Activity 2', year: 2010 },
        { tconst: 'tt2294629', title: 'Frozen', year: 2013 },
      ]),
      'r.tsv': ratingsTsv([]),
    });
    expect((await importImdb(db.pool, files['b.tsv']!, files['r.tsv']!)).status).toBe('SUCCEEDED');
    const { rows } = await db.pool.query<{ id: string; imdb_id: string }>('SELECT id, imdb_id FROM movies');
    for (const r of rows) movie[r.imdb_id] = r.id;
    // The sequel join the old rules made, a row they could not match, and an admin's correction.
    await rtRecord('m/paranormal_activity', 'Paranormal Activity', 2010, movie.tt1536044!, 'title_year');
    await rtRecord('m/frozen_2013', 'Frozen (Frozen: Uma Aventura Congelante)', 2013, null, null);
    await rtRecord('m/pinned', 'Paranormal Activity', 2010, movie.tt1536044!, 'manual');
    await db.pool.query(
      `INSERT INTO match_corrections (provider_key, external_id, movie_id, kind) VALUES ('rottentomatoes', 'm/pinned', $1, 'RELINK')`,
      [movie.tt1536044],
    );
  });
  afterAll(() => db.drop());

  it('decides title matches again, never a manual one, and prints what moved', async () => {
    const { code, lines } = await moviec(db, 'rematch', '--provider', 'ROTTEN_TOMATOES');
    expect(code).toBe(0);
    const out = lines.join('\n');
    expect(out).toContain(`rottentomatoes m/paranormal_activity "Paranormal Activity" (2010): "Paranormal Activity 2" ${movie.tt1536044} -> no movie`);
    expect(out).toMatch(/sequel number differs/);
    expect(out).toContain(`rottentomatoes m/frozen_2013 "Frozen (Frozen: Uma Aventura Congelante)" (2013): no movie -> "Frozen" ${movie.tt2294629}`);
    expect(out).toContain('Rematched 2 records: 2 moved, 2 movies re-aggregated.');
    expect(out).not.toContain('m/pinned');
    expect(await record('m/paranormal_activity')).toMatchObject({ movie_id: null, match_status: 'UNMATCHED' });
    expect(await record('m/frozen_2013')).toMatchObject({ movie_id: movie.tt2294629, match_method: 'title_year' });
    expect(await record('m/pinned')).toMatchObject({ movie_id: movie.tt1536044, match_method: 'manual' });
    // The sequel's ratings no longer hold the original's Rotten Tomatoes row.
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM movie_titles WHERE movie_id = $1 AND provider_key = 'rottentomatoes'`, [movie.tt2294629]);
    expect(rows[0].n).toBe(1);

    const again = await moviec(db, 'rematch');
    expect(again.lines.join('\n')).toContain('0 moved');
  });

  it('runs once at start-up after the matching rules changed', async () => {
    await db.pool.query(`INSERT INTO matching_state (id, rules_version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET rules_version = 1`);
    await db.pool.query(`UPDATE provider_records SET movie_id = $1, match_status = 'MATCHED', match_method = 'title_year' WHERE external_id = 'm/paranormal_activity'`, [movie.tt1536044]);
    const first = await rematchIfRulesChanged(db.pool);
    expect(first?.moved.map((m) => m.externalId)).toEqual(['m/paranormal_activity']);
    expect(await rematchIfRulesChanged(db.pool)).toBeNull();
    const { rows } = await db.pool.query('SELECT rules_version FROM matching_state');
    expect(rows).toEqual([{ rules_version: MATCHING_RULES_VERSION }]);
  });
});
