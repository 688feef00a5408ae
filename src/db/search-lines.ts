import { CopyText, num, type CopyLines } from './bulk-lines.js';
import { arrayLiteral, copyText } from './staging.js';

/**
 * The search rows of a first aggregation in bulk, built by Node instead of the rebuild's backend
 * (issue 18 point 5): what firstSearchCopySql (db/aggregate-bulk.ts) makes of a chunk's rows, the
 * movie_search row of each written movie and the line its postings are made of, from the values
 * the chunk's COPY lines carry. Proven equal to the SQL by test/db/search-lines.test.ts (real
 * titles, Unicode included) and by the rebuild tests, which compare the bulk path's tables with
 * per-movie aggregation's.
 *
 * - tokens: moviec_search_tokens of each title's normalised form (searchTokens, its twin), distinct
 *   and in the database's order: only used when that order is the code points' (a C or POSIX
 *   collation, or the builtin provider's C / C.UTF-8: codePointOrder), as strings compare in UTF-8
 *   bytes there;
 * - popularity: log(1 + votes) + score / 500 in float8; the logarithm is the database's own (libm's
 *   log10 and V8's need not agree in the last bit): asked once per distinct vote count
 *   (PostingsApart's logs), the rest is one IEEE division and one addition, as in PostgreSQL;
 * - genre ids and providers as the joins and aggregates give them.
 *
 * A movie whose row depends on what Node cannot see is left to the SQL (`sqlIds`): a title lock
 * (its tokens come from title_forms), or a genre name the rebuild did not find in `genres`.
 */

/** Roman numerals II-XX in search form, as moviec_search_word rewrites them (a Map: "constructor" is no key). */
const ROMAN = new Map(Object.entries({
  ii: '2', iii: '3', iv: '4', vi: '6', vii: '7', viii: '8', ix: '9', xi: '11', xii: '12', xiii: '13',
  xiv: '14', xv: '15', xvi: '16', xvii: '17', xviii: '18', xix: '19', xx: '20',
}));

/** moviec_search_tokens of a normalised title: its words in search form, then "=" and all of them without spaces; none without words. */
export function searchTokens(normalized: string): string[] {
  const words: string[] = [];
  for (const raw of normalized.split(' ')) if (raw !== '') words.push(ROMAN.get(raw) ?? raw);
  if (!words.length) return [];
  words.push(`=${words.join('')}`);
  return words;
}

