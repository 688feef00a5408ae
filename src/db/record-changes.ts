import type pg from 'pg';
import { JOB, jobKey } from '../jobs.js';
import { enqueueAggregationChunks, PER_MOVIE_JOB_LIMIT } from './jobs.js';
import { beginBulkLoad } from './bulk-load.js';
import { enoughMoviesToDefer } from './deferred-indexes.js';
import { FIRST_LOAD_UNLINKED, PINNED, rejected } from './match-links.js';

/**
 * The records one import step changed, and the movies they touch, inside one transaction.
 *
 * This module owns the hand-off between merge, matching and the job queue. The changed records
 * stay in the database (an import of any size holds no id list in Node): the temp tables
 * `changed_records (id, previous_movie_id)` and `changed_movies (movie_id)` are created, read and
 * dropped (at commit) only here. Callers hold them as an explicit value, a `ChangedRecords` from
 * mergeStagedRun / markChanged / waitingRecords, and pass it to the steps that read it.
 */

/** The records changed in this transaction (the temp table changed_records), for matching and queueing. */
export interface ChangedRecords {
  readonly client: pg.PoolClient;
  /** How many records changed. */
  readonly count: number;
  /**
   * The records were written by a first load into an empty catalogue (bulk-load.ts): there are no
   * match corrections (they name movies, and there were none) and every IMDb id link the records
   * allow was made as they were written, so matching has no correction to apply and no IMDb id to
   * link. Every record of provider_records is a changed one, all of one provider: the temp table
   * changed_records does not list them (it starts empty).
   */
  readonly firstLoad?: boolean;
}

/**
 * The provider's field rules as the merge applies them (src/ingest/merge.ts derives them from
 * ProviderDefinition.fieldRules): the columns and rating kinds whose stored value a blank keeps.
 */
export interface BlankKeeps {
  columns: KeptColumn[];
  ratingKinds: string[];
}

/** The provider_records columns a blank rule applies to, by RuleField name (src/sources/types.ts). */
export const KEPT_COLUMNS = {
  title: 'title', originalTitle: 'original_title', year: 'year', releaseDate: 'release_date', runtimeMinutes: 'runtime_minutes',
  genres: 'genres', imdbId: 'imdb_id', tmdbId: 'tmdb_id', directors: 'directors', overview: 'overview', posterUrl: 'poster_url',
} as const;
export type KeptColumn = keyof typeof KEPT_COLUMNS;
const ARRAY_COLUMNS = new Set<KeptColumn>(['genres', 'directors']);

/** A staged record's columns (src/db/staging.ts), the fields incoming is made of. */
const STAGED_COLUMNS = `title, original_title, year, release_date, runtime_minutes, genres, ratings, imdb_id, tmdb_id, directors,
         overview, poster_url, is_adult, payload, removed, record_text`;

/**
 * The last staged row of each external id of run $1 (`latest`: staging id, external id, the
 * record's columns) and the separate ratings stream's ratings per id (`separate_ratings`: their
 * jsonb text, the text jsonb_agg of the ratings printed). When the input repeats no external id
 * (`unique`), every staged row is the last of its id: no sort of the whole input by external id
 * and no join back to the records by staging id.
 */
const latestRows = (unique: boolean) => `latest AS (
       ${unique
    ? `SELECT id, external_id, ${STAGED_COLUMNS} FROM import_staging_records WHERE run_id = $1`
    : `SELECT s.id, s.external_id, ${STAGED_COLUMNS.replace(/(\w+)/g, 's.$1')} FROM import_staging_records s
           WHERE s.id IN (SELECT DISTINCT ON (external_id) id FROM import_staging_records WHERE run_id = $1 ORDER BY external_id, id DESC)`}
     ), separate_ratings AS (
       SELECT external_id,
              -- Each rating's jsonb text, as the importer built it (staging.ts stagedRatingLine) or,
              -- without it, from the columns: sourceUpdatedAt only when the provider dates the
              -- rating, as in a record's own ratings. Joined as jsonb_agg prints an array.
              '[' || string_agg(coalesce(element, (jsonb_build_object('kind', kind, 'value', value, 'votes', votes)
                        || CASE WHEN source_updated_at IS NULL THEN '{}'::jsonb
                                ELSE jsonb_build_object('sourceUpdatedAt', to_char(source_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END)::text),
                        ', ' ORDER BY kind) || ']' AS ratings
         FROM (SELECT DISTINCT ON (external_id, kind) external_id, kind, value, votes, source_updated_at, element
                 FROM import_staging_ratings WHERE run_id = $1
                ORDER BY external_id, kind, id DESC) r
        GROUP BY external_id
     )`;

