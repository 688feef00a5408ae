import type pg from 'pg';
import { addRecordsLinkedByTmdbId, applyPinnedMatches, dropRejectedLinks, linkChangesByTmdbId, PINNED, rejected } from '../db/match-links.js';
import { recordsAwaitingTitleMatch } from '../db/match-records.js';
import { matchByTitle, type TitleQuery } from './title-match.js';

/**
 * Matches the records listed in the temp table `changed_records (id, previous_movie_id)` to
 * curated movies, inside the caller's transaction, and returns every movie whose aggregate may
 * have changed: the one each record belongs to now and the one it belonged to before (so a row
 * that moves re-aggregates both).
 *
 * 0. Corrections: a record leaves a movie an admin rejected for it; a confirmed or relinked
 *    record is on its movie (method `manual`) and nothing else moves it (src/db/match-links.ts).
 * 1. Shared ids: a record with an IMDb tconst belongs to the movie with that tconst; a provider
 *    that may create movies (providers.creates_movies) creates it when none exists yet. Then TMDB
 *    ids, both ways: a TMDB record joins the movie whose MovieLens link names its id, and a
 *    record linking to a TMDB id brings that TMDB record along. An id match overrides an earlier
 *    title match.
 * 2. Otherwise title + year (src/matching/title-match.ts): every alternate title, sequel numbers
 *    and subtitles, ids that contradict and evidence; one clear winner or none.
 * 3. Still nothing: a creating provider creates the movie; any other row stays UNMATCHED or
 *    AMBIGUOUS with the reason, and is retried when new movies appear (rematchUnmatched).
 */
export async function matchChangedRecords(client: pg.PoolClient): Promise<string[]> {
  await matchChangedRecordsInto(client);
  const { rows } = await client.query<{ movie_id: string }>('SELECT movie_id FROM changed_movies');
  return rows.map((r) => r.movie_id);
}

/**
 * As matchChangedRecords, but the movies stay in the database: they are left in the temp table
 * `changed_movies (movie_id)` (dropped at commit) for enqueueChangedMovies, and only their number
 * comes back, so an import of any size holds no id list in memory.
 */
export async function matchChangedRecordsInto(client: pg.PoolClient): Promise<number> {
  await dropRejectedLinks(client);
  await applyPinnedMatches(client);
  await client.query(
    `INSERT INTO movies (imdb_id, title, year)
     SELECT DISTINCT ON (pr.imdb_id) pr.imdb_id, coalesce(pr.title, pr.imdb_id), pr.year
       FROM provider_records pr
       JOIN changed_records c ON c.id = pr.id
       JOIN providers p ON p.key = pr.provider_key AND p.creates_movies
      WHERE pr.imdb_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = pr.imdb_id)
      ORDER BY pr.imdb_id
     ON CONFLICT (imdb_id) DO NOTHING`,
  );
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = m.id, match_status = 'MATCHED', match_method = 'imdb_id', match_confidence = 1, match_reason = NULL
       FROM changed_records c, movies m
      WHERE c.id = pr.id AND m.imdb_id = pr.imdb_id AND NOT ${PINNED} AND NOT ${rejected('m.id')}
        -- Rows the merge already linked by id are not written again.
        AND (pr.movie_id IS DISTINCT FROM m.id OR pr.match_status <> 'MATCHED' OR pr.match_method IS DISTINCT FROM 'imdb_id'
             OR pr.match_confidence IS DISTINCT FROM 1 OR pr.match_reason IS NOT NULL)`,
  );

  await addRecordsLinkedByTmdbId(client);
  await linkChangesByTmdbId(client);
  const pending = await recordsAwaitingTitleMatch(client);
  if (pending.length) await applyTitleMatches(client, pending);

  await client.query('DROP TABLE IF EXISTS changed_movies');
  const { rowCount } = await client.query(
    `CREATE TEMP TABLE changed_movies ON COMMIT DROP AS
     SELECT pr.movie_id FROM provider_records pr JOIN changed_records c ON c.id = pr.id WHERE pr.movie_id IS NOT NULL
     UNION
     SELECT previous_movie_id FROM changed_records WHERE previous_movie_id IS NOT NULL`,
  );
  return rowCount ?? 0;
}

async function applyTitleMatches(client: pg.PoolClient, pending: (TitleQuery & { createsMovies: boolean })[]): Promise<void> {
  const matches = await matchByTitle(client, pending);
  const updates = pending.map((q) => {
    const match = matches.get(q.recordId)!;
    if (match.kind === 'matched') {
      return { id: q.recordId, movie_id: match.movieId, status: 'MATCHED', method: 'title_year', confidence: match.confidence, reason: match.reason, create: false };
    }
    // An id-bearing provider's film that no one has yet is a new movie; an ambiguous one is not.
    const create = q.createsMovies && match.kind === 'none' && !!q.title;
    return {
      id: q.recordId, movie_id: null, status: match.kind === 'ambiguous' ? 'AMBIGUOUS' : 'UNMATCHED',
      method: null, confidence: null, reason: match.reason, create,
    };
  });
  await client.query(
    `UPDATE provider_records pr
        SET movie_id = x.movie_id, match_status = x.status::"MatchStatus", match_method = x.method,
            match_confidence = x.confidence, match_reason = x.reason
       FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, movie_id uuid, status text, method text, confidence float8, reason text)
      WHERE pr.id = x.id`,
    [JSON.stringify(updates)],
  );
  const toCreate = updates.filter((u) => u.create).map((u) => u.id);
  if (toCreate.length) {
    // Ids are drawn first so each new movie is paired with its record in one statement.
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
      [toCreate],
    );
  }
}

/**
 * Retries title matching for every UNMATCHED or AMBIGUOUS record (run after new movies appear)
 * and returns the movies that gained records.
 */
export async function rematchUnmatched(client: pg.PoolClient): Promise<string[]> {
  await client.query(
    `CREATE TEMP TABLE changed_records (id bigint PRIMARY KEY, previous_movie_id uuid) ON COMMIT DROP`,
  );
  await client.query(
    `INSERT INTO changed_records (id, previous_movie_id)
     SELECT id, NULL::uuid FROM provider_records WHERE match_status IN ('UNMATCHED', 'AMBIGUOUS')`,
  );
  return matchChangedRecords(client);
}