/** Whether the database's default collation orders text as its code points (memcmp of UTF-8). */
export function codePointOrder(database: { datlocprovider?: string | null; datcollate?: string | null; datlocale?: string | null }): boolean {
  const provider = database.datlocprovider ?? 'c';
  if (provider === 'c') return database.datcollate === 'C' || database.datcollate === 'POSIX';
  if (provider === 'b') return database.datlocale === 'C' || database.datlocale === 'C.UTF-8';
  return false;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Code point order of well-formed strings (UTF-16 code unit order differs only where a surrogate meets U+E000-U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate stands for a code point above U+FFFF: after every unit that is not one.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** array_agg(DISTINCT tok ORDER BY tok) in a code point collation: distinct, ascending, NULL last. */
export function sortedTokens(tokens: Iterable<string | null>): (string | null)[] {
  let nulls = false;
  let astral = false;
  const distinct = new Set<string>();
  for (const t of tokens) {
    if (t === null) nulls = true;
    else {
      // COPY stores a lone surrogate as U+FFFD (as Buffer.write encodes it): compare what is stored.
      const stored = SURROGATE.test(t) ? ((astral = true), Buffer.from(t, 'utf8').toString('utf8')) : t;
      distinct.add(stored);
    }
  }
  const sorted = [...distinct];
  if (astral) sorted.sort(compareCodePoints);
  else sorted.sort();
  return nulls ? [...sorted, null] : sorted;
}

/** What a written movie's search row is made of, as the chunk's COPY lines carry it. */
export interface SearchMovie {
  fields: { year: number | null };
  score: { value: number; votes: number } | null;
  /** Its titles' providers, in order (movie_titles' lines). */
  titles: readonly { providerKey: string }[];
  /** Each title's normalised form, in the same order. */
  normalized: readonly string[];
  genres: readonly { name: string; confidence: number }[];
}

/** A chunk's search inputs, one entry per written movie in the order added (the chunk's id order). */
export class SearchInputs {
  readonly ids: string[] = [];
  /** Movies left to the SQL (a title lock). */
  readonly sqlIds: string[] = [];
  readonly tokens: (string | null)[][] = [];
  /** greatest(coalesce(score_votes, 0), 0): the logarithm's argument less one. */
  readonly votes: number[] = [];
  /** coalesce(score_value, 0) as stored. */
  readonly scores: number[] = [];
  /** The rest of the row after the popularity, up to the genre ids: votes, score, year as COPY text. */
  readonly columns: string[] = [];
  /** The genre names at or above 0.5, to find in `genres`. */
  readonly genres: string[][] = [];
  /** The providers' array literal. */
  readonly providers: string[] = [];
}

/** Adds a written movie (after its COPY lines): its search inputs, or its id to the SQL's when it has a title lock. */
export function addSearchInputs(lines: CopyLines, id: string, movie: SearchMovie, locks: unknown): void {
  const search = (lines.search ??= new SearchInputs());
  // `locks ? 'title'`: a key, or an element of an array, or the string itself; anything but an
  // object without that key is left to the SQL.
  if (typeof locks !== 'object' || locks === null || Array.isArray(locks) || Object.hasOwn(locks, 'title')) {
    search.sqlIds.push(id);
    return;
  }
  search.ids.push(id);
  const tokens: (string | null)[] = [];
  for (const n of movie.normalized) for (const t of searchTokens(n)) tokens.push(t);
  search.tokens.push(sortedTokens(tokens));
  // The values as the movies' COPY line stores them (num: NaN and infinities are NULL).
  const votes = num(movie.score?.votes);
  const score = num(movie.score?.value);
  const stored = (text: string) => (text === '\\N' ? null : Number(text));
  search.votes.push(Math.max(stored(votes) ?? 0, 0));
  search.scores.push(stored(score) ?? 0);
  search.columns.push(`${votes}\t${score}\t${num(movie.fields.year)}`);
  const genres: string[] = [];
  for (const g of movie.genres) {
    const confidence = stored(num(g.confidence));
    if (confidence !== null && confidence >= 0.5) genres.push(g.name);
  }
  search.genres.push(genres);
  const providers = sortedTokens(movie.titles.map((t) => t.providerKey)) as string[];
  search.providers.push(arrayLiteral(providers));
}

/** A chunk's search rows as COPY text: movie_search's and the postings' (movie_id, tokens, popularity, year). */
export interface SearchText {
  rows: CopyText;
  postings: CopyText;
}

/** How a chunk's search rows are written: these movies' by the SQL, the others' from `text`. */
export interface SearchPlan {
  sqlIds: string[];
  text?: SearchText | Promise<SearchText>;
}

/**
 * The search rows of a first aggregation's chunks, built in Node: the genres' ids (read once),
 * the database's logarithms of the vote counts met so far, and every word's count of movies.
 */
export class NodeSearch {
  private readonly logs = new Map<number, number>();
  /** Each word's movies (no "=" tokens), over the chunks built here. */
  readonly words = new Map<string, number>();
  /** Whether `words` counts every movie's words: false once a movie's row was the SQL's. */
  wordsComplete = true;

  constructor(
    /** Each genre's id by its (unique) name. */
    private readonly genreIds: ReadonlyMap<string, number>,
    /** log(1 + greatest(coalesce(v, 0), 0)) of each v, by the database. */
    private readonly lookup: (votes: number[]) => Promise<{ v: number; l: number }[]>,
    known: readonly { v: number; l: number }[] = [],
  ) {
    for (const { v, l } of known) this.logs.set(v, l);
  }

  /** The chunk's plan: every movie the SQL's when a genre name is unknown, else the locked ones'. */
  plan(search: SearchInputs | undefined, ids: readonly string[]): SearchPlan {
    if (!search) {
      if (ids.length) this.wordsComplete = false;
      return { sqlIds: [...ids] };
    }
    const genres = genreLiterals(search, this.genreIds);
    if (!genres) {
      this.wordsComplete = false;
      return { sqlIds: [...ids] };
    }
    if (search.sqlIds.length) this.wordsComplete = false;
    if (!search.ids.length) return { sqlIds: search.sqlIds };
    const missing = [...new Set(search.votes.filter((v) => !this.logs.has(v)))];
    const build = () => searchText(search, genres, this.logs, this.words);
    if (!missing.length) return { sqlIds: search.sqlIds, text: build() };
    return {
      sqlIds: search.sqlIds,
      text: this.lookup(missing).then((rows) => {
        for (const { v, l } of rows) this.logs.set(v, l);
        return build();
      }),
    };
  }
}

/** Each movie's genre ids' array literal (the join on the name, ascending), or null when a name is not in `genreIds`. */
function genreLiterals(search: SearchInputs, genreIds: ReadonlyMap<string, number>): string[] | null {
  const literals: string[] = [];
  for (const names of search.genres) {
    const ids: number[] = [];
    for (const name of names) {
      const found = genreIds.get(name);
      if (found === undefined) return null;
      ids.push(found);
    }
    literals.push(arrayLiteral(ids.sort((a, b) => a - b)));
  }
  return literals;
}

/** The chunk's rows from its inputs; `logs` holds log(1 + v) of every vote count; `words` counts each word's movies. */
function searchText(search: SearchInputs, genres: readonly string[], logs: ReadonlyMap<number, number>, words: Map<string, number>): SearchText {
  const rows = new CopyText();
  const postings = new CopyText();
  for (let i = 0; i < search.ids.length; i++) {
    const id = search.ids[i]!;
    const tokens = search.tokens[i]!;
    const log = logs.get(search.votes[i]!);
    if (log === undefined) throw new Error(`no logarithm for ${search.votes[i]} votes`);
    const popularity = String(log + search.scores[i]! / 500);
    const literal = copyText(arrayLiteral(tokens));
    const columns = search.columns[i]!;
    rows.add(`${id}\t${literal}\t${popularity}\t${columns}\t${genres[i]}\t${copyText(search.providers[i]!)}`);
    postings.add(`${id}\t${literal}\t${popularity}\t${columns.slice(columns.lastIndexOf('\t') + 1)}`);
    for (const t of tokens) if (t !== null && !t.startsWith('=')) words.set(t, (words.get(t) ?? 0) + 1);
  }
  return { rows, postings };
}
