import { StagingWriter } from '../../src/ingest/staging.js';
import type { SourceItem } from '../../src/sources/types.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const record = (externalId: string): SourceItem => ({
  type: 'record',
  line: 1,
  record: {
    externalId, title: `Title ${externalId}`, originalTitle: null, year: 2000, releaseDate: null, runtimeMinutes: null, genres: [], ratings: [],
    imdbId: null, tmdbId: null, overview: null, posterUrl: null, isAdult: false, payload: { id: externalId },
  },
});

describe('StagingWriter.idsDistinct', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  async function staged(ids: string[]): Promise<{ distinct: boolean; rows: number }> {
    const { rows: [run] } = await db.pool.query<{ id: string }>(
      `INSERT INTO import_runs (provider_key, trigger, status) VALUES ('imdb', 'cli', 'RUNNING') RETURNING id`,
    );
    const writer = new StagingWriter(db.pool, run!.id, 2);
    // A skip and a rejected row between records change nothing.
    await writer.addBatch([{ type: 'skip', count: 3 }, { type: 'reject', line: 1, reason: 'bad', reference: 'z' }]);
    for (const id of ids) await writer.add(record(id));
    await writer.flush();
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM import_staging_records WHERE run_id = $1', [run!.id]);
    return { distinct: writer.idsDistinct, rows: rows[0]!.n };
  }

  it('is true only while every staged record id is greater than the one before (a sorted input: no id repeats)', async () => {
    expect(await staged(['tt0000001', 'tt0000002', 'tt0000010', 'tt1000000', 'tt9999999', 'tt10000000', 'tt10000001'])).toEqual({ distinct: true, rows: 7 });
    expect(await staged(['1', '2', '9', '10', '11', '100'])).toEqual({ distinct: true, rows: 6 });
    expect(await staged([])).toEqual({ distinct: true, rows: 0 });
    expect(await staged(['tt0000001', 'tt0000002', 'tt0000002'])).toEqual({ distinct: false, rows: 3 });
    expect(await staged(['tt0000002', 'tt0000001', 'tt0000003'])).toEqual({ distinct: false, rows: 3 });
    // Distinct but unsorted ids are not known distinct: the merge looks.
    expect(await staged(['10', '2'])).toEqual({ distinct: false, rows: 2 });
    expect(await staged(['tt10000000', 'tt9999999'])).toEqual({ distinct: false, rows: 2 });
  });
});
