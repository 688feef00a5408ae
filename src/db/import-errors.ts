import type pg from 'pg';
import { storableText } from '../logging/secrets.js';
import { prismaOf } from './prisma.js';

/** import_errors: the rejected input rows of an import run, kept with their reason and an excerpt. */

export interface ImportErrorInput {
  reason: string;
  line?: number;
  reference?: string;
  excerpt?: string;
  /** What of the stored record named by `reference` this rejected row holds unchanged in its run's merge (record-changes.ts). */
  holds?: 'record' | 'ratings';
}

/** The rejected rows of one run as another run's (a run whose input was the same files: src/services/import.ts). */
export async function copyImportErrors(db: pg.Pool | pg.PoolClient, fromRunId: string, toRunId: string): Promise<void> {
  await db.query(
    `INSERT INTO import_errors (run_id, line, reference, reason, excerpt, holds)
     SELECT $2, line, reference, reason, excerpt, holds FROM import_errors WHERE run_id = $1 ORDER BY id`,
    [fromRunId, toRunId],
  );
}

/** Set-based (one statement for a batch, inside the merge's transaction too): SQL. */
export async function recordImportErrors(db: pg.Pool | pg.PoolClient, runId: string, rejects: ImportErrorInput[]): Promise<void> {
  if (!rejects.length) return;
  await db.query(
    `INSERT INTO import_errors (run_id, line, reference, reason, excerpt, holds)
     SELECT $1, x.line, x.reference, x.reason, x.excerpt, x.holds
       FROM jsonb_to_recordset($2::jsonb) AS x(line int, reference text, reason text, excerpt text, holds text)`,
    [
      runId,
      JSON.stringify(
        // Whatever a file or a peer sent: secrets redacted, NUL and control characters escaped, bounded.
        rejects.map((r) => ({
          line: r.line ?? null,
          reference: r.reference === undefined ? null : storableText(r.reference, 200),
          reason: storableText(r.reason, 1000),
          excerpt: r.excerpt === undefined ? null : storableText(r.excerpt, 400),
          holds: r.reference === undefined ? null : (r.holds ?? null),
        })),
      ),
    ],
  );
}

/** Forgets a run's rejected rows (a run that starts over). */
export async function clearImportErrors(pool: pg.Pool, runId: string): Promise<void> {
  await prismaOf(pool).importError.deleteMany({ where: { runId: BigInt(runId) } });
}
