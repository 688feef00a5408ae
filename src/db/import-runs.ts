import type pg from 'pg';
import { storableText } from '../logging/secrets.js';
import { JOB, jobKey } from '../jobs.js';
import type { SourceLocation } from '../sources/types.js';
import { prismaOf } from './prisma.js';

/**
 * import_runs: one import of one provider, from QUEUED to SUCCEEDED, PARTIAL or FAILED. Single-run
 * reads and writes go through the Prisma client (src/db/prisma.ts); SQL stays where a statement is
 * part of a caller's transaction (a pg client), joins Graphile Worker's tables or tests jsonb keys.
 */

/** A run id as the database keys it (ids travel as decimal strings). */
const runKey = (runId: string): bigint => BigInt(runId);

export type FinalStatus = 'SUCCEEDED' | 'PARTIAL' | 'FAILED';

/** Records a QUEUED run; returns its id. */
export async function createImportRun(
  db: pg.Pool | pg.PoolClient,
  providerKey: string,
  trigger: string,
  source: SourceLocation,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO import_runs (provider_key, trigger, source) VALUES ($1, $2, $3) RETURNING id`,
    [providerKey, trigger, JSON.stringify(source)],
  );
  return rows[0]!.id;
}

/**
 * Marks a QUEUED run (or a RUNNING one whose worker died) RUNNING with its counts reset; null when
 * the run is not pending (already finished).
 */
export async function startImportRun(pool: pg.Pool, runId: string): Promise<{ provider_key: string; source: SourceLocation } | null> {
  const [run] = await prismaOf(pool).importRun.updateManyAndReturn({
    where: { id: runKey(runId), status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'RUNNING', startedAt: new Date(), finishedAt: null, error: null, rowsRead: 0, rowsChanged: 0, rowsRejected: 0, moviesQueued: 0 },
    select: { providerKey: true, source: true },
  });
  return run ? { provider_key: run.providerKey, source: run.source as SourceLocation } : null;
}

/** rows_read while reading, for pollers. */
export async function reportRowsRead(pool: pg.Pool, runId: string, rowsRead: number): Promise<void> {
  await prismaOf(pool).importRun.updateMany({ where: { id: runKey(runId) }, data: { rowsRead } });
}

export async function finishImportRun(
  db: pg.Pool | pg.PoolClient,
  runId: string,
  outcome: {
    status: FinalStatus; rowsRead: number; rowsChanged: number; rowsRejected: number; moviesQueued: number; rowsWithdrawn?: number;
    /** The run's input identity (src/sources/input-digest.ts), when it has one. */
    inputDigest?: string | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE import_runs SET status = $2, rows_read = $3, rows_changed = $4, rows_rejected = $5,
            movies_queued = $6, rows_withdrawn = $7, input_digest = $8, finished_at = now() WHERE id = $1`,
    [runId, outcome.status, outcome.rowsRead, outcome.rowsChanged, outcome.rowsRejected, outcome.moviesQueued, outcome.rowsWithdrawn ?? 0,
      outcome.inputDigest ?? null],
  );
}

/**
 * The provider's last finished run (succeeded or partial) when its input had this digest: the same
 * files, read the same way, last merged, so reading them again changes nothing. Null otherwise
 * (another run came between, or the input differs).
 */
export async function findRunOfSameInput(db: pg.Pool | pg.PoolClient, providerKey: string, runId: string, digest: string) {
  const { rows } = await db.query<{ id: string; status: 'SUCCEEDED' | 'PARTIAL'; rowsRead: number; rowsRejected: number }>(
    `SELECT id, status, "rowsRead", "rowsRejected" FROM (
       SELECT id, status::text AS status, rows_read AS "rowsRead", rows_rejected AS "rowsRejected", input_digest FROM import_runs
        WHERE provider_key = $1 AND id <> $2 AND status IN ('SUCCEEDED', 'PARTIAL')
        ORDER BY finished_at DESC LIMIT 1) last
      WHERE input_digest = $3`,
    [providerKey, runId, digest],
  );
  return rows[0] ?? null;
}

/** Records a run FAILED; the error is stored storable (secrets redacted, NUL and control characters escaped). */
export async function failImportRun(pool: pg.Pool, runId: string, error: string, rowsRead: number, rowsRejected: number): Promise<void> {
  await prismaOf(pool).importRun.updateMany({
    where: { id: runKey(runId) },
    data: { status: 'FAILED', error: storableText(error), rowsRead, rowsRejected, finishedAt: new Date() },
  });
}

