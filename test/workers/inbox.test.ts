import { appendFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { kindOf, recognise, type InboxEntry } from '../../src/inbox/recognise.js';
import { readHeader, StabilityTracker, type ScannedEntry } from '../../src/inbox/scan.js';
import { startInbox, type Inbox } from '../../src/inbox/watcher.js';
import { createLogger } from '../../src/logger.js';
import { startWorker, type Worker } from '../../src/workers/runner.js';
import { rtCsv } from '../support/csv-files.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { basicsTsv, ratingsTsv, tempDir } from '../support/imdb-files.js';

const file = (name: string, header?: string): InboxEntry => ({ name, isDirectory: false, header: header ?? null });
const names = (plans: ReturnType<typeof recognise>['imports']) =>
  plans.map((plan) => [plan.provider, ...plan.parts.map((part) => `${part.role}=${part.entry.name}`)]);

describe('inbox recognition', () => {
  it('knows provider files by name, header or folder contents', () => {
    expect(kindOf(file('title.basics.tsv.gz'))).toBe('imdb-basics');
    expect(kindOf(file('2026-01-02.title.ratings.tsv'))).toBe('imdb-ratings');
    expect(kindOf(file('rotten_tomatoes_movies.csv'))).toBe('rottentomatoes');
    expect(kindOf(file('export.csv', 'rotten_tomatoes_link,movie_title,genres'))).toBe('rottentomatoes');
    expect(kindOf(file('basics.tsv', 'tconst\ttitleType\tprimaryTitle\toriginalTitle'))).toBe('imdb-basics');
    expect(kindOf({ name: 'ml-latest-small', isDirectory: true, children: ['links.csv', 'movies.csv', 'ratings.csv', 'tags.csv'] })).toBe('movielens');
    expect(kindOf({ name: 'photos', isDirectory: true, children: ['a.jpg'] })).toBeNull();
    expect(kindOf(file('notes.csv', 'a,b,c'))).toBeNull();
  });

  it('pairs IMDb files by their name prefix and waits for a missing partner', () => {
    const result = recognise([
      file('title.basics.tsv.gz'), file('title.ratings.tsv.gz'),
      file('2026-01-02.title.basics.tsv'), file('2026-01-02.title.ratings.tsv'),
      file('old.title.basics.tsv'),
    ]);
    expect(names(result.imports)).toEqual([
      ['imdb', 'basics=title.basics.tsv.gz', 'ratings=title.ratings.tsv.gz'],
      ['imdb', 'basics=2026-01-02.title.basics.tsv', 'ratings=2026-01-02.title.ratings.tsv'],
    ]);
    expect(result.waiting).toEqual([{ entry: file('old.title.basics.tsv'), reason: 'waiting for its IMDb title.ratings file' }]);
  });

  it('pairs a lone basics with a lone ratings file recognised by header', () => {
    const result = recognise([file('b.tsv', 'tconst\ttitleType\tx'), file('r.tsv', 'tconst\taverageRating\tnumVotes')]);
    expect(names(result.imports)).toEqual([['imdb', 'basics=b.tsv', 'ratings=r.tsv']]);
  });

  it('calls other entries unrecognised, with the reason', () => {
    const result = recognise([file('holiday.jpg'), { name: 'misc', isDirectory: true, children: ['movies.csv'] }]);
    expect(result.imports).toEqual([]);
    expect(result.unrecognised.map((u) => [u.entry.name, u.reason])).toEqual([
      ['holiday.jpg', 'neither an IMDb title.basics/title.ratings TSV, a Rotten Tomatoes movies CSV, nor a MovieLens folder'],
      ['misc', 'a folder without movies.csv, links.csv, ratings.csv'],
    ]);
  });

  it('reads the first line of gzipped files', async () => {
    const dir = await tempDir();
    const full = path.join(dir, 'export.csv.gz');
    await writeFile(full, gzipSync('rotten_tomatoes_link,movie_title\nm/1,A\n'));
    const header = await readHeader({ name: 'export.csv.gz', path: full, isDirectory: false, signature: '' });
    expect(header).toBe('rotten_tomatoes_link,movie_title');
  });

  it('takes an entry only once it has not changed for the settle time', () => {
    const tracker = new StabilityTracker(1000);
    const entry = (signature: string): ScannedEntry => ({ name: 'a.csv', path: '/x/a.csv', isDirectory: false, signature });
    expect(tracker.stable([entry('10')], 0)).toEqual([]);
    expect(tracker.stable([entry('20')], 900)).toEqual([]); // still growing
    expect(tracker.stable([entry('20')], 1800)).toEqual([]); // unchanged for 900 ms only
    expect(tracker.stable([entry('20')], 1900)).toEqual([entry('20')]);
  });

  it('counts a long scan toward "still changing": from its end when a signature is new, from its start when unchanged', () => {
    const tracker = new StabilityTracker(200);
    const entry = (signature: string): ScannedEntry => ({ name: 'a.csv', path: '/x/a.csv', isDirectory: false, signature });
    expect(tracker.stable([entry('20')], 100, 130)).toEqual([]);
    // This scan read the size at ~150 and ended at 400; the file grew at 200, after it read the size.
    // 400 - 130 is more than the settle time, but nothing says the file was unchanged after 150.
    expect(tracker.stable([entry('20')], 150, 400)).toEqual([]);
    expect(tracker.stable([entry('30')], 410, 420)).toEqual([]);
    // Unchanged from the end of the scan that first saw it (420) to the start of this one (620).
    expect(tracker.stable([entry('30')], 620, 630)).toEqual([entry('30')]);
  });
});

describe('the inbox watcher', () => {
  let db: TestDatabase;
  let worker: Worker;
  let inbox: Inbox | undefined;
  let dir: string;
  const logger = createLogger('silent');

  beforeAll(async () => {
    db = await createTestDatabase();
    worker = await startWorker({ pool: db.pool, logger, concurrency: 2 });
  });
  afterAll(async () => {
    await inbox?.stop();
    await worker.stop();
    await db.drop();
  });
  beforeEach(async () => {
    dir = path.join(await tempDir(), 'inbox');
  });
  afterEach(async () => {
    await inbox?.stop();
    inbox = undefined;
  });

  const start = async () => {
    inbox = await startInbox({ dir, pool: db.pool, logger, pollMs: 50, settleMs: 200 });
  };

  /** Waits until a folder of the inbox holds the expected number of entries. */
  async function entriesOf(folder: string, count: number, timeoutMs = 20_000): Promise<string[]> {
    const started = Date.now();
    for (;;) {
      const found = (await readdir(path.join(dir, folder)).catch(() => [] as string[])).sort();
      if (found.length >= count) return found;
      if (Date.now() - started > timeoutMs) throw new Error(`${folder}/ holds ${JSON.stringify(found)}, expected ${count} entries`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The folder's entries once it is empty, or what it still holds after `timeoutMs`. */
  async function emptied(folder: string, timeoutMs = 20_000): Promise<string[]> {
    const started = Date.now();
    for (;;) {
      const found = (await readdir(path.join(dir, folder)).catch(() => [] as string[])).sort();
      if (found.length === 0 || Date.now() - started > timeoutMs) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function runOf(name: string) {
    const id = /^run-(\d+)-/.exec(name)?.[1];
    const { rows } = await db.pool.query('SELECT id, provider_key, trigger, status, error FROM import_runs WHERE id = $1', [id]);
    return rows[0];
  }

  it('imports an IMDb pair once both files are there, then moves them to processed/ with the run id', async () => {
    await start();
    await writeFile(path.join(dir, 'title.basics.tsv'), basicsTsv([{ tconst: 'tt0200001', title: 'Inbox Story', year: 2011, genres: ['Drama'] }]));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await readdir(dir)).toContain('title.basics.tsv'); // waits for its partner
    await writeFile(path.join(dir, 'title.ratings.tsv.gz'), gzipSync(ratingsTsv([['tt0200001', 7.5, 1200]])));

    const processed = await entriesOf('processed', 2);
    expect(processed).toEqual([expect.stringMatching(/^run-\d+-title\.basics\.tsv$/), expect.stringMatching(/^run-\d+-title\.ratings\.tsv\.gz$/)]);
    expect(await runOf(processed[0]!)).toMatchObject({ provider_key: 'imdb', trigger: 'inbox', status: 'SUCCEEDED' });
    expect(processed[0]!.split('-')[1]).toBe(processed[1]!.split('-')[1]);
    const { rows } = await db.pool.query(`SELECT title FROM movies WHERE imdb_id = 'tt0200001'`);
    expect(rows).toEqual([{ title: 'Inbox Story' }]);
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining(['title.basics.tsv', 'title.ratings.tsv.gz']));
  });

  it('moves a file whose import fails to failed/ with the run id and the reason', async () => {
    await start();
    await writeFile(path.join(dir, 'rotten_tomatoes_movies.csv'), 'title,score\nA,1\n');
    const failed = await entriesOf('failed', 2);
    const moved = failed.find((name) => name.endsWith('-rotten_tomatoes_movies.csv'))!;
    expect(moved).toMatch(/^run-\d+-rotten_tomatoes_movies\.csv$/);
    const run = await runOf(moved);
    expect(run).toMatchObject({ provider_key: 'rottentomatoes', trigger: 'inbox', status: 'FAILED' });
    const reason = await readFile(path.join(dir, 'failed', `run-${run.id}.error.txt`), 'utf8');
    expect(reason).toContain(`Import run ${run.id} (rottentomatoes) FAILED: ${run.error}`);
  });

  it('leaves a file alone while it is still being written', async () => {
    // The settle time runs on a clock the test moves: half the settle time passes between two
    // slices, whatever the machine's load delays, and four settle times in all while it grows.
    let clock = 0;
    inbox = await startInbox({ dir, pool: db.pool, logger, pollMs: 50, settleMs: 200, now: () => clock });
    const target = path.join(dir, 'rotten_tomatoes_movies.csv');
    const content = rtCsv([{ rotten_tomatoes_link: 'm/inbox_story', movie_title: 'Inbox Story', original_release_date: '2011-05-01', tomatometer_rating: 88, tomatometer_count: 40 }]);
    // Uploaded in slices, a slice more often than the settle time: never taken half-written.
    const slices = 8;
    const size = Math.ceil(content.length / slices);
    for (let i = 0; i < slices; i++) {
      await appendFile(target, content.slice(i * size, (i + 1) * size));
      clock += 100;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await readdir(path.join(dir, 'processed'))).toEqual([]);
    }
    clock += 1000;
    const processed = await entriesOf('processed', 1);
    expect(await runOf(processed[0]!)).toMatchObject({ provider_key: 'rottentomatoes', status: 'SUCCEEDED' });
  });

  it('ignores files with upload names until they are renamed, and imports a MovieLens folder', async () => {
    await start();
    const staging = path.join(dir, '.ml-upload');
    await mkdir(staging);
    await writeFile(path.join(staging, 'movies.csv'), 'movieId,title,genres\n1,Inbox Story (2011),Drama\n');
    await writeFile(path.join(staging, 'links.csv'), 'movieId,imdbId,tmdbId\n1,0200001,\n');
    await writeFile(path.join(staging, 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,1,4.0,1000\n2,1,3.0,1000\n');
    await writeFile(path.join(dir, 'title.basics.tsv.part'), 'partial');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await readdir(path.join(dir, 'processed'))).toEqual([]);
    await rename(staging, path.join(dir, 'ml-latest'));
    const processed = await entriesOf('processed', 1);
    expect(processed).toEqual([expect.stringMatching(/^run-\d+-ml-latest$/)]);
    expect(await runOf(processed[0]!)).toMatchObject({ provider_key: 'movielens', trigger: 'inbox', status: 'SUCCEEDED' });
    expect(await readdir(path.join(dir, 'processed', processed[0]!))).toEqual(['links.csv', 'movies.csv', 'ratings.csv']);
    expect(await readdir(dir)).toContain('title.basics.tsv.part');
  });

  it('moves an unrecognised file to failed/ with the reason', async () => {
    await start();
    await writeFile(path.join(dir, 'holiday.jpg'), 'not a dataset');
    const failed = await entriesOf('failed', 2);
    expect(failed).toEqual([expect.stringMatching(/^unrecognised-.+-holiday\.jpg$/), expect.stringMatching(/^unrecognised-.+\.error\.txt$/)]);
  });

  it('settles a claim whose run finished while it was stopped', async () => {
    await start();
    await inbox!.stop();
    inbox = undefined;
    // As if a watcher claimed the files, queued the run and stopped before the run finished.
    const claim = path.join(dir, '.processing', '20260101T000000000Z-abcd1234');
    await mkdir(claim, { recursive: true });
    await writeFile(path.join(claim, 'rotten_tomatoes_movies.csv'), rtCsv([{ rotten_tomatoes_link: 'm/x', movie_title: 'X', original_release_date: '2001-01-01' }]));
    const { rows } = await db.pool.query(
      `INSERT INTO import_runs (provider_key, trigger, source, status, finished_at) VALUES ('rottentomatoes', 'inbox', $1, 'SUCCEEDED', now()) RETURNING id`,
      [JSON.stringify({ file: path.join(claim, 'rotten_tomatoes_movies.csv') })],
    );
    await start();
    expect(await entriesOf('processed', 1)).toEqual([`run-${rows[0].id}-rotten_tomatoes_movies.csv`]);
    // The claim's folder is removed after its files are moved: wait for it, do not race it.
    expect(await emptied('.processing')).toEqual([]);
  });
});
