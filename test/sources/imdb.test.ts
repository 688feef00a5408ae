/**
 * The IMDb reader's fast path (src/sources/tsv.ts readTsvBatches, src/sources/imdb.ts): the same
 * items whatever the chunking of the decompressed bytes, non-movie lines skipped without being
 * split but still rejected when malformed, ratings of titles that are no movie of the file skipped.
 */
import { Readable } from 'node:stream';
import { BASICS_HEADER, imdbAdapter, parseBasics, parseRating } from '../../src/sources/imdb.js';
import { readTsvBatches, tsvRow, MAX_LINE_CHARS, type TsvLineHandler } from '../../src/sources/tsv.js';
import type { SourceItem } from '../../src/sources/types.js';
import { tempDir, writeFiles } from '../support/imdb-files.js';
import { SourceError } from '../../src/errors.js';

const HEADER = BASICS_HEADER.join('\t');
const line = (...fields: (string | number)[]) => fields.join('\t');
const LINES = [
  line('tt0000001', 'movie', 'Le Château', 'Le Château', 0, 1999, '\\N', 95, 'Drama'),
  line('tt0000002', 'tvEpisode', 'Episode #1.1', 'Episode #1.1', 0, 2001, '\\N', 30, 'Comedy'),
  line('tt0000003', 'short', 'Too Few'),
  line('tt00x0004', 'tvSeries', 'Bad Id', 'Bad Id', 0, 2001, 2003, 30, 'Drama'),
  '',
  line('tt0000005', 'movie', 'Bad Year', 'Bad Year', 0, 20000, '\\N', 95, 'Drama'),
  line('tt0000006', 'video', 'Fine Video', 'Fine Video', 0, 2010, '\\N', 12, '\\N'),
  line('tt0000007', 'movie', 'Ünïcode ☃ Title', '\\N', 1, '\\N', '\\N', '\\N', '\\N'),
];
const TEXT = `\uFEFF${HEADER}\n${LINES.join('\n')}\n`;

/** All items of readTsvBatches over `bytes` cut into chunks of `size`, with skips summed into one count. */
async function readAll(bytes: Buffer, size: number, handle: TsvLineHandler): Promise<{ items: SourceItem[]; skipped: number }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const items: SourceItem[] = [];
  let skipped = 0;
  for await (const batch of readTsvBatches(Readable.from(chunks), 'basics.tsv', BASICS_HEADER, handle)) {
    for (const item of batch) {
      if (item.type === 'skip') skipped += item.count ?? 1;
      else items.push(item);
    }
  }
  return { items, skipped };
}

const everyLine: TsvLineHandler = (text, start, end, lineNo, out) => {
  const item = parseBasics(tsvRow(text, start, end, lineNo));
  if (item) out.push(item);
};

describe('readTsvBatches', () => {
  it('gives the same items for any chunking, multi-byte characters split or not', async () => {
    const bytes = Buffer.from(TEXT);
    const whole = await readAll(bytes, bytes.length, everyLine);
    expect(whole.items.map((i) => [i.type, 'line' in i ? i.line : null])).toEqual([
      ['record', 2], ['reject', 4], ['reject', 5], ['reject', 7], ['record', 9],
    ]);
    expect(whole.skipped).toBe(2);
    for (const size of [1, 2, 3, 7, 64]) expect(await readAll(bytes, size, everyLine)).toEqual(whole);
  });

  it('CRLF line ends read as LF; a last line without its newline is read when complete', async () => {
    const bytes = Buffer.from(`${HEADER}\r\n${LINES[0]}\r\n${LINES[6]}`);
    for (const size of [1, 5, bytes.length]) {
      const { items, skipped } = await readAll(bytes, size, everyLine);
      expect(items).toMatchObject([{ type: 'record', line: 2, record: { externalId: 'tt0000001', runtimeMinutes: 95 } }]);
      expect(skipped).toBe(1);
    }
  });

  it('a line beyond MAX_LINE_CHARS is rejected with its length and line, held only by its start', async () => {
    const huge = line('tt0000009', 'movie', 'x'.repeat(MAX_LINE_CHARS * 2), 'y', 0, 2000, '\\N', 90, 'Drama');
    const bytes = Buffer.from(`${HEADER}\n${LINES[0]}\n${huge}\n${LINES[6]}\n`);
    for (const size of [1000, 65_536, bytes.length]) {
      const { items, skipped } = await readAll(bytes, size, everyLine);
      expect(items).toEqual([
        expect.objectContaining({ type: 'record', line: 2 }),
        { type: 'reject', line: 3, reference: 'tt0000009', reason: `line is ${huge.length + 1} characters long; at most ${MAX_LINE_CHARS} are accepted`, excerpt: expect.stringMatching(/^tt0000009\tmovie\tx+…$/) },
      ]);
      expect(skipped).toBe(1);
    }
  });

  it('fails on a wrong header, an empty file and a last line cut off', async () => {
    await expect(readAll(Buffer.from('a\tb\n'), 100, everyLine)).rejects.toThrow(/unexpected header/);
    await expect(readAll(Buffer.from(''), 100, everyLine)).rejects.toThrow(/is empty/);
    await expect(readAll(Buffer.from(`${HEADER}\n${LINES[0]}\ntt0000008\tmovie\tCut`), 3, everyLine))
      .rejects.toThrow(new SourceError('basics.tsv is truncated: its last line 3 is incomplete'));
  });
});

