import type { InputLimits } from './limits.js';

/**
 * The interface every provider module implements. A provider module turns a provider's input
 * (files or a REST API) into a stream of SourceItems and states every fact about the provider
 * (names, CLI options, settings and schedule, inbox recogniser, genre aliases, field precedence,
 * weights, rating scales); the shared ingest job stages, merges, matches and aggregates its items,
 * and the GraphQL enum, CLI, schedules, inbox and scoring are derived from the registry
 * (./registry.ts). Adding a provider is one module registered there (or loaded through
 * MOVIEC_PROVIDER_MODULES).
 */

/** A provider's key as stored in the database: lower-case letters and digits (`rottentomatoes`). */
export type ProviderKey = string;

/** One rating of one kind on the provider's own scale. */
export interface SourceRating {
  /** users, critics or audience. */
  kind: string;
  value: number;
  votes: number | null;
  /** When the provider says it last updated this rating (ISO 8601), if it says. */
  sourceUpdatedAt?: string;
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
  /** Directors the provider names (evidence for title matching); absent or empty when it names none. */
  directors?: string[];
  overview: string | null;
  posterUrl: string | null;
  isAdult: boolean;
  /** The raw row or document, kept as jsonb. */
  payload: Record<string, unknown>;
  /**
   * Fields this row explicitly removes (MovieLens "(no genres listed)"): blank here clears the
   * stored value even where the provider's field rules keep it (ProviderDefinition.fieldRules).
   */
  removed?: RuleField[];
}

/**
 * What an adapter yields:
 * - `record`: a movie row;
 * - `rating`: a rating that arrives in a separate stream (IMDb title.ratings, MovieLens
 *   ratings.csv) and is joined to its record by external id when the run is merged;
 * - `reject`: an input row that could not be read, kept as an ImportError;
 * - `skip`: a row read and deliberately left out (e.g. an IMDb title that is not a movie), or
 *   `count` such rows at once (a batch of a fast reader).
 */
export type SourceItem =
  | { type: 'record'; record: SourceRecord; line?: number }
  | { type: 'rating'; externalId: string; rating: SourceRating; line?: number }
  | {
      type: 'reject'; reason: string; line?: number; reference?: string; excerpt?: string;
      /**
       * What of the stored record named by `reference` the rejected row leaves as it is (a rejected
       * row changes nothing stored): the whole record (the default when there is a reference) or,
       * for a row of a separate ratings stream, its ratings.
       */
      holds?: 'record' | 'ratings';
    }
  | { type: 'skip'; line?: number; count?: number };

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
  /**
   * Field precedence: this provider's rank (1 first) per curated field, for the field rules of
   * scoring (src/scoring/rules.ts). A provider without a rank for a field comes after those with one.
   */
  precedence?: Partial<Record<PrecedenceField, number>>;
  /**
   * What a blank field of a later row means for the stored value (issue 13 point 3): `keep` — the
   * row says nothing about it, the stored value stays (the default: empty never overwrites);
   * `clear` — the provider's rows are complete, a blank is the provider removing the value. A row
   * may still remove a kept field explicitly (SourceRecord.removed).
   */
  fieldRules?: FieldRules;
}

/** The stored fields a blank rule applies to, and each rating kind (`rating.critics`). */
export type RuleField =
  | 'title' | 'originalTitle' | 'year' | 'releaseDate' | 'runtimeMinutes' | 'genres' | 'imdbId' | 'tmdbId' | 'directors'
  | 'overview' | 'posterUrl' | `rating.${string}`;

export type BlankRule = 'keep' | 'clear';

export interface FieldRules {
  /** The rule of every field not listed in `fields`. */
  blank: BlankRule;
  fields?: Partial<Record<RuleField, BlankRule>>;
}

/** The curated fields one provider supplies by precedence (`title` breaks ties between equally scored titles). */
export type PrecedenceField =
  | 'title' | 'originalTitle' | 'year' | 'releaseDate' | 'runtimeMinutes' | 'overview' | 'posterUrl' | 'isAdult' | 'imdbId';

/** Options an import receives: file locations or API parameters, by name. */
export type SourceLocation = Record<string, string | string[] | undefined>;

/** One option of `moviec import <provider>`: a command-line flag that fills one key of the location. */
export interface ProviderCliOption {
  /** Commander flags, e.g. `--file <file>`. */
  flags: string;
  description: string;
  /** The location key the value goes to. */
  location: string;
  required?: boolean;
  /**
   * A local input the value names (a URL is taken as is): `moviec import` resolves the path against
   * its working folder and checks it exists before recording a run.
   */
  input?: ProviderInputKind;
}

