import type pg from 'pg';

/**
 * provider_records: the raw per-provider rows and their link to a curated movie. (The merge of an
 * import's staging rows is in record-changes.ts, which owns that transaction's hand-offs.)
 */

/** A matching decision for one record: linked to a movie, or left without one with the reason. */
export interface MatchDecision {
  id: string;
  movie_id: string | null;
  status: 'MATCHED' | 'UNMATCHED' | 'AMBIGUOUS';
  method: string | null;
  confidence: number | null;
  reason: string | null;
}

/** Writes matching decisions, one statement for the whole set. */
export async function writeMatchDecisions(client: pg.PoolClient, decisions: MatchDecision[]): Promise<void> {
  if (!decisions.length) return;
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = x.movie_id, match_status = x.status::"MatchStatus", match_method = x.method,
            match_confidence = x.confidence, match_reason = x.reason
       FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, movie_id uuid, status text, method text, confidence float8, reason text)
      WHERE pr.id = x.id`,
    [JSON.stringify(decisions)],
  );
}

/**
 * Creates one new movie per record (from the record's title and year) and links the record to it
 * (match method `created`). Ids are drawn first so each new movie is paired with its record in one
 * statement.
 */
export async function createMoviesForRecords(client: pg.PoolClient, recordIds: string[]): Promise<void> {
  if (!recordIds.length) return;
  await client.query(
    `WITH new AS (
       SELECT pr.id AS record_id, gen_random_uuid() AS movie_id, pr.title, pr.year
         FROM provider_records pr WHERE pr.id = ANY($1::bigint[])
     ), inserted AS (
       INSERT INTO movies (id, title, year) SELECT movie_id, title, year FROM new
     )
     UPDATE provider_records pr
        SET movie_id = n.movie_id, match_status = 'MATCHED', match_method = 'created', match_confidence = 1,
            match_reason = 'a new movie: ' || pr.match_reason
       FROM new n WHERE pr.id = n.record_id`,
    [recordIds],
  );
}