/**
 * The content hash of a staged record (`row`) and its separate ratings' text (`separate`): md5 of the
 * record's jsonb text and the ratings' (the recipe of the stored hashes since the records were
 * staged as jsonb: md5(record::text || ratings::text)).
 */
const contentHash = (row: string, separate: string) => `md5(${row}.record_text || coalesce(${separate}, ''))`;

/** incoming's columns from the staged record `x` and its separate ratings' jsonb text (`separate`). */
const expandedColumns = (separate: string) => `x.title, x.original_title, x.year, x.release_date::date AS release_date,
            x.runtime_minutes, coalesce(x.genres, '{}') AS genres,
            coalesce(${separate}::jsonb, x.ratings, '[]'::jsonb) AS ratings,
            x.imdb_id, x.tmdb_id, coalesce(x.directors, '{}') AS directors, x.overview, x.poster_url, coalesce(x.is_adult, false) AS is_adult, x.payload,
            coalesce(x.removed, '{}') AS removed`;

/** The merge's work_mem (mergeStagedRun): sorts and hashes of a whole run's rows stay in memory. */
const MERGE_WORK_MEM = '256MB';

/**
 * The rating of the primary kind ($3) among an incoming row's ratings (`i.ratings`, a jsonb
 * array): the first element of that kind. That is the first element itself when it is of that
 * kind (a provider with one kind of rating, as IMDb), else a search of the array when it holds
 * more than one element; an empty array, or one element of another kind, has none. A lateral
 * jsonb_array_elements for every row cost ~1 s of CPU at the real dump's 734k records (half of
 * them without ratings).
 */
const PRIMARY_RATING = `(CASE WHEN i.ratings->0->>'kind' = $3 THEN i.ratings->0
  WHEN jsonb_array_length(i.ratings) > 1 THEN (SELECT r FROM jsonb_array_elements(i.ratings) r WHERE r->>'kind' = $3 LIMIT 1) END)`;

export interface MergeResult {
  /** Provider records inserted or whose content changed. */
  rowsChanged: number;
  /** Records the input held (read, or named by a rejected row that holds them): 0 means nothing to compare a full snapshot with. */
  recordsSeen: number;
  /** External ids that appeared more than once in the input (the last row wins). */
  duplicates: { externalId: string; keptLine: number | null; count: number }[];
  /** The changed records, for matching and queueAggregationOfChanges. */
  changes: ChangedRecords;
  /** A bulk load into an empty catalogue (bulk-load.ts): every record is new, none was stored before. */
  firstLoad: boolean;
}

/**
 * Merges a run's staging rows into provider_records, inside the caller's transaction. Rows are
 * compared by content hash: only new or changed rows are written (they are the returned
 * `changes`, each with the movie it belonged to before); unchanged ones are only seen (a partial
 * input stamps their last_seen_at; a `fullSnapshot` writes nothing for them, see markSnapshotSeen).
 * `primaryKind` is the rating kind stored in the record's rating/votes columns. `distinctIds`: the
 * staged records' external ids are known to be distinct (StagingWriter.idsDistinct): no query for
 * repeated ones.
 */
