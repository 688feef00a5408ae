import type pg from 'pg';
import { failingJobRows, jobQueue, matchReportTable, recentRuns, runErrorRows, unknownGenreRows, unmatchedRows } from '../db/status.js';
import { withdrawnCounts } from '../db/withdrawals.js';
import { printTable } from './table.js';

/** Prints recent import runs, the job queue, failing jobs and the match report as plain tables. */
export async function printStatus(pool: pg.Pool): Promise<void> {
  const runs = await recentRuns(pool);
  printTable('Recent import runs', runs, 'no import has run yet');

  const queue = await jobQueue(pool);
  printTable('Job queue', queue, 'empty');
  await printFailingJobs(pool);

  const report = await matchReportTable(pool);
  printTable('Match report', report, 'no provider records yet');
  const withdrawn = await withdrawnCounts(pool);
  if (withdrawn.length) {
    printTable(
      `Withdrawn records (missing from their provider's last full file; left out of aggregation after the grace period)`,
      withdrawn.map((w) => ({ provider: w.providerKey, records: w.records, 'left out': w.applied, movies: w.movies })),
    );
  }
  await printUnknownGenres(pool);
}

/** Prints rows that wait for a movie (UNMATCHED or AMBIGUOUS) with the reason. */
export async function printUnmatched(pool: pg.Pool, provider: string | undefined, limit: number): Promise<void> {
  const rows = await unmatchedRows(pool, provider ?? null, limit);
  if (rows.length) printTable(`Rows without a movie (at most ${limit})`, rows, '', { maxCellWidth: 100 });
  else console.log('Every row is matched to a movie.');
}

/** Prints the rejected rows of one import run. */
export async function printRunErrors(pool: pg.Pool, runId: string, limit: number): Promise<void> {
  const rows = await runErrorRows(pool, runId, limit);
  if (rows.length) printTable(`Rejected rows of run ${runId} (at most ${limit})`, rows, '', { maxCellWidth: 100 });
  else console.log(`Run ${runId} rejected no rows.`);
}

/** Prints provider genre spellings no alias maps to a canonical genre. */
export async function printUnknownGenres(pool: pg.Pool): Promise<void> {
  const rows = await unknownGenreRows(pool);
  if (rows.length) printTable('Genre spellings without a canonical genre (kept on the records)', rows);
  else console.log('Every genre spelling is known.');
}

/** Prints jobs whose last attempt failed: retrying ones with their next attempt, and those that gave up. */
export async function printFailingJobs(pool: pg.Pool, limit = 20): Promise<void> {
  const rows = await failingJobRows(pool, limit);
  printTable('Failing jobs', rows, 'none');
}
