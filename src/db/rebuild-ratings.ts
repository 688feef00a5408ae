import type pg from 'pg';
import { RECORDS_SQL, type AggregationRecordRow } from './aggregates.js';
import { REBUILD_RATINGS } from './scoring-priors.js';

export { REBUILD_RATINGS };

/**
 * The ratings a bulk rebuild (db/aggregate-bulk.ts) is about to write, staged in its transaction
 * before it writes any movie, so that the scoring fit is computed from them first
 * (scoring/rebuild-fit.ts) and the movies are scored once, with the fit a refit would adopt.
 */

/** Movies with several records of one provider (mixed: left to Node) or without a title (removed: no ratings). */
const ODD = 'moviec_rebuild_odd';

/**
 * In a bulk rebuild's transaction (every movie is aggregated, none changes meanwhile: the rebuild
 * holds the curated tables), the ratings it will write, before it writes them, so that the
 * scoring fit can be computed from them first (scoring/rebuild-fit.ts). Aggregation counts one
 * record per provider and movie, and a movie whose counted records have no title is removed
 * (scoring/compute.ts): for a movie with one record per provider (all of a first import, nearly
 * all of any catalogue) that is every record, its ratings straight from the records, here. A
 * movie where some provider has several records is left to Node (which of them counts is decided
 * by JavaScript's string order): mixedRebuildRecords reads them, addRebuildRatings takes the result.
 * Returns how many such movies there are.
 */
export async function stageRebuildRatings(client: pg.PoolClient): Promise<number> {
  const live = 'movie_id IS NOT NULL AND withdrawal_applied_at IS NULL';
  // Two scans of the records: the movies that are not simple (some provider with several records,
  // or no title: few), then the ratings of every other movie. Hash aggregation over every record:
  // with the default work_mem it spilled to disk (the real dump: 734k records); set back after.
  const results = (await client.query(
    `SELECT set_config('moviec.rebuild_work_mem', current_setting('work_mem'), true), set_config('work_mem', '128MB', true);
     CREATE TEMP TABLE ${REBUILD_RATINGS} (movie_id uuid, provider_key text, kind text, raw_value float8, votes int) ON COMMIT DROP;
     CREATE TEMP TABLE ${ODD} ON COMMIT DROP AS
       SELECT movie_id, bool_or(several) AS mixed
         FROM (SELECT movie_id, count(*) > 1 AS several, bool_or(title <> '') AS titled
                 FROM provider_records WHERE ${live} GROUP BY movie_id, provider_key) p
        GROUP BY movie_id HAVING bool_or(several) OR NOT bool_or(titled);
     INSERT INTO ${REBUILD_RATINGS} (movie_id, provider_key, kind, raw_value, votes)
       SELECT pr.movie_id, pr.provider_key, x.kind, x.value, x.votes
         FROM provider_records pr CROSS JOIN LATERAL jsonb_to_recordset(pr.ratings) AS x(kind text, value float8, votes int)
        WHERE pr.${live} AND pr.ratings <> '[]'::jsonb AND pr.movie_id NOT IN (SELECT movie_id FROM ${ODD});
     SELECT set_config('work_mem', current_setting('moviec.rebuild_work_mem'), true);
     SELECT count(*)::int AS n FROM ${ODD} WHERE mixed;`,
  )) as unknown as pg.QueryResult[];
  return (results[5]!.rows[0] as { n: number }).n;
}

/** The records of the movies stageRebuildRatings left to Node, `limit` movies after `after` in id order. */
export async function mixedRebuildRecords(client: pg.PoolClient, after: string, limit: number): Promise<{ ids: string[]; records: AggregationRecordRow[] }> {
  const { rows } = await client.query<{ movie_id: string }>(
    `SELECT movie_id FROM ${ODD} WHERE mixed AND movie_id > $1 ORDER BY movie_id LIMIT $2`,
    [after, limit],
  );
  const ids = rows.map((r) => r.movie_id);
  if (!ids.length) return { ids, records: [] };
  const records = await client.query<AggregationRecordRow>(`${RECORDS_SQL} AND movie_id = ANY($1::uuid[])`, [ids]);
  return { ids, records: records.rows };
}

/** Ratings computed in Node for the rebuild's mixed movies. */
export async function addRebuildRatings(
  client: pg.PoolClient, rows: { movie_id: string; provider_key: string; kind: string; raw_value: number; votes: number | null }[],
): Promise<void> {
  if (!rows.length) return;
  await client.query(
    `INSERT INTO ${REBUILD_RATINGS} (movie_id, provider_key, kind, raw_value, votes)
     SELECT movie_id, provider_key, kind, raw_value, votes
       FROM jsonb_to_recordset($1::jsonb) AS x(movie_id uuid, provider_key text, kind text, raw_value float8, votes int)`,
    [JSON.stringify(rows)],
  );
}
