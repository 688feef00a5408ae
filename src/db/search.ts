import type pg from 'pg';

/**
 * The SQL of title search and autocomplete, over the search index of migration
 * 20261130060000_search_index: movie_search (one row per movie: title tokens, popularity, year,
 * genres, providers), search_postings (one row per title word and movie, in popularity order per
 * word: migration 20261131140000), search_words (the dictionary of title words, with the number of
 * movies having each) and search_word_deletes (its one-letter deletions). What a query means is decided in src/services/search.ts; this module only
 * speaks SQL.
 */

/** One dictionary word found for a probe. */
export interface WordHit {
  word: string;
  /** Movies having the word. */
  movies: number;
}

/** The probes of one typed word (or of the typed words run together). */
export interface WordUnit {
  exact: string[];
  deletes: string[];
  similar: string[];
}

/** A dictionary word found for the unit of that index (-1: a completion of the prefix). */
export interface UnitHit extends WordHit {
  unit: number;
}

/** Dictionary words for the probes of several units and a prefix, each hit tagged with its unit, in one statement. */
export async function lookupWordUnits(pool: pg.Pool, units: WordUnit[], prefix: string | null, prefixLimit: number): Promise<UnitHit[]> {
  const tagged = (pick: (u: WordUnit) => string[]) => {
    const probes: string[] = [];
    const tags: number[] = [];
    units.forEach((u, i) => {
      for (const p of pick(u)) {
        probes.push(p);
        tags.push(i);
      }
    });
    return [probes, tags] as const;
  };
  const [exact, exactTags] = tagged((u) => u.exact);
  const [deletes, deleteTags] = tagged((u) => u.deletes);
  const [similar, similarTags] = tagged((u) => u.similar);
  // One text for every lookup: a prepared statement, planned a few times per connection only.
  const { rows } = await pool.query<UnitHit>({
    name: 'moviec_search_words',
    text: `SELECT q.unit, w.word, w.movies FROM unnest($1::text[], $2::int[]) AS q(probe, unit) JOIN search_words w ON w.word = q.probe COLLATE "C"
     UNION
     SELECT q.unit, w.word, w.movies FROM unnest($3::text[], $4::int[]) AS q(variant, unit)
       JOIN search_word_deletes d ON d.variant = q.variant COLLATE "C" JOIN search_words w ON w.word = d.word
     UNION
     SELECT q.unit, h.word, h.movies FROM unnest($5::text[], $6::int[]) AS q(probe, unit) CROSS JOIN LATERAL (SELECT * FROM moviec_similar_words(q.probe, 20) LIMIT 20) h
     UNION
     (SELECT -1, word, movies FROM search_words
       WHERE $7::text IS NOT NULL AND length($7::text) > 2 AND word >= $7::text AND word < $7::text || chr(1114111)
       ORDER BY word LIMIT 2000)
     UNION
     (SELECT -1, word, movies FROM search_words
       WHERE $7::text IS NOT NULL AND length($7::text) <= 2 AND starts_with(word, $7::text)
       ORDER BY movies DESC, word LIMIT $8::int)`,
    values: [exact, exactTags, deletes, deleteTags, similar, similarTags, prefix, prefixLimit],
  });
  return rows;
}

/**
 * What a search matches, as SQL over `movie_search s`: any of the plans; a plan is every one of
 * its slots; a slot is any of its alternatives (a token, or two tokens that must both be there).
 */
export interface MatchSpec {
  plans: { slots: { tokens: string[]; pairs: [string, string][] }[] }[];
}