export async function mergeStagedRun(
  client: pg.PoolClient, runId: string, providerKey: string, primaryKind: string, keeps: BlankKeeps = { columns: [], ratingKinds: [] },
  fullSnapshot = false, distinctIds = false,
): Promise<MergeResult> {
  // Fresh statistics first: staging tables just grew by the whole input, and with the stale ones
  // the planner can pick a nested loop over the ratings aggregate (seen: MovieLens at 1M, minutes).
  // Only the columns the merge joins and groups on: statistics of the jsonb records cost seconds at 1M rows.
  await client.query('ANALYZE import_staging_records (run_id, external_id), import_staging_ratings (run_id, external_id)');
  // Sorts and hashes of a whole run's rows stay in memory (the default 4 MB spilled to disk at 1M
  // lines; 64 MB still spilled the real dump's movie ids and the records' join with the movies).
  await client.query(`SELECT set_config('work_mem', $1, true)`, [MERGE_WORK_MEM]);
  // Repeated external ids: counted first (one hash of the ids), the kept line only for those
  // repeated (an ordered aggregate per id sorted the whole input by id and staging id); none when
  // the importer saw them distinct (a scan of the whole staged input less).
  const { rows: duplicates } = distinctIds ? { rows: [] } : await client.query<{ externalId: string; keptLine: number | null; count: number }>(
    `SELECT s.external_id AS "externalId", (array_agg(s.line ORDER BY s.id DESC))[1] AS "keptLine", count(*)::int AS count
       FROM import_staging_records s
      WHERE s.run_id = $1
        AND s.external_id IN (SELECT external_id FROM import_staging_records WHERE run_id = $1 GROUP BY external_id HAVING count(*) > 1)
      GROUP BY s.external_id
      ORDER BY s.external_id`,
    [runId],
  );
  // Every record the input holds (its last row), with the content hash the stored row is compared
  // by, before any record is copied: an unchanged row is only "seen" (issue 18: an unchanged
  // re-import copies and rewrites nothing). A provider's first load has nothing to compare with:
  // its rows are copied in the same pass.
  const { rows: stored } = await client.query<{ any: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM provider_records WHERE provider_key = $1) AS any',
    [providerKey],
  );
  await client.query('DROP TABLE IF EXISTS staged');
  if (stored[0]!.any) {
    await client.query(
      `CREATE TEMP TABLE staged ON COMMIT DROP AS
       WITH ${latestRows(!duplicates.length)}
       SELECT l.id AS staging_id, l.external_id, sr.ratings AS separate_ratings, ${contentHash('l', 'sr.ratings')} AS content_hash
         FROM latest l
         LEFT JOIN separate_ratings sr ON sr.external_id = l.external_id`,
      [runId],
    );
    await client.query('ANALYZE staged (external_id, content_hash)');
    // The records to write: new, or changed (by content hash). Rows whose hash is the stored one
    // would be left as they are by the upsert (and are not new movies, nor movies to lock).
    await client.query(
      `CREATE TEMP TABLE incoming ON COMMIT DROP AS
       SELECT s.external_id, ${expandedColumns('s.separate_ratings')}, s.content_hash
         FROM staged s
         JOIN import_staging_records x ON x.id = s.staging_id
        WHERE NOT EXISTS (SELECT 1 FROM provider_records pr
                           WHERE pr.provider_key = $1 AND pr.external_id = s.external_id AND pr.content_hash = s.content_hash)`,
      [providerKey],
    );
  } else {
    await client.query(
      `CREATE TEMP TABLE incoming ON COMMIT DROP AS
       WITH ${latestRows(!duplicates.length)}
       SELECT x.external_id, ${expandedColumns('sr.ratings')}, ${contentHash('x', 'sr.ratings')} AS content_hash
         FROM latest x
         LEFT JOIN separate_ratings sr ON sr.external_id = x.external_id`,
      [runId],
    );
    await client.query('CREATE TEMP TABLE staged ON COMMIT DROP AS SELECT external_id, content_hash FROM incoming');
  }

  // Temp tables are never analysed by autovacuum; the joins below use only these columns.
  await client.query('ANALYZE incoming (external_id, imdb_id, content_hash)');
  await applyHoldsAndBlankRules(client, runId, providerKey, keeps, stored[0]!.any);

  // A provider that creates movies creates them for its new or changed id-bearing rows before the
  // rows are written, so each row is written once, already linked by its id (matchChangedRecords
  // then has nothing left to do for them) instead of written and then updated with its movie.
  const bulk = await beginBulkLoad(client);
  let rowCount: number | null;
  if (bulk) {
    rowCount = await insertFirstLoad(client, runId, providerKey, primaryKind);
  } else {
    await insertMoviesDeferringSearch(
      client,
      `INSERT INTO movies (imdb_id, title, year)
       SELECT DISTINCT ON (i.imdb_id) i.imdb_id, coalesce(i.title, i.imdb_id), i.year
         FROM incoming i
         JOIN providers p ON p.key = $1 AND p.creates_movies
        WHERE i.imdb_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = i.imdb_id)
          AND NOT EXISTS (SELECT 1 FROM provider_records pr
                           WHERE pr.provider_key = $1 AND pr.external_id = i.external_id AND pr.content_hash = i.content_hash)
        ORDER BY i.imdb_id
       ON CONFLICT (imdb_id) DO NOTHING`,
      [providerKey],
    );

    // The movies the upsert below links changed rows to, locked first in id order, the order
    // aggregation locks movies in: the upsert's foreign-key checks would otherwise take these locks
    // in row order and could deadlock with an aggregation chunk holding some of them (seen in the
    // concurrency soak). Unchanged rows are left out: they are not written.
    await client.query(
      `SELECT 1 FROM movies WHERE id IN (
         SELECT m.id FROM incoming i JOIN movies m ON m.imdb_id = i.imdb_id
          WHERE NOT EXISTS (SELECT 1 FROM provider_records pr
                             WHERE pr.provider_key = $1 AND pr.external_id = i.external_id AND pr.content_hash = i.content_hash))
        ORDER BY id FOR KEY SHARE`,
      [providerKey],
    );

    await createChangedRecords(client);
    ({ rowCount } = await client.query(
      `WITH previous AS (
         SELECT pr.id, pr.external_id, pr.movie_id FROM provider_records pr
          WHERE pr.provider_key = $2 AND pr.external_id IN (SELECT external_id FROM incoming)
       ), upserted AS (
         INSERT INTO provider_records AS pr (
           provider_key, external_id, title, original_title, year, release_date, runtime_minutes, genres,
           rating, votes, ratings, imdb_id, tmdb_id, directors, overview, poster_url, is_adult, payload, content_hash, last_run_id,
           last_seen_run_id, movie_id, match_status, match_method, match_confidence)
         SELECT $2, i.external_id, i.title, i.original_title, i.year, i.release_date, i.runtime_minutes, i.genres,
                (${PRIMARY_RATING}->>'value')::float8, (${PRIMARY_RATING}->>'votes')::int, i.ratings,
                i.imdb_id, i.tmdb_id, i.directors, i.overview, i.poster_url, i.is_adult, i.payload, i.content_hash, $1, $1,
                m.id, CASE WHEN m.id IS NULL THEN 'PENDING' ELSE 'MATCHED' END::"MatchStatus",
                CASE WHEN m.id IS NOT NULL THEN 'imdb_id' END, CASE WHEN m.id IS NOT NULL THEN 1 END
           FROM incoming i
           LEFT JOIN movies m ON m.imdb_id = i.imdb_id
         ON CONFLICT (provider_key, external_id) DO UPDATE SET
           title = excluded.title, original_title = excluded.original_title, year = excluded.year,
           release_date = excluded.release_date, runtime_minutes = excluded.runtime_minutes, genres = excluded.genres,
           rating = excluded.rating, votes = excluded.votes, ratings = excluded.ratings, imdb_id = excluded.imdb_id,
           tmdb_id = excluded.tmdb_id, directors = excluded.directors, overview = excluded.overview, poster_url = excluded.poster_url,
           is_adult = excluded.is_adult, payload = excluded.payload, content_hash = excluded.content_hash,
           last_run_id = excluded.last_run_id, last_seen_run_id = excluded.last_seen_run_id, last_seen_at = now(), changed_at = now(),
           withdrawn_at = NULL, withdrawal_applied_at = NULL,
           -- Linked by its IMDb id: as matchChangedRecords would; otherwise matching decides.
           movie_id = coalesce(excluded.movie_id, pr.movie_id),
           match_status = CASE WHEN excluded.movie_id IS NULL THEN pr.match_status ELSE excluded.match_status END,
           match_method = CASE WHEN excluded.movie_id IS NULL THEN pr.match_method ELSE excluded.match_method END,
           match_confidence = CASE WHEN excluded.movie_id IS NULL THEN pr.match_confidence ELSE excluded.match_confidence END,
           match_reason = CASE WHEN excluded.movie_id IS NULL THEN pr.match_reason END
         WHERE pr.content_hash IS DISTINCT FROM excluded.content_hash
         RETURNING pr.id, pr.external_id
       )
       INSERT INTO changed_records (id, previous_movie_id)
       SELECT u.id, p.movie_id FROM upserted u LEFT JOIN previous p ON p.external_id = u.external_id`,
      [runId, providerKey, primaryKind],
    ));
  }
  // A large first load's aggregation rebuilds in bulk (one aggregate-first-load job): it builds movies'
  // non-unique indexes once, at its end, instead of this load building them for it to drop.
  await bulk?.restore({ deferMovies: await enoughMoviesToDefer(client) });

  // The other records the input held (unchanged, or named by a rejected row that holds them) are
  // seen by this run: a withdrawn one is restored, a change of its movie (its flag, or its aggregate
  // when it was left out). A full snapshot leaves the others as they are (issue 18: an unchanged
  // re-import of the real dump rewrites nothing): it held the provider's whole catalogue, so
  // providers.snapshot_seen_at (markSnapshotSeen) dates every record it did not withdraw, and the
  // records it withdraws are those it did not hold (withdrawals.ts). A partial input stamps each
  // record it saw.
  // A first load wrote every record it holds: none was seen unchanged or restored.
  const { rowCount: seenUnchanged } = bulk ? { rowCount: 0 } : await client.query(
    `WITH seen AS (
       SELECT pr.id, pr.movie_id, pr.withdrawn_at IS NOT NULL AS was_withdrawn
         FROM provider_records pr
         JOIN (SELECT external_id FROM staged UNION SELECT external_id FROM held WHERE holds = 'record') s ON s.external_id = pr.external_id
        WHERE pr.provider_key = $2 AND NOT ($3::boolean AND pr.withdrawn_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM changed_records c WHERE c.id = pr.id)
     ), marked AS (
       UPDATE provider_records pr SET last_seen_at = now(), last_seen_run_id = $1, withdrawn_at = NULL, withdrawal_applied_at = NULL
         FROM seen WHERE pr.id = seen.id
       RETURNING pr.id
     )
     INSERT INTO changed_records (id, previous_movie_id) SELECT id, movie_id FROM seen WHERE was_withdrawn`,
    [runId, providerKey, fullSnapshot],
  );
  // staged and held each hold an external id once: the union's size without sorting the whole input.
  const { rows: counted } = await client.query<{ seen: number }>(
    `SELECT ((SELECT count(*) FROM staged)
             + (SELECT count(*) FROM held h WHERE h.holds = 'record' AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.external_id = h.external_id)))::int AS seen`,
  );

  const rowsChanged = rowCount ?? 0;
  return {
    rowsChanged, recordsSeen: counted[0]!.seen, duplicates, changes: { client, count: rowsChanged + (seenUnchanged ?? 0), firstLoad: bulk !== null }, firstLoad: bulk !== null,
  };
}

