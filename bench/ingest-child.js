// One import through the real pipeline (queueImport + executeImport: staging, merge, matching,
// aggregation queued), in a process of its own so that its peak RSS is the ingest's alone.
//   node bench/ingest-child.js DATABASE_URL PROVIDER LOCATION_JSON
// Prints one JSON line: the outcome, the wall time and the process's VmHWM.
import { readFileSync } from 'node:fs';
import { createPool } from '../dist/db/pool.js';
import { executeImport, queueImport } from '../dist/services/import.js';

const [url, provider, locationJson] = process.argv.slice(2);
const pool = createPool(url, 4);
try {
  const runId = await queueImport(pool, provider, JSON.parse(locationJson), 'cli');
  const started = performance.now();
  const outcome = await executeImport(pool, runId);
  const ms = performance.now() - started;
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  process.stdout.write(`${JSON.stringify({ outcome, ms, vmHwmKb: kb('VmHWM'), vmRssKb: kb('VmRSS') })}\n`);
} finally {
  await pool.end();
}
