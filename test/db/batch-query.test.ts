import type pg from 'pg';
import { batchQuery, connectionChain } from '../../src/db/batch-query.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// The bulk rebuild writes a chunk as one query of many statements whose COPY data is sent with it
// (db/batch-query.ts): what PostgreSQL makes of it, and of a failure in the middle of it.
describe('batchQuery: statements and COPYs in one round trip', () => {
  let db: TestDatabase;
  let client: pg.PoolClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = await db.pool.connect();
    await client.query('CREATE TABLE batch_a (n int, t text); CREATE TABLE batch_b (n int)');
  });
  afterAll(async () => {
    client.release();
    await db.drop();
  });
  beforeEach(async () => {
    await client.query('TRUNCATE batch_a, batch_b');
  });

  const rows = async () => ({
    a: (await client.query('SELECT n, t FROM batch_a ORDER BY n')).rows,
    b: (await client.query('SELECT n FROM batch_b ORDER BY n')).rows,
  });

  it('copies each input into its COPY, runs the statements after them and returns the COPY out', async () => {
    const out = await batchQuery(
      client,
      [
        'COPY batch_a FROM STDIN',
        'COPY batch_b FROM STDIN',
        'INSERT INTO batch_b SELECT n * 10 FROM batch_a',
        `COPY (SELECT n, t FROM batch_a ORDER BY n) TO STDOUT`,
        'SELECT 1',
        'DELETE FROM batch_a WHERE n = 1',
      ].join(';\n'),
      [
        // A line split across pieces, and text beyond ASCII.
        [Buffer.from('1\tone\n2\tdeu'), Buffer.from('x \u00e9t\u00e9 \u65e5\u672c\n3\t\\N\n')],
        [Buffer.from('7\n')],
      ],
    );
    expect(Buffer.concat(out).toString('utf8')).toBe('1\tone\n2\tdeux \u00e9t\u00e9 \u65e5\u672c\n3\t\\N\n');
    expect(await rows()).toEqual({
      a: [{ n: 2, t: 'deux \u00e9t\u00e9 \u65e5\u672c' }, { n: 3, t: null }],
      b: [{ n: 7 }, { n: 10 }, { n: 20 }, { n: 30 }],
    });
  });

  it('returns a large COPY out whole, copied out of the reused read buffer', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\t${'x'.repeat(i % 97)}\n`).join('');
    const out = await batchQuery(client, 'COPY batch_a FROM STDIN; COPY (SELECT n, t FROM batch_a ORDER BY n) TO STDOUT', [[Buffer.from(lines)]]);
    expect(Buffer.concat(out).toString('utf8')).toBe(lines);
  });

  it('sends an empty input as a COPY of no rows', async () => {
    await batchQuery(client, 'COPY batch_a FROM STDIN; COPY batch_b FROM STDIN', [[], [Buffer.from('5\n')]]);
    expect(await rows()).toEqual({ a: [], b: [{ n: 5 }] });
  });

  it('fails with the first error, drops the COPY data not read, and the connection answers the next query', async () => {
    // The first COPY's data is not valid: the rest of the query is skipped, the second COPY's data dropped.
    await expect(
      batchQuery(client, 'COPY batch_a FROM STDIN; COPY batch_b FROM STDIN; INSERT INTO batch_b VALUES (99)', [
        [Buffer.from('1\tok\nnot a number\tbad\n')],
        [Buffer.from('8\n9\n')],
      ]),
    ).rejects.toThrow(/invalid input syntax for type integer/);
    expect(await rows()).toEqual({ a: [], b: [] });

    // A statement after the COPYs fails: nothing of the query stays (one implicit transaction).
    await expect(
      batchQuery(client, 'COPY batch_a FROM STDIN; SELECT 1 / 0; COPY batch_b FROM STDIN', [[Buffer.from('1\tok\n')], [Buffer.from('8\n')]]),
    ).rejects.toThrow(/division by zero/);
    expect(await rows()).toEqual({ a: [], b: [] });
    expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
  });

  it('in a transaction, a failed batch fails the transaction and ROLLBACK ends it', async () => {
    await client.query('BEGIN');
    await batchQuery(client, 'COPY batch_b FROM STDIN', [[Buffer.from('1\n')]]);
    await expect(batchQuery(client, 'COPY batch_b FROM STDIN', [[Buffer.from('x\n')]])).rejects.toThrow(/invalid input syntax/);
    await expect(client.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await client.query('ROLLBACK');
    expect(await rows()).toEqual({ a: [], b: [] });
  });
});

describe('connectionChain', () => {
  it('runs each operation after the previous one settled, in the order added, a failure included', async () => {
    const chain = connectionChain();
    const events: string[] = [];
    const step = (name: string, fail = false) =>
      chain(async () => {
        events.push(`${name} start`);
        await new Promise<void>((resolve) => setImmediate(resolve));
        events.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      });
    const a = step('a');
    const b = step('b', true);
    const c = step('c');
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    await chain.idle();
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });
});