describe('imdbAdapter.readBatches', () => {
  it('skips non-movie lines unsplit, rejects malformed ones, keeps only ratings of its movies, same as read()', async () => {
    const dir = await tempDir();
    const files = await writeFiles(dir, {
      'basics.tsv': TEXT,
      'ratings.tsv': ['tconst\taverageRating\tnumVotes', 'tt0000001\t7.5\t100', 'tt0000002\t6.0\t40', 'tt0000006\t11\t5', 'tt0000007\t5.5\t1000000', 'tt0000099\t8.0\t7', ''].join('\n'),
    });
    const location = { basics: files['basics.tsv']!, ratings: files['ratings.tsv']! };
    const batched: SourceItem[] = [];
    for await (const batch of imdbAdapter.readBatches!(location, {})) batched.push(...batch);
    const counted = (items: SourceItem[]) => items.reduce((n, i) => n + (i.type === 'skip' ? (i.count ?? 1) : 1), 0);
    expect(counted(batched)).toBe(LINES.length - 1 + 5);
    expect(batched.filter((i) => i.type !== 'skip')).toEqual([
      expect.objectContaining({ type: 'record', record: expect.objectContaining({ externalId: 'tt0000001', title: 'Le Château' }) }),
      expect.objectContaining({ type: 'reject', line: 4, reference: 'tt0000003', reason: 'expected 9 tab-separated fields, found 3' }),
      expect.objectContaining({ type: 'reject', line: 5, reason: 'invalid tconst "tt00x0004"' }),
      expect.objectContaining({ type: 'reject', line: 7, reason: 'startYear 20000 is out of range 1870-2200' }),
      expect.objectContaining({ type: 'record', record: expect.objectContaining({ externalId: 'tt0000007', isAdult: true, year: null }) }),
      { type: 'rating', externalId: 'tt0000001', rating: { kind: 'users', value: 7.5, votes: 100 }, line: 2 },
      expect.objectContaining({ type: 'reject', line: 4, reason: 'averageRating must be a number from 1 to 10, found "11"' }),
      { type: 'rating', externalId: 'tt0000007', rating: { kind: 'users', value: 5.5, votes: 1_000_000 }, line: 5 },
    ]);
    const flat: SourceItem[] = [];
    for await (const item of imdbAdapter.read(location, {})) flat.push(item);
    expect(flat).toEqual(batched);
  });

  it('skips the ratings of titles that are no movie of the file unsplit, and gives every other line what parseRating gives', async () => {
    const dir = await tempDir();
    const movies = ['tt0000001', 'tt0000007', 'tt12345678', 'tt0100000000'];
    const basics = [HEADER, ...movies.map((id) => line(id, 'movie', `Movie ${id}`, '\\N', 0, 1999, '\\N', 95, 'Drama'))];
    const averages = ['7.5', '1', '10', '10.0', '10.00', '10.5', '10.01', '11', '0.9', '0', '01.5', '001', '1.', '.5', '', 'abc', ' 5', '5 ', '5e0', 'Infinity', '0x5', '9.99999', '1.0'];
    const votes = ['100', '0', '', '-1', '1.5', '999999999999999', '9999999999999999', '12x', ' 3', '007'];
    const ids = ['tt0000002', 'tt0000001', 'tt1234567', 'tt12345678', 'tt01234567', 'tt0100000000', 'tt999999999', 'tt1000000000', 'tt123456', 'tt00x0004', 'x'];
    const ratings = ['tconst\taverageRating\tnumVotes'];
    ids.forEach((id, i) => averages.forEach((average, j) => ratings.push(line(id, average, votes[(i + j) % votes.length]!))));
    ratings.push(line('tt0000002', '7.5'), line('tt0000002', '7.5', '10', 'extra'), 'tt0000002', line('tt0000009', '7.5', '10'));
    const files = await writeFiles(dir, { 'basics.tsv': `${basics.join('\n')}\n`, 'ratings.tsv': `${ratings.join('\n')}\n` });
    const read: SourceItem[] = [];
    for await (const batch of imdbAdapter.readBatches!({ basics: files['basics.tsv']!, ratings: files['ratings.tsv']! }, {})) read.push(...batch);
    const ratingItems = read.filter((i) => i.type === 'rating' || (i.type === 'reject' && i.holds === 'ratings'));
    // Every line split and parsed, a valid rating kept only for a movie of the file.
    const expected = ratings.slice(1).flatMap((text, i) => {
      const item = parseRating(tsvRow(text, 0, text.length, i + 2));
      return item.type === 'rating' && !movies.includes(item.externalId) ? [] : [item];
    });
    expect(ratingItems).toEqual(expected);
    expect(expected.filter((i) => i.type === 'rating').length).toBeGreaterThan(10);
    expect(expected.filter((i) => i.type === 'reject').length).toBeGreaterThan(100);
    const counted = read.reduce((n, i) => n + (i.type === 'skip' ? (i.count ?? 1) : 1), 0);
    expect(counted).toBe(movies.length + ratings.length - 1);
  });
});