/** What a file provider's option names: one file, or a folder that must hold these files. */
export type ProviderInputKind = 'file' | { folder: string[] };

/** The provider's scheduled import, when its settings are configured. */
export interface ProviderSchedule {
  /** Default cron (UTC); SCHEDULE_<KEY> overrides it or turns it `off`. */
  cron: string;
  /** How long a run missed while no worker was up is still caught up when one starts. */
  catchUp: 'nightly' | 'hourly';
  /** Why it is on by default, shown by `moviec status` (e.g. `nightly, ROTTENTOMATOES_FILE is set`). */
  reason: string;
  /**
   * The scheduled import's location from the configuration (`setting` reads any configuration
   * variable by name), or what is missing (`inconsistent`: a configuration error in any case).
   */
  plan(setting: (variable: string) => string | undefined): { location: SourceLocation } | { missing: string; inconsistent?: true };
}

/** A file or folder dropped into the inbox (INBOX_DIR). */
export interface InboxEntry {
  name: string;
  isDirectory: boolean;
  /** A folder's file names. */
  children?: string[];
  /** A file's first line (decompressed), when read. */
  header?: string | null;
}

/** How the inbox recognises a provider's files by name, first line or folder contents. */
export interface InboxRecogniser {
  /** What the provider's inbox input is, for the reason an entry is not recognised (`a Rotten Tomatoes movies CSV`). */
  describe: string;
  /** When the provider takes folders: the files a folder must hold (`movies.csv, links.csv, ratings.csv`). */
  folderHolds?: string;
  /** The location key this entry fills, or null when it is not this provider's. */
  role(entry: InboxEntry): string | null;
  /**
   * Providers whose import takes several files (IMDb basics + ratings): every role, what a part
   * waits for by role (`its IMDb title.ratings file`), and the key pairing parts of one import by
   * name (null for entries recognised by their first line only, paired when one of each is left).
   */
  parts?: { roles: string[]; waitingFor: Record<string, string>; pairKey(entry: InboxEntry): string | null };
}

export interface SourceAdapter {
  definition: ProviderDefinition;
  /** The GraphQL enum value (`ROTTEN_TOMATOES`: upper case, words joined by `_`) and its description. */
  graphql: { name: string; description: string };
  /** `moviec import <key>`: its description and options. */
  cli: { description: string; options: ProviderCliOption[] };
  /**
   * Configuration variables that say where the provider's input lives (name -> what it holds),
   * validated with the rest of the configuration; they turn on the provider's schedule.
   */
  settings?: Record<string, string>;
  schedule?: ProviderSchedule;
  inbox?: InboxRecogniser;
  /** The location a re-import uses when it needs no previous run (an incremental API: TMDB's changes). */
  incrementalLocation?: SourceLocation;
  /**
   * Whether a run of this location reads the provider's whole catalogue (a full snapshot): then
   * the records it does not see have vanished from the provider and are withdrawn (src/db/withdrawals.ts).
   * A partial input (a delta, TMDB's changes, chosen ids) never withdraws; absent means partial.
   */
  isFullSnapshot?(location: SourceLocation): boolean;
  /** Validates the location before a run is queued; throws a clear message when incomplete. */
  checkLocation(location: SourceLocation): void;
  read(location: SourceLocation, context: ReadContext): AsyncIterable<SourceItem>;
  /**
   * The same items as `read`, in batches (in order): what an import consumes when the adapter has
   * it, so a file of millions of lines costs one async step per batch rather than per line.
   */
  readBatches?(location: SourceLocation, context: ReadContext): AsyncIterable<SourceItem[]>;
}

/** The parsed configuration as adapters see it (src/config.ts Config is one). */
export type ProviderConfig = Readonly<Record<string, unknown>>;

export interface ReadContext {
  signal?: AbortSignal;
  /** The bounds of the input (./limits.ts): pass the context to openInput and its limits to readCsv. */
  limits?: InputLimits;
  /**
   * The configuration (src/config.ts, parsed once by the entry point) by variable name: an adapter
   * reads the variables it needs from here (TMDB: TMDB_API_TOKEN, TMDB_BASE_URL), never from the
   * environment. Absent: nothing is configured.
   */
  config?: ProviderConfig;
  /** The provider's last SUCCEEDED or PARTIAL run before this one, for incremental providers. */
  previousRun?: { id: string; startedAt: Date; finishedAt: Date; source: SourceLocation } | null;
  /** Called with bytes consumed so far and the total when known, for progress reporting. */
  onProgress?: (done: number, total: number | null) => void;
}

