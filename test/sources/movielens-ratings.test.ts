/**
 * MovieLens ratings.csv by position (src/sources/movielens-ratings.ts): the same tallies and rejects
 * as the CSV parser path for any chunking, and the CSV parser takes over, line numbers carried on,
 * where a chunk holds a quote, a carriage return or a byte beyond ASCII.
 */
import { Readable } from 'node:stream';
import { readCsv } from '../../src/sources/csv.js';
import { RATINGS_COLUMNS, tallyRating, type Tally } from '../../src/sources/movielens.js';
import { tallyRatings } from '../../src/sources/movielens-ratings.js';
import type { SourceItem } from '../../src/sources/types.js';

const LINES = [
  '1,1,4.0,964982703', '1,3,4.5,964981247', '2,1,0.5,964982224', '', '3,2,5,964983815', '3,02,3.5,964982931',
  '4,1,6.0,964982176', '4,2,abc,964984041', '4,2,,964984041', '5,7', '6,7,2.5,1 ', ' 7,7,1.0,2', '8,1,3.25,964982703',
];

async function fast(text: string | Buffer, size: number) {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const tallies = new Map<string, Tally>();
  const rejects: SourceItem[] = [];
  for await (const batch of tallyRatings(Readable.from(chunks), 'ratings.csv', RATINGS_COLUMNS, tallies, tallyRating)) rejects.push(...batch);
  return { tallies: Object.fromEntries([...tallies].sort()), rejects };
}

async function slow(text: string | Buffer) {
  const tallies = new Map<string, Tally>();
  const rejects: SourceItem[] = [];
  for await (const row of readCsv(Readable.from([Buffer.from(text)]), 'ratings.csv', { required: RATINGS_COLUMNS, keepRaw: false })) {
    const reject = tallyRating(row, tallies);
    if (reject) rejects.push(reject);
  }
  return { tallies: Object.fromEntries([...tallies].sort()), rejects };
}

describe('tallyRatings', () => {
  it('tallies and rejects as the CSV path does, for any chunking', async () => {
    const text = `userId,movieId,rating,timestamp\n${LINES.join('\n')}\n`;
    const expected = await slow(text);
    expect(expected.rejects.map((r) => r.type === 'reject' && [r.line, r.reason])).toEqual([
      [8, 'ratings.csv: rating 6.0 is out of range 0.5-5'], [9, 'ratings.csv: rating must be a number, found "abc"'],
      [10, 'ratings.csv: rating is empty'], [11, 'ratings.csv: expected 4 comma-separated fields, found 2'],
    ]);
    for (const size of [1, 3, 16, 4096]) expect(await fast(text, size)).toEqual(expected);
  });

  it('agrees with the CSV path on numbers at the edges of the format it scans, with or without a last newline', async () => {
    const edges = [
      '9,8,3.,964982703', '9,9,3.50,1', '9,10,3.125,1', '0,1,3.0,1', '10,1,.5,1', '10,2,3.0.0,1', '10,3,05,1', '1234567890123456,1,3.0,1',
      '123456789012345,4,3.0,1', '11,11,4.0,1234567890123456', '11,12,4.0,123456789012345', '12,12,4.0,1,', '13,13,4.0,', '14,14,0.4,1',
      '14,15,5.0,1', '14,16,5.01,1', '15,1234567,4.5,7', '16,16,4.5,-1', '17,17,+4,1', '18,18,4 ,1',
    ];
    for (const text of [`userId,movieId,rating,timestamp\n${edges.join('\n')}\n`, `userId,movieId,rating,timestamp\n${edges.join('\n')}\n1,1,4.0,5`]) {
      const expected = await slow(text);
      for (const size of [1, 2, 5, 13, 4096]) expect(await fast(text, size)).toEqual(expected);
    }
  });

  it('hands the rest to the CSV parser at a quote, a CR or a non-ASCII byte, with the same line numbers', async () => {
    const cases = [
      `userId,movieId,rating,timestamp\n${LINES.slice(0, 7).join('\n')}\n"9","1",4.0,1\n${LINES.slice(7).join('\n')}\n`,
      `userId,movieId,rating,timestamp\r\n${LINES.join('\r\n')}\r\n`,
      Buffer.concat([Buffer.from(`userId,movieId,rating,timestamp\n${LINES.join('\n')}\n`), Buffer.from([0x31, 0x2c, 0xe9, 0x2c, 0x31, 0x2c, 0x31, 0x0a])]),
      `movieId,userId,rating,timestamp\n${LINES.join('\n')}\n`,
    ];
    for (const text of cases) {
      const expected = await slow(text);
      for (const size of [1, 7, 64, 1 << 20]) expect(await fast(text, size)).toEqual(expected);
    }
  });

  it('fails on a last line cut off and says what is wrong with a bad header', async () => {
    await expect(fast('userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2', 5)).rejects.toThrow('ratings.csv is truncated: its last line 3 is incomplete');
    await expect(fast('userId\tmovieId\trating\ttimestamp\n1\t1\t4.0\t1\n', 5)).rejects.toThrow(/unexpected header .*tab-separated/);
    await expect(fast('', 5)).rejects.toThrow(/is empty/);
  });
});