/**
 * The merge's writes in a bulk load (bulk-load.ts: movies and provider_records were empty, their
 * unique indexes and the matched-at trigger are set aside until the load is restored). Every
 * incoming row is new and unique by external id, every created movie unique by IMDb id, so both
 * are plain INSERTs: no conflict arbitration, no lookup of a stored row, no previous movie. The
 * statements write what the ordinary path writes, `matched_at` included (the trigger's now()).
 * Returns the records written.
 */
async function insertFirstLoad(client: pg.PoolClient, runId: string, providerKey: string, primaryKind: string): Promise<number> {
  // Ids generated first and the movies inserted in id order: the primary key (random uuids) grows
  // at its right edge instead of splitting pages all over the index (at 734k movies: 9 s -> 4.5 s).
  await insertMoviesDeferringSearch(
    client,
    `INSERT INTO movies (id, imdb_id, title, year)
     SELECT gen_random_uuid() AS id, created.imdb_id, created.title, created.year
       FROM (SELECT DISTINCT ON (i.imdb_id) i.imdb_id, coalesce(i.title, i.imdb_id) AS title, i.year
               FROM incoming i
               JOIN providers p ON p.key = $1 AND p.creates_movies
              WHERE i.imdb_id IS NOT NULL
              ORDER BY i.imdb_id) created
      ORDER BY 1`,
    [providerKey],
  );
  // The planner saw an empty table: the records' insert below joins every row with the movies,
  // and should hash the movies' narrow ids rather than the wide incoming rows.
  await client.query('ANALYZE movies (id, imdb_id)');
  // Every record written is a changed one (ChangedRecords.firstLoad): changed_records stays empty
  // rather than holding every record's id (a CTE of the inserted ids and a primary key insertion
  // per row: ~1 s of CPU at the real dump's 734k records).
  await createChangedRecords(client);
  // The hash side of the join with the movies: at the merge's 256 MB the wide incoming rows fit in
  // a hash as well as the movies' narrow (imdb_id, id) do, and the planner, costing both alike,
  // hashed incoming (353 MB at the real dump, ~1 s of CPU more); at 64 MB (128 MB of hash memory)
  // only the movies fit, and they are hashed.
  await client.query(`SELECT set_config('work_mem', '64MB', true)`);
  const { rowCount } = await client.query(
    `INSERT INTO provider_records (
       provider_key, external_id, title, original_title, year, release_date, runtime_minutes, genres,
       rating, votes, ratings, imdb_id, tmdb_id, directors, overview, poster_url, is_adult, payload, content_hash, last_run_id,
       last_seen_run_id, movie_id, match_status, match_method, match_confidence, matched_at)
     SELECT $2, i.external_id, i.title, i.original_title, i.year, i.release_date, i.runtime_minutes, i.genres,
            (${PRIMARY_RATING}->>'value')::float8, (${PRIMARY_RATING}->>'votes')::int, i.ratings,
            i.imdb_id, i.tmdb_id, i.directors, i.overview, i.poster_url, i.is_adult, i.payload, i.content_hash, $1, $1,
            m.id, CASE WHEN m.id IS NULL THEN 'PENDING' ELSE 'MATCHED' END::"MatchStatus",
            CASE WHEN m.id IS NOT NULL THEN 'imdb_id' END, CASE WHEN m.id IS NOT NULL THEN 1 END,
            CASE WHEN m.id IS NOT NULL THEN now() END
       FROM incoming i
       LEFT JOIN movies m ON m.imdb_id = i.imdb_id`,
    [runId, providerKey, primaryKind],
  );
  await client.query(`SELECT set_config('work_mem', $1, true)`, [MERGE_WORK_MEM]);
  return rowCount ?? 0;
}

