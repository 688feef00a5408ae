import type pg from 'pg';
import { prismaOf } from './prisma.js';

/**
 * The operator's status report (`moviec status`, src/cli/status.ts prints it): rows ready to be
 * printed as tables, column names as the tables show them. MovieC's own tables are read through
 * the Prisma client; Graphile Worker's (jobs) with SQL, as they are no part of the data model.
 */

export type StatusRow = Record<string, unknown>;

const pad = (n: number) => String(n).padStart(2, '0');
/** YYYY-MM-DD in local time (the server's zone, as the database reports it). */
const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
/** YYYY-MM-DD HH:MM:SS in local time; null stays null. */
const timestamp = (d: Date | null) => (d ? `${day(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : null);

export async function recentRuns(pool: pg.Pool): Promise<StatusRow[]> {
  const runs = await prismaOf(pool).importRun.findMany({ orderBy: { id: 'desc' }, take: 10 });
  return runs.map((r) => ({
    id: String(r.id), provider: r.providerKey, trigger: r.trigger, status: r.status, read: r.rowsRead, changed: r.rowsChanged,
    rejected: r.rowsRejected, started: timestamp(r.startedAt), finished: timestamp(r.finishedAt), error: r.error ?? '',
  }));
}

export async function jobQueue(pool: pg.Pool): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT task_identifier AS task, count(*)::int AS queued,
            count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS failed
       FROM graphile_worker.jobs GROUP BY task_identifier ORDER BY 1`,
  )).rows;
}

export async function matchReportTable(pool: pg.Pool): Promise<StatusRow[]> {
  const groups = await prismaOf(pool).providerRecord.groupBy({
    by: ['providerKey'],
    _count: { _all: true, movieId: true },
    orderBy: { providerKey: 'asc' },
  });
  return groups.map((g) => {
    const total = g._count._all;
    const matched = g._count.movieId;
    const unmatched = total - matched;
    return { provider: g.providerKey, total, matched, unmatched, 'unmatched %': Math.round((10000 * unmatched) / total) / 100 };
  });
}

export async function unmatchedRows(pool: pg.Pool, provider: string | null, limit: number): Promise<StatusRow[]> {
  const rows = await prismaOf(pool).providerRecord.findMany({
    where: { matchStatus: { in: ['UNMATCHED', 'AMBIGUOUS'] }, ...(provider === null ? {} : { providerKey: provider }) },
    orderBy: [{ providerKey: 'asc' }, { externalId: 'asc' }],
    take: limit,
    select: { providerKey: true, externalId: true, title: true, year: true, matchStatus: true, matchReason: true },
  });
  return rows.map((r) => ({ provider: r.providerKey, id: r.externalId, title: r.title, year: r.year, status: r.matchStatus, reason: r.matchReason }));
}

export async function runErrorRows(pool: pg.Pool, runId: string, limit: number): Promise<StatusRow[]> {
  return prismaOf(pool).importError.findMany({
    where: { runId: BigInt(runId) },
    orderBy: [{ line: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
    take: limit,
    select: { line: true, reference: true, reason: true, excerpt: true },
  });
}

export async function unknownGenreRows(pool: pg.Pool): Promise<StatusRow[]> {
  const rows = await prismaOf(pool).genreAlias.findMany({
    where: { genreId: null },
    orderBy: [{ providerKey: 'asc' }, { alias: 'asc' }],
    select: { providerKey: true, alias: true, createdAt: true },
  });
  return rows.map((r) => ({ provider: r.providerKey, spelling: r.alias, 'first seen': day(r.createdAt) }));
}

export async function failingJobRows(pool: pg.Pool, limit: number): Promise<StatusRow[]> {
  return (await pool.query<StatusRow>(
    `SELECT id, task_identifier AS task, attempts || '/' || max_attempts AS attempts,
            CASE WHEN attempts >= max_attempts THEN 'gave up' ELSE to_char(run_at, 'YYYY-MM-DD HH24:MI:SS') END AS "next attempt",
            coalesce(key, '') AS key, split_part(last_error, chr(10), 1) AS "last error"
       FROM graphile_worker.jobs WHERE last_error IS NOT NULL ORDER BY updated_at DESC LIMIT $1`,
    [limit],
  )).rows;
}