/** The provider's last successful full run before this one (where an incremental import resumes). */
export async function findPreviousRun(db: pg.Pool, providerKey: string, runId: string) {
  const { rows } = await db.query<{ id: string; startedAt: Date; finishedAt: Date; source: SourceLocation }>(
    `SELECT id, started_at AS "startedAt", finished_at AS "finishedAt", source FROM import_runs
      WHERE provider_key = $1 AND id <> $2 AND status IN ('SUCCEEDED', 'PARTIAL')
        AND NOT source ? 'ids' -- a run for a few chosen movies is no point to resume a full sync from
      ORDER BY finished_at DESC LIMIT 1`,
    [providerKey, runId],
  );
  return rows[0] ?? null;
}

/**
 * Fails the runs whose ingest job used up its attempts without finishing (a worker that died on it
 * every time), with the reason; returns their ids.
 */
export async function failAbandonedRuns(db: pg.Pool): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE import_runs r SET status = 'FAILED', finished_at = now(),
            error = 'Import failed: the worker running it ended unexpectedly ' || j.attempts || ' time(s); nothing in the catalogue changed'
       FROM graphile_worker.jobs j
      WHERE j.task_identifier = $1 AND j.key = $2::text || r.id AND r.status IN ('QUEUED', 'RUNNING')
        AND j.locked_at IS NULL AND j.attempts >= j.max_attempts
      RETURNING r.id`,
    [JOB.ingest, jobKey.ingest('')],
  );
  return rows.map((r) => r.id);
}

/** A run as pollers see it (moviec import, the sample loader, the inbox). */
export interface RunState {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED';
  rows_read: number;
  rows_changed: number;
  rows_rejected: number;
  movies_queued: number;
  error: string | null;
}

export async function runState(pool: pg.Pool, runId: string): Promise<RunState | null> {
  const run = await prismaOf(pool).importRun.findUnique({
    where: { id: runKey(runId) },
    select: { id: true, status: true, rowsRead: true, rowsChanged: true, rowsRejected: true, moviesQueued: true, error: true },
  });
  if (!run) return null;
  return {
    id: String(run.id), status: run.status, rows_read: run.rowsRead, rows_changed: run.rowsChanged,
    rows_rejected: run.rowsRejected, movies_queued: run.moviesQueued, error: run.error,
  };
}

/** The provider's oldest run still QUEUED or RUNNING, if any. */
export async function activeRunOf(pool: pg.Pool, providerKey: string): Promise<{ id: string; status: string } | null> {
  const run = await prismaOf(pool).importRun.findFirst({
    where: { providerKey, status: { in: ['QUEUED', 'RUNNING'] } },
    orderBy: { id: 'asc' },
    select: { id: true, status: true },
  });
  return run ? { id: String(run.id), status: run.status } : null;
}

/** Where the provider's last successful full import read from (runs for chosen ids do not count). */
export async function lastSuccessfulSource(db: pg.Pool, providerKey: string): Promise<SourceLocation | null> {
  const { rows } = await db.query<{ source: SourceLocation }>(
    `SELECT source FROM import_runs
      WHERE provider_key = $1 AND status IN ('SUCCEEDED', 'PARTIAL') AND NOT source ? 'ids'
      ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`,
    [providerKey],
  );
  return rows[0]?.source ?? null;
}

/** The newest inbox run whose source mentions `fragment` (a claim's folder). */
export async function latestInboxRunMentioning(db: pg.Pool, fragment: string): Promise<{ id: string; provider_key: string } | null> {
  const { rows } = await db.query<{ id: string; provider_key: string }>(
    `SELECT id, provider_key FROM import_runs WHERE trigger = 'inbox' AND strpos(source::text, $1) > 0 ORDER BY id DESC LIMIT 1`,
    [fragment],
  );
  return rows[0] ?? null;
}

/** Whether the database holds no movie and no import run yet (a fresh installation). */
export async function isCatalogueEmpty(pool: pg.Pool): Promise<boolean> {
  const prisma = prismaOf(pool);
  const [movie, run] = await Promise.all([
    prisma.movie.findFirst({ select: { id: true } }),
    prisma.importRun.findFirst({ select: { id: true } }),
  ]);
  return !movie && !run;
}