/**
 * Rejected rows change nothing stored, and blanks follow the provider's field rules, applied to
 * the run's incoming rows before they are compared and written (set-based, in the temp table):
 * - a rejected row that holds its `record` (import_errors.holds) leaves the stored record as it
 *   is: the record is not in the run's incoming rows, but counts as seen;
 * - one that holds `ratings` (a rejected line of a separate ratings stream) keeps the stored ratings;
 * - a blank field whose rule is `keep` takes the stored value, unless the row removed it explicitly.
 */
async function applyHoldsAndBlankRules(
  client: pg.PoolClient, runId: string, providerKey: string, keeps: BlankKeeps, anyStored: boolean,
): Promise<void> {
  await client.query('DROP TABLE IF EXISTS held');
  const { rowCount: held } = await client.query(
    `CREATE TEMP TABLE held ON COMMIT DROP AS
     SELECT DISTINCT ON (reference) reference AS external_id, holds
       FROM import_errors WHERE run_id = $1 AND reference IS NOT NULL AND holds IS NOT NULL
      ORDER BY reference, holds = 'record' DESC`,
    [runId],
  );
  // The provider's first load (no record of it stored): nothing stored to hold or keep. `held`
  // is still what the run's rejected rows hold (the records seen, withdrawals).
  if (!anyStored) return;
  if (held) {
    await client.query(
      `DELETE FROM incoming i USING held h, provider_records pr
        WHERE h.holds = 'record' AND h.external_id = i.external_id AND pr.provider_key = $1 AND pr.external_id = i.external_id`,
      [providerKey],
    );
    await client.query(
      `UPDATE incoming i SET ratings = pr.ratings
         FROM held h, provider_records pr
        WHERE h.holds = 'ratings' AND h.external_id = i.external_id AND pr.provider_key = $1 AND pr.external_id = i.external_id`,
      [providerKey],
    );
  }
  if (!keeps.columns.length && !keeps.ratingKinds.length) return;
  const sets = keeps.columns.map((field) => {
    const column = KEPT_COLUMNS[field];
    const blank = ARRAY_COLUMNS.has(field) ? `cardinality(i.${column}) = 0` : `i.${column} IS NULL`;
    return `${column} = CASE WHEN ${blank} AND NOT ('${field}' = ANY(i.removed)) THEN pr.${column} ELSE i.${column} END`;
  });
  if (keeps.ratingKinds.length) {
    // Stored ratings of a kept kind the row does not give (and does not remove) stay.
    sets.push(`ratings = i.ratings || coalesce((
      SELECT jsonb_agg(r ORDER BY r->>'kind') FROM jsonb_array_elements(pr.ratings) r
       WHERE r->>'kind' = ANY($2::text[]) AND NOT ('rating.' || (r->>'kind')) = ANY(i.removed)
         AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(i.ratings) n WHERE n->>'kind' = r->>'kind')), '[]'::jsonb)`);
  }
  await client.query(
    `UPDATE incoming i SET ${sets.join(', ')}
       FROM provider_records pr
      WHERE pr.provider_key = $1 AND pr.external_id = i.external_id`,
    keeps.ratingKinds.length ? [providerKey, keeps.ratingKinds] : [providerKey],
  );
}

