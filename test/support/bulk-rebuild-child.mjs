// A full rebuild in bulk in a process of its own (on the TypeScript sources), for tests that stop
// it at a fault point (MOVIEC_FAULT_POINT, src/fault-points.ts) and kill it there:
//   node --import ./test/support/ts-register.mjs test/support/bulk-rebuild-child.mjs
// with DATABASE_URL set. Prints one JSON line with aggregateAll's totals when it ends.
const { createPool } = await import('../../src/db/pool.ts');
const { aggregateAll } = await import('../../src/scoring/aggregate.ts');

const pool = createPool(process.env.DATABASE_URL, 4);
try {
  const totals = await aggregateAll(pool, { bulk: true, chunk: 60 });
  process.stdout.write(`${JSON.stringify(totals)}\n`);
} finally {
  await pool.end();
}
