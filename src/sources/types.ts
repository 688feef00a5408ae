/**
 * The adapter interface every provider implements. An adapter turns a provider's input (files or a
 * REST API) into a stream of SourceItems; the shared ingest job stages, merges, matches and
 * aggregates them, so adding a provider is one module here plus its definition in ./registry.ts.
 */

export type ProviderKey = 'imdb' | 'tmdb' | 'rottentomatoes' | 'movielens';

/** One rating of one kind on the provider's own scale. */
export interface SourceRating {
  /** users, critics or audience. */
  kind: string;
  value: number;
  votes: number | null;
}

/** A provider's movie, with the fields MovieC extracts and the raw row it came from. */
export interface SourceRecord {
  externalId: string;
  title: string | null;
  originalTitle: string | null;
  year: number | null;
  /** ISO date, YYYY-MM-DD. */
  releaseDate: string | null;
  runtimeMinutes: number | null;
  /** Genres as the provider spells them. */
  genres: string[];
  ratings: SourceRating[];
  imdbId: string | null;
  tmdbId: string | null;
  overview: string | null;
  posterUrl: string | null;
  isAdult: boolean;
  /** The raw row or document, kept as jsonb. */
  payload: Record<string, unknown>;
}

/**
 * What an adapter yields:
 * - `record`: a movie row;
 * - `rating`: a rating that arrives in a separate stream (IMDb title.ratings, MovieLens
 *   ratings.csv) and is joined to its record by external id when the run is merged;
 * - `reject`: an input row that could not be read, kept as an ImportError;
 * - `skip`: a row read and deliberately left out (e.g. an IMDb title that is not a movie).
 */
export type SourceItem =
  | { type: 'record'; record: SourceRecord; line?: number }
  | { type: 'rating'; externalId: string; rating: SourceRating; line?: number }
  | { type: 'reject'; reason: string; line?: number; reference?: string; excerpt?: string }
  | { type: 'skip'; line?: number };

/** How a rating kind maps onto 0-100. */
export interface RatingScale {
  /** Shown to users, e.g. "1-10". */
  label: string;
  min: number;
  max: number;
}

export interface ProviderDefinition {
  key: ProviderKey;
  name: string;
  kind: 'FILE' | 'API';
  /** Whether a record that matches no movie may create one (id-bearing providers). */
  createsMovies: boolean;
  /** Rating kinds this provider gives, with their scales. */
  ratingScales: Record<string, RatingScale>;
  /** Reliability weight per field and per rating kind ("rating.users"); 1 when absent. */
  weights: Record<string, number>;
  /**
   * Provider spelling -> canonical genre names (one spelling may mean several genres). An empty
   * list marks a spelling that is known and deliberately not a genre ("Classics", "IMAX"): it is
   * kept as a tag on the provider's record and never reported as unknown.
   */
  genreAliases: Record<string, string[]>;
}

/** Options an import receives: file locations or API parameters, by name. */
export type SourceLocation = Record<string, string | string[] | undefined>;

export interface SourceAdapter {
  definition: ProviderDefinition;
  /** Validates the location before a run is queued; throws a clear message when incomplete. */
  checkLocation(location: SourceLocation): void;
  read(location: SourceLocation, context: ReadContext): AsyncIterable<SourceItem>;
}

export interface ReadContext {
  signal?: AbortSignal;
  /** The provider's last SUCCEEDED or PARTIAL run before this one, for incremental providers. */
  previousRun?: { id: string; startedAt: Date; finishedAt: Date; source: SourceLocation } | null;
  /** Called with bytes consumed so far and the total when known, for progress reporting. */
  onProgress?: (done: number, total: number | null) => void;
}

/** An input that cannot be read at all (missing, unreadable, truncated): the run fails. */
export class SourceError extends Error {}