/**
 * Creates movies from provider rows (the merge, linkChangesByImdbId) without their search rows:
 * a new movie has no titles, genres or score yet, and its first aggregation writes them and
 * refreshes its search row (moviec_write_aggregates refreshes every movie it writes; a new movie
 * has no aggregate hash, so it is always written). Refreshing at creation wrote an empty row per
 * movie, to be rewritten by that aggregation, and cost ~7 s of a 1M-line IMDb import (the
 * statement trigger over all new movies). The search triggers skip while `moviec.search_refresh`
 * is 'deferred' (transaction-local; migration 20261131040000).
 */
async function insertMoviesDeferringSearch(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<void> {
  // A failed insert aborts the transaction: the setting goes with it.
  await client.query(`SELECT set_config('moviec.search_refresh', 'deferred', true)`);
  await client.query(sql, params);
  await client.query(`SELECT set_config('moviec.search_refresh', '', true)`);
}

async function createChangedRecords(client: pg.PoolClient): Promise<void> {
  await client.query('DROP TABLE IF EXISTS changed_records');
  await client.query(`CREATE TEMP TABLE changed_records (id bigint PRIMARY KEY, previous_movie_id uuid) ON COMMIT DROP`);
}

/**
 * An empty change set for a data-layer module that fills it with its own selection (the rows of
 * its `INSERT INTO changed_records (id, previous_movie_id)` are the changes): rematch.ts,
 * match-corrections.ts. Only modules of src/db/ touch the temp table, and only through this value.
 */
export async function emptyChanges(client: pg.PoolClient): Promise<ChangedRecords> {
  await createChangedRecords(client);
  return { client, count: 0 };
}

/** Records changed by other means than a merge (tests, admin tools): ids with the movie each belonged to before. */
export async function markChanged(client: pg.PoolClient, records: { id: string; previousMovieId: string | null }[]): Promise<ChangedRecords> {
  await createChangedRecords(client);
  const { rowCount } = await client.query(
    `INSERT INTO changed_records (id, previous_movie_id)
     SELECT x.id, x.previous_movie_id FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, previous_movie_id uuid)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(records.map((r) => ({ id: r.id, previous_movie_id: r.previousMovieId })))],
  );
  return { client, count: rowCount ?? 0 };
}

/** Every UNMATCHED or AMBIGUOUS record, to retry matching after new movies appeared. */
export async function waitingRecords(client: pg.PoolClient): Promise<ChangedRecords> {
  await createChangedRecords(client);
  const { rowCount } = await client.query(
    `INSERT INTO changed_records (id, previous_movie_id)
     SELECT id, NULL::uuid FROM provider_records WHERE match_status IN ('UNMATCHED', 'AMBIGUOUS')`,
  );
  return { client, count: rowCount ?? 0 };
}

/**
 * Shared ids: each changed record with an IMDb tconst is linked to the movie with that tconst; a
 * provider that may create movies (providers.creates_movies) creates it when none exists yet. An
 * id match overrides an earlier title match. Rows the merge already linked by id are not written again.
 */
export async function linkChangesByImdbId({ client }: ChangedRecords): Promise<void> {
  await insertMoviesDeferringSearch(
    client,
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
}

/** A changed record that title matching decides, with what matching weighs (src/matching/title-match.ts TitleQuery). */
export interface PendingTitleMatch {
  recordId: string;
  title: string | null;
  originalTitle: string | null;
  year: number | null;
  createsMovies: boolean;
  runtimeMinutes: number | null;
  directors: string[];
  releaseDate: string | null;
  /** Ids the record carries or links to ({provider: 'tmdb', id: '603'}), its own included. */
  ids: { provider: string; id: string }[];
  /** Movies an admin rejected for this record. */
  rejectedMovieIds: string[];
}

/**
 * The changed records that title matching decides: not linked by an id and not pinned by an
 * admin. Each comes with every id it carries or links to, its evidence (runtime, directors,
 * release date) and the movies an admin rejected for it.
 */
export async function changesAwaitingTitleMatch({ client, firstLoad }: ChangedRecords): Promise<PendingTitleMatch[]> {
  const { rows } = await client.query<PendingTitleMatch>(
    `SELECT pr.id::text AS "recordId", pr.title, pr.original_title AS "originalTitle", pr.year, p.creates_movies AS "createsMovies",
            pr.runtime_minutes AS "runtimeMinutes", pr.directors, to_char(pr.release_date, 'YYYY-MM-DD') AS "releaseDate",
            jsonb_build_array(jsonb_build_object('provider', pr.provider_key, 'id', pr.external_id))
              || CASE WHEN pr.imdb_id IS NOT NULL AND pr.provider_key <> 'imdb' THEN jsonb_build_array(jsonb_build_object('provider', 'imdb', 'id', pr.imdb_id)) ELSE '[]' END
              || CASE WHEN pr.tmdb_id IS NOT NULL AND pr.provider_key <> 'tmdb' THEN jsonb_build_array(jsonb_build_object('provider', 'tmdb', 'id', pr.tmdb_id)) ELSE '[]' END
              AS ids,
            coalesce((SELECT array_agg(mc.movie_id::text) FROM match_corrections mc
                       WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind = 'REJECT'), '{}') AS "rejectedMovieIds"
       FROM provider_records pr
       ${firstLoad ? '' : 'JOIN changed_records c ON c.id = pr.id'}
       JOIN providers p ON p.key = pr.provider_key
      WHERE ${firstLoad ? FIRST_LOAD_UNLINKED : "(pr.movie_id IS NULL OR pr.match_method = 'title_year')"}
        AND (pr.imdb_id IS NULL OR NOT EXISTS (SELECT 1 FROM movies m WHERE m.imdb_id = pr.imdb_id))
        AND NOT EXISTS (SELECT 1 FROM match_corrections mc
                         WHERE mc.provider_key = pr.provider_key AND mc.external_id = pr.external_id AND mc.kind <> 'REJECT')`,
  );
  return rows;
}

/**
 * The movies whose aggregate the changes may have changed: the one each record belongs to now and
 * the one it belonged to before (so a row that moves re-aggregates both), in the temp table
 * changed_movies; returns how many.
 */
async function collectChangedMovies(client: pg.PoolClient, firstLoad = false): Promise<number> {
  await client.query('DROP TABLE IF EXISTS changed_movies');
  if (firstLoad) {
    // A first load (bulk-load.ts) started from an empty catalogue: every movie there is now was
    // created in this transaction for the records it wrote and matched, so the changed movies are
    // all of them (no join of every record with the changed ones).
    const { rowCount } = await client.query('CREATE TEMP TABLE changed_movies ON COMMIT DROP AS SELECT id AS movie_id FROM movies');
    return rowCount ?? 0;
  }
  const { rowCount } = await client.query(
    `CREATE TEMP TABLE changed_movies ON COMMIT DROP AS
     SELECT pr.movie_id FROM provider_records pr JOIN changed_records c ON c.id = pr.id WHERE pr.movie_id IS NOT NULL
     UNION
     SELECT previous_movie_id FROM changed_records WHERE previous_movie_id IS NOT NULL`,
  );
  return rowCount ?? 0;
}

/** The changed movies' ids (small change sets: a rematch, tests). */
export async function changedMovieIds({ client }: ChangedRecords): Promise<string[]> {
  await collectChangedMovies(client);
  const { rows } = await client.query<{ movie_id: string }>('SELECT movie_id FROM changed_movies');
  return rows.map((r) => r.movie_id);
}

/**
 * Queues aggregation of the changed movies in the caller's transaction, set-based in one
 * statement (the ids never leave the database): one `aggregate-movie` job per movie keyed
 * `aggregate:<movieId>`, or above PER_MOVIE_JOB_LIMIT movies chunks of AGGREGATE_CHUNK
 * consecutive ids, or for a first load above PER_MOVIE_JOB_LIMIT movies one `aggregate-first-load`
 * job. Returns how many movies were queued.
 */
export async function queueAggregationOfChanges({ client, firstLoad }: ChangedRecords): Promise<number> {
  if (firstLoad) {
    // A first load's changed movies are every movie (collectChangedMovies): above a handful, one
    // job aggregates them all (services/aggregation.ts aggregateFirstLoad: the catalogue rebuilt in
    // bulk, which would take every chunk job with it anyway) instead of a chunk job per 500 movies.
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM movies');
    const count = rows[0]!.n;
    if (count > PER_MOVIE_JOB_LIMIT) {
      await client.query(`SELECT graphile_worker.add_job($1, '{}'::json, job_key => $2)`, [JOB.aggregateFirstLoad, jobKey.aggregateFirstLoad]);
      return count;
    }
  }
  const count = await collectChangedMovies(client, firstLoad);
  if (count === 0) return 0;
  if (count <= PER_MOVIE_JOB_LIMIT) {
    await client.query(
      `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW($1::text, json_build_object('movieId', movie_id), NULL, NULL, NULL, $2::text || movie_id, NULL, NULL)::graphile_worker.job_spec
           FROM changed_movies))`,
      [JOB.aggregateMovie, jobKey.aggregateMovie('')],
    );
    return count;
  }
  return enqueueAggregationChunks(client, 'SELECT movie_id FROM changed_movies');
}
