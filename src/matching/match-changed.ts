import type pg from 'pg';
import { addRecordsLinkedByTmdbId, applyPinnedMatches, dropRejectedLinks, linkChangesByTmdbId } from '../db/match-links.js';
import { createMoviesForRecords, writeMatchDecisions, type MatchDecision } from '../db/provider-records.js';
import {
  changedMovieIds, changesAwaitingTitleMatch, linkChangesByImdbId, waitingRecords,
  type ChangedRecords, type PendingTitleMatch,
} from '../db/record-changes.js';
import { matchByTitle } from './title-match.js';

/**
 * Matches changed records to curated movies, inside the transaction that holds the changes:
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
 *
 * The movies to re-aggregate then come from the same `changes` (queueAggregationOfChanges or
 * changedMovieIds in src/db/record-changes.ts).
 */
export async function matchChanges(changes: ChangedRecords): Promise<void> {
  // A first load into an empty catalogue has no corrections, and the merge linked every IMDb id
  // it could as it wrote the records (each of these statements joins every changed record). Its
  // records are all of one provider: none is another provider's record of the same TMDB id to add.
  if (!changes.firstLoad) {
    await dropRejectedLinks(changes);
    await applyPinnedMatches(changes);
    await linkChangesByImdbId(changes);
    await addRecordsLinkedByTmdbId(changes);
  }
  await linkChangesByTmdbId(changes);
  const pending = await changesAwaitingTitleMatch(changes);
  if (pending.length) await applyTitleMatches(changes.client, pending);
}

/**
 * As matchChanges, and returns every movie whose aggregate may have changed: the one each record
 * belongs to now and the one it belonged to before (so a row that moves re-aggregates both).
 */
export async function matchChangedRecords(changes: ChangedRecords): Promise<string[]> {
  await matchChanges(changes);
  return changedMovieIds(changes);
}

async function applyTitleMatches(client: pg.PoolClient, pending: PendingTitleMatch[]): Promise<void> {
  const matches = await matchByTitle(client, pending);
  const decisions: MatchDecision[] = [];
  const toCreate: string[] = [];
  for (const q of pending) {
    const match = matches.get(q.recordId)!;
    if (match.kind === 'matched') {
      decisions.push({ id: q.recordId, movie_id: match.movieId, status: 'MATCHED', method: 'title_year', confidence: match.confidence, reason: match.reason });
      continue;
    }
    decisions.push({
      id: q.recordId, movie_id: null, status: match.kind === 'ambiguous' ? 'AMBIGUOUS' : 'UNMATCHED',
      method: null, confidence: null, reason: match.reason,
    });
    // An id-bearing provider's film that no one has yet is a new movie; an ambiguous one is not.
    if (q.createsMovies && match.kind === 'none' && !!q.title) toCreate.push(q.recordId);
  }
  await writeMatchDecisions(client, decisions);
  await createMoviesForRecords(client, toCreate);
}

/**
 * Retries title matching for every UNMATCHED or AMBIGUOUS record (run after new movies appear)
 * and returns the movies that gained records.
 */
export async function rematchUnmatched(client: pg.PoolClient): Promise<string[]> {
  return matchChangedRecords(await waitingRecords(client));
}