export interface SearchFilter {
  genreIds?: number[] | null;
  yearFrom?: number | null;
  yearTo?: number | null;
  minScore?: number | null;
  minVotes?: number | null;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

function planSql(plan: MatchSpec['plans'][number], params: Params, alias: string): string {
  return plan.slots
    .map((slot) => {
      const options = [
        ...(slot.tokens.length ? [`${alias}.tokens && ${params.add(slot.tokens, 'text[]')}`] : []),
        ...slot.pairs.map((pair) => `${alias}.tokens @> ${params.add(pair, 'text[]')}`),
      ];
      return options.length ? `(${options.join(' OR ')})` : 'false';
    })
    .join(' AND ');
}

function matchSql(spec: MatchSpec, params: Params, alias = 's'): string {
  const plans = spec.plans.filter((plan) => plan.slots.length).map((plan) => planSql(plan, params, alias));
  return plans.length ? `(${plans.map((p) => `(${p})`).join(' OR ')})` : 'false';
}

function filterSql(filter: SearchFilter | null | undefined, params: Params, yearAlias = 's'): string[] {
  const conditions: string[] = [];
  if (!filter) return conditions;
  if (filter.genreIds?.length) conditions.push(`s.genre_ids && ${params.add(filter.genreIds, 'int4[]')}`);
  if (filter.yearFrom != null) conditions.push(`${yearAlias}.year >= ${params.add(filter.yearFrom, 'int4')}`);
  if (filter.yearTo != null) conditions.push(`${yearAlias}.year <= ${params.add(filter.yearTo, 'int4')}`);
  if (filter.minScore != null) conditions.push(`s.score >= ${params.add(filter.minScore, 'float8')}`);
  if (filter.minVotes != null) conditions.push(`s.votes >= ${params.add(filter.minVotes, 'int4')}`);
  return conditions;
}

/** The tokens whose postings hold every movie a slot matches: each single token, the first of each pair. */
export function driverTokens(slot: MatchSpec['plans'][number]['slots'][number], rarer?: (a: string, b: string) => string): string[] {
  return [...slot.tokens, ...slot.pairs.map(([a, b]) => (rarer ? rarer(a, b) : a))];
}

/** The filter on a posting row `p`: its year directly, the rest from the movie's search row. */
function postingFilters(filter: SearchFilter | null | undefined, params: Params): string[] {
  if (!filter) return [];
  const { yearFrom, yearTo, ...rest } = filter;
  const conditions = filterSql({ yearFrom, yearTo }, params, 'p');
  const others = filterSql(rest, params);
  if (others.length) conditions.push(`EXISTS (SELECT 1 FROM movie_search s WHERE s.movie_id = p.movie_id AND ${others.join(' AND ')})`);
  return conditions;
}

export interface Candidate {
  movieId: string;
  tokens: string[];
  popularity: number;
  year: number | null;
}

/**
 * How many postings of the driving word (the rarest slot of a plan) a search reads, most popular
 * first, before it looks at every match through the GIN index instead (~330 index pages).
 */
export const POPULAR_WINDOW = 20_000;
/** Matches among them that are enough (a first page); fewer and every match is read. */
const ENOUGH = 20;

export interface CandidateQuery {
  /** null: only whole-title matches. */
  match: MatchSpec | null;
  filter?: SearchFilter | null;
  /** How many of the most popular matches to consider. */
  limit: number;
  /** Whole-title tokens ("=…") whose movies are considered whatever their popularity. */
  titleTokens: string[];
  /** A year whose matches are considered whatever their popularity. */
  year: number | null;
  /**
   * Whether few movies match (an estimate from the token statistics): then every match is read
   * through the GIN index at once, without first reading the most popular postings in vain.
   */
  rare?: boolean;
  /**
   * Per plan of `match` (same order): the tokens whose postings drive it, those of its rarest slot
   * (every alternative's token, the rarer one of a pair). Without them the first slot drives.
   */
  drivers?: string[][];
}

/**
 * The movies a search ranks: the most popular matches, plus every match of a whole title the query
 * may be, plus the most popular matches of the year it names. Ranking happens in the service.
 */
export async function fetchCandidates(pool: pg.Pool, query: CandidateQuery): Promise<Candidate[]> {
  const params = new Params();
  const match = query.match ? matchSql(query.match, params) : 'false';
  // Each statement part adds the filter's parameters it uses (an unused parameter has no type).
  const where = (extra: string[]) => [...extra, ...filterSql(query.filter, params)].join(' AND ');
  const columns = 's.movie_id, s.tokens, s.popularity, s.year';
  const limit = params.add(query.limit, 'int4');
  const branches: string[] = [];
  const ctes: string[] = [];
  // Matches read through the GIN index are CTEs planned for all their rows: under a LIMIT the
  // planner may otherwise expect a sequential or popularity-order scan to meet enough matches early,
  // and read the whole table when the words are rare (at 1M movies a whole-title lookup that
  // matched nothing read all 800,000 rows, 1.2 s).
  if (query.match) {
    ctes.push(`matching AS MATERIALIZED (SELECT ${columns} FROM movie_search s WHERE ${where([match])})`);
  }
  if (query.match && query.rare) {
    // Few matches: all of them through the GIN index (posting lists of the words), most popular first.
    branches.push(`(SELECT * FROM matching s ORDER BY s.popularity DESC, s.movie_id DESC LIMIT ${limit})`);
  } else if (query.match) {
    // The most popular matches: each plan's driving postings (search_postings, most popular first,
    // index-only: the movie's tokens and year are in the index) checked for the plan's other words,
    // at most POPULAR_WINDOW of them; only when that finds fewer than ENOUGH, every match through
    // the GIN index (then a rare combination of words).
    const windows = query.match.plans
      .filter((plan) => plan.slots.length)
      .map((plan, i) => {
        const drivers = [...new Set(query.drivers?.[i]?.length ? query.drivers[i] : driverTokens(plan.slots[0]!))];
        const window = params.add(POPULAR_WINDOW, 'int4');
        const scans = drivers.map(
          (token) => `(SELECT p.movie_id, p.tokens, p.popularity, p.year FROM search_postings p WHERE p.token = ${params.add(token, 'text')}
                        ORDER BY p.popularity DESC, p.movie_id DESC LIMIT ${window})`,
        );
        const source = scans.length === 1 ? scans[0]! : `(${scans.join(' UNION ALL ')} ORDER BY popularity DESC, movie_id DESC LIMIT ${window})`;
        const checks = [planSql(plan, params, 'p'), ...postingFilters(query.filter, params)];
        return `(SELECT p.movie_id, p.tokens, p.popularity, p.year FROM ${source} p WHERE ${checks.join(' AND ')} LIMIT ${limit})`;
      });
    ctes.push(
      `popular AS (${windows.join(' UNION ALL ')})`,
      `enough AS (SELECT count(DISTINCT movie_id) >= ${ENOUGH} AS ok FROM popular)`,
    );
    branches.push('(SELECT * FROM popular)');
    branches.push(`(SELECT * FROM matching s WHERE NOT (SELECT ok FROM enough) ORDER BY s.popularity DESC, s.movie_id DESC LIMIT ${limit})`);
  }
  if (query.titleTokens.length) {
    // The most popular movies of each whole title the query may be, from the postings of its
    // "=" token (index-only), merged in popularity order.
    const filters = postingFilters(query.filter, params);
    const scans = [...new Set(query.titleTokens)].map(
      (token) => `(SELECT p.movie_id, p.tokens, p.popularity, p.year FROM search_postings p
                    WHERE ${[`p.token = ${params.add(token, 'text')}`, ...filters].join(' AND ')}
                    ORDER BY p.popularity DESC, p.movie_id DESC LIMIT ${limit})`,
    );
    branches.push(scans.length === 1 ? scans[0]! : `(SELECT * FROM (${scans.join(' UNION ALL ')}) t ORDER BY t.popularity DESC, t.movie_id DESC LIMIT ${limit})`);
  }
  if (query.year != null && query.match) {
    branches.push(
      `(SELECT ${columns} FROM movie_search s WHERE ${where([match, `s.year = ${params.add(query.year, 'int4')}`])}
         ORDER BY s.popularity DESC, s.movie_id DESC LIMIT ${limit})`,
    );
  }
  if (!branches.length) return [];
  const { rows } = await pool.query<{ movie_id: string; tokens: string[]; popularity: number; year: number | null }>(
    `${ctes.length ? `WITH ${ctes.join(',\n')}\n` : ''}${branches.join('\nUNION\n')}`,
    params.values,
  );
  return rows.map((r) => ({ movieId: r.movie_id, tokens: r.tokens, popularity: r.popularity, year: r.year }));
}

/** How common title tokens are among movies: PostgreSQL's sampled statistics of movie_search.tokens. */
export interface TokenStatistics {
  /** Movies in the index (the planner's estimate). */
  movies: number;
  /** Share of movies having each of the most common tokens. */
  shares: Map<string, number>;
  /** Every other token is on fewer movies than this share. */
  below: number;
}

/** The statistics ANALYZE (or autovacuum) gathered on movie_search.tokens; null before the first. */
export async function tokenStatistics(pool: pg.Pool): Promise<TokenStatistics | null> {
  const { rows } = await pool.query<{ elems: string[] | null; freqs: number[] | null; movies: number }>(
    `SELECT st.most_common_elems::text::text[] AS elems, st.most_common_elem_freqs::float8[] AS freqs,
            greatest(c.reltuples, 0)::float8 AS movies
       FROM pg_class c
       LEFT JOIN pg_stats st ON st.schemaname = current_schema() AND st.tablename = 'movie_search' AND st.attname = 'tokens'
      WHERE c.oid = 'movie_search'::regclass`,
  );
  const row = rows[0];
  if (!row?.elems || !row.freqs || !(row.movies > 0)) return null;
  // most_common_elem_freqs: one share per element, then the least and greatest of them and the null share.
  const shares = new Map(row.elems.map((e, i) => [e, row.freqs![i]!]));
  return { movies: row.movies, shares, below: row.freqs[row.elems.length] ?? 0 };
}

/** How many movies match (with the filter). */
export async function countMatches(pool: pg.Pool, match: MatchSpec | null, filter: SearchFilter | null | undefined): Promise<number> {
  const params = new Params();
  const conditions = [...(match ? [matchSql(match, params)] : []), ...filterSql(filter, params)];
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM movie_search s WHERE ${conditions.length ? conditions.join(' AND ') : 'true'}`,
    params.values,
  );
  return rows[0]?.n ?? 0;
}

export interface FacetCounts {
  genres: { name: string; count: number }[];
  decades: { decade: number; count: number }[];
  providers: { key: string; count: number }[];
}

/**
 * Counts per genre, decade and provider over every movie matching (match may be null: all movies)
 * with the filter, in one statement over one scan of the matches.
 */
export async function facetCounts(pool: pg.Pool, match: MatchSpec | null, filter: SearchFilter | null | undefined): Promise<FacetCounts> {
  const params = new Params();
  const conditions = [...(match ? [matchSql(match, params)] : []), ...filterSql(filter, params)];
  const { rows } = await pool.query<{ kind: 'g' | 'd' | 'p'; key: string; count: number }>(
    `WITH hit AS MATERIALIZED (
       SELECT s.genre_ids, s.year, s.providers FROM movie_search s WHERE ${conditions.length ? conditions.join(' AND ') : 'true'})
     SELECT 'g' AS kind, g.name AS key, x.n AS count
       FROM (SELECT gid, count(*)::int AS n FROM hit, unnest(hit.genre_ids) gid GROUP BY gid) x JOIN genres g ON g.id = x.gid
     UNION ALL
     SELECT 'd', (year / 10 * 10)::text, count(*)::int FROM hit WHERE year IS NOT NULL GROUP BY year / 10
     UNION ALL
     SELECT 'p', p, count(*)::int FROM hit, unnest(hit.providers) p GROUP BY p`,
    params.values,
  );
  const facets: FacetCounts = { genres: [], decades: [], providers: [] };
  for (const r of rows) {
    if (r.kind === 'g') facets.genres.push({ name: r.key, count: r.count });
    else if (r.kind === 'd') facets.decades.push({ decade: Number(r.key), count: r.count });
    else facets.providers.push({ key: r.key, count: r.count });
  }
  const byCount = <T extends { count: number }>(key: (x: T) => string | number) => (a: T, b: T) =>
    b.count - a.count || String(key(a)).localeCompare(String(key(b)));
  facets.genres.sort(byCount((g) => g.name));
  facets.decades.sort((a, b) => a.decade - b.decade);
  facets.providers.sort(byCount((p) => p.key));
  return facets;
}

/** A slot of a suggestion's plan: its single-token alternatives and what each costs. */
export interface SuggestionSlot {
  tokens: string[];
  costs: number[];
}

/**
 * What one suggestion statement reads and how it orders the result to keep only what may be among
 * the first few (src/services/search.ts suggestMovies decides the values; the final order is the
 * service's, rankCandidates).
 */
export interface SuggestionQuery {
  /** The tokens whose postings drive the word plan (at most SUGGESTION_DRIVERS), and the joined plan (at most SUGGESTION_JOINED_DRIVERS). */
  drivers: string[];
  joinedDrivers: string[];
  /** The slots of the word plan (1 to SUGGESTION_SLOTS; every one must match). */
  slots: SuggestionSlot[];
  /** The one slot of a second plan (the typed words run together), or null. */
  joined: SuggestionSlot | null;
  /** Whole-title tokens ("=…") whose most popular movies are candidates too. */
  titleTokens: string[];
  /** Whole-title tokens that are the query itself (exact title). */
  exactTokens: string[];
  /** "=" + the typed words run together, when long enough for the begins-with bonus; else null. */
  typedTitle: string | null;
  /** Cost of typed words no title has; cost when only the whole title matched; bonus for a title beginning with what was typed. */
  baseCost: number;
  unknownCost: number;
  beginsBonus: number;
  /** Largest relevance the service may add to a candidate beyond this statement's (the near-title bonus). */
  slack: number;
  /** How many of the most popular matches are candidates (as fetchCandidates' limit). */
  limit: number;
  /** How many suggestions are wanted: rows that cannot be among them are not returned. */
  first: number;
}

export const SUGGESTION_SLOTS = 4;

export interface SuggestionCandidate extends Candidate {
  title: string;
}

/**
 * The statement of a suggestion: one text for every suggestion (prepared once per connection, so
 * never planned again; unused token places are NULL and read nothing). Candidates are read as
 * fetchCandidates' popular and whole-title branches read them: per plan, the most popular of its
 * drivers' postings (merged, at most POPULAR_WINDOW) that have every slot, and the most popular
 * movies of the whole titles.
 * They are scored set-based as the service scores them but for the near-title bonus (the cheapest
 * alternative of each slot a movie has, summed per plan, the cheaper plan), and only those that
 * may still be among the first `first` are returned, with their current title and year.
 *
 * Slots are numbered 0-3 (the word plan's) and 4 (the joined plan's one slot).
 */
/** Most driving tokens of the word plan, of the joined plan, and whole-title tokens one suggestion statement reads. */
export const SUGGESTION_DRIVERS = 32;
export const SUGGESTION_JOINED_DRIVERS = 4;
export const SUGGESTION_TITLES = 8;
const SUGGESTION_DRIVER_SIZES = [2, 8, SUGGESTION_DRIVERS];

/**
 * The most popular postings of up to `count` tokens (the elements of an array parameter; missing
 * ones are NULL and read nothing), merged in popularity order: one index scan per token, each read
 * only as far as the merge needs (as fetchCandidates' UNION ALL of scans is).
 */
const mergedPostings = (tokens: string, count: number, limit: string) =>
  `SELECT u.movie_id, u.tokens, u.popularity FROM (${Array.from(
    { length: count },
    (_, i) => `(SELECT p.movie_id, p.tokens, p.popularity FROM search_postings p WHERE p.token = (${tokens})[${i + 1}]
        ORDER BY p.popularity DESC, p.movie_id DESC LIMIT ${limit})`,
  ).join(' UNION ALL ')}) u ORDER BY u.popularity DESC, u.movie_id DESC LIMIT ${limit}`;

/** The statement for up to `drivers` word-plan drivers. */
const suggestionSql = (drivers: number) => `
WITH driven AS (
  (SELECT w.movie_id, w.tokens, w.popularity FROM (${mergedPostings('$1::text[]', drivers, '$3::int')}) w
    WHERE ($5::text[] IS NULL OR w.tokens && $5::text[]) AND ($6::text[] IS NULL OR w.tokens && $6::text[])
          AND ($7::text[] IS NULL OR w.tokens && $7::text[]) AND ($8::text[] IS NULL OR w.tokens && $8::text[])
    LIMIT $4::int)
  UNION ALL
  (SELECT w.movie_id, w.tokens, w.popularity FROM (${mergedPostings('$2::text[]', SUGGESTION_JOINED_DRIVERS, '$3::int')}) w
    WHERE w.tokens && $9::text[]
    LIMIT $4::int)
), titled AS (
  ${mergedPostings('$13::text[]', SUGGESTION_TITLES, '$4::int')}
), candidates AS (
  SELECT DISTINCT ON (u.movie_id) u.movie_id, u.tokens, u.popularity FROM (SELECT * FROM driven UNION ALL SELECT * FROM titled) u
), words AS (
  SELECT c.movie_id, t.token FROM candidates c CROSS JOIN LATERAL unnest(c.tokens) t(token)
), slot_costs AS (
  SELECT w.movie_id, a.slot, min(a.cost) AS cost
    FROM words w JOIN unnest($10::text[], $11::int[], $12::float8[]) a(token, slot, cost) ON a.token = w.token
   GROUP BY w.movie_id, a.slot
), costs AS (
  SELECT sc.movie_id,
         least(CASE WHEN count(*) FILTER (WHERE sc.slot < 4) = $14::int THEN sum(sc.cost) FILTER (WHERE sc.slot < 4) END,
               min(sc.cost) FILTER (WHERE sc.slot = 4)) + $17::float8 AS cost
    FROM slot_costs sc GROUP BY sc.movie_id
), scored AS MATERIALIZED (
  SELECT c.movie_id, c.tokens, c.popularity, c.tokens && $15::text[] AS exact, k.cost,
         c.popularity - coalesce(k.cost, $18::float8)
           + CASE WHEN NOT c.tokens && $15::text[] AND c.movie_id IN (SELECT w.movie_id FROM words w WHERE starts_with(w.token, $16::text))
                  THEN $19::float8 ELSE 0 END AS relevance,
         -- Whether a whole title could be within the edits its length allows of what was typed (the
         -- near-title bonus the service may add): 4+ letters, and a length that close.
         NOT c.tokens && $15::text[] AND c.movie_id IN (
           SELECT w.movie_id FROM words w
            WHERE starts_with(w.token, '=') AND char_length(w.token) > 4
              AND abs(char_length(w.token) - char_length($16::text)) <= CASE WHEN char_length(w.token) > 8 THEN 2 ELSE 1 END) AS near
    FROM candidates c LEFT JOIN costs k ON k.movie_id = c.movie_id
), bar AS (
  SELECT s.exact, s.relevance FROM scored s WHERE s.exact OR s.cost IS NOT NULL
   ORDER BY s.exact DESC, s.relevance DESC, s.movie_id DESC OFFSET $21::int - 1 LIMIT 1
)
SELECT s.movie_id, s.tokens, s.popularity, m.year, m.title, (SELECT count(DISTINCT d.movie_id) FROM driven d)::int AS driven
  FROM scored s JOIN movies m ON m.id = s.movie_id
 WHERE NOT EXISTS (SELECT 1 FROM bar)
    OR (s.exact, s.relevance + CASE WHEN s.near THEN $20::float8 ELSE 0 END + 1e-5) >= (SELECT b.exact, b.relevance FROM bar b)`;

const SUGGESTION_TEXTS = new Map(SUGGESTION_DRIVER_SIZES.map((size) => [size, suggestionSql(size)]));

/**
 * The candidates of a suggestion that may be among the first `first`, with their titles; and how
 * many matches the drivers' postings gave (fewer than enough: the service reads every match instead).
 */
export async function suggestionCandidates(pool: pg.Pool, query: SuggestionQuery): Promise<{ candidates: SuggestionCandidate[]; driven: number }> {
  if (query.slots.length < 1 || query.slots.length > SUGGESTION_SLOTS) throw new Error(`a suggestion has 1 to ${SUGGESTION_SLOTS} slots`);
  if (query.drivers.length > SUGGESTION_DRIVERS || query.joinedDrivers.length > SUGGESTION_JOINED_DRIVERS || query.titleTokens.length > SUGGESTION_TITLES) {
    throw new Error('too many tokens for one suggestion statement');
  }
  // Three sizes of the word plan's token places (unused ones read nothing but cost their scans'
  // set-up): three statements, each planned at most a few times per connection (PostgreSQL plans
  // a prepared statement for its first five executions, then keeps a generic plan).
  const drivers = SUGGESTION_DRIVER_SIZES.find((size) => query.drivers.length <= size) ?? SUGGESTION_DRIVERS;
  const slots = [...query.slots.map((slot, i) => ({ slot, i })), ...(query.joined ? [{ slot: query.joined, i: SUGGESTION_SLOTS }] : [])];
  // The drivers' postings are checked for every other slot of the word plan (the driving slot
  // holds by construction), those with fewest alternatives first: most postings fail early.
  const driving = new Set(query.drivers);
  const checks = query.slots
    .filter((slot) => !slot.tokens.every((t) => driving.has(t)))
    .map((slot) => slot.tokens)
    .sort((a, b) => a.length - b.length);
  const { rows } = await pool.query<{ movie_id: string; tokens: string[]; popularity: number; year: number | null; title: string; driven: number }>({
    name: `moviec_suggestion_${drivers}`,
    text: SUGGESTION_TEXTS.get(drivers)!,
    values: [
      query.drivers,
      query.joinedDrivers,
      POPULAR_WINDOW,
      query.limit,
      ...[0, 1, 2, 3].map((i) => checks[i] ?? null),
      query.joined?.tokens ?? null,
      slots.flatMap(({ slot }) => slot.tokens),
      slots.flatMap(({ slot, i }) => slot.tokens.map(() => i)),
      slots.flatMap(({ slot }) => slot.costs),
      query.titleTokens,
      query.slots.length,
      query.exactTokens,
      query.typedTitle,
      query.baseCost,
      query.unknownCost,
      query.beginsBonus,
      query.slack,
      query.first,
    ],
  });
  return {
    candidates: rows.map((r) => ({ movieId: r.movie_id, tokens: r.tokens, popularity: r.popularity, year: r.year, title: r.title })),
    driven: rows[0]?.driven ?? 0,
  };
}

/** Titles and years of movies by id (those that exist), in one prepared statement. */
export async function suggestionRows(pool: pg.Pool, ids: readonly string[]): Promise<{ id: string; title: string; year: number | null }[]> {
  const { rows } = await pool.query<{ id: string; title: string; year: number | null }>({
    name: 'moviec_suggestion_rows',
    text: 'SELECT m.id, m.title, m.year FROM movies m WHERE m.id = ANY($1::uuid[])',
    values: [ids],
  });
  return rows;
}
