import type pg from 'pg';
import { LRUCache } from 'lru-cache';
import { sharedPool } from '../db/request-pool.js';
import {
  driverTokens,
  fetchCandidates,
  lookupWordUnits,
  POPULAR_WINDOW,
  SUGGESTION_DRIVERS,
  SUGGESTION_JOINED_DRIVERS,
  SUGGESTION_SLOTS,
  SUGGESTION_TITLES,
  suggestionCandidates,
  suggestionRows,
  tokenStatistics,
  type Candidate,
  type MatchSpec,
  type SearchFilter,
  type SuggestionSlot,
  type TokenStatistics,
  type WordHit,
  type WordUnit,
} from '../db/search.js';
import { allowedEdits, analyseQuery, deletions, editDistance, searchWord, spellingVariants, type AnalysedQuery } from './search-text.js';

/**
 * Title search and autocomplete over the search index (migration 20261130060000_search_index).
 *
 * 1. The query is normalised like every title (src/services/search-text.ts) and split into words.
 * 2. One statement finds the dictionary words each typed word may stand for: itself; a British or
 *    American spelling of it; words one edit away (words of 4-7 letters) or two (8+), a
 *    transposition counting as one, through symmetric deletes and trigrams; for the last word,
 *    the words it begins (it may still be being typed); and two words it may be written for
 *    without a space or punctuation ("walle" = "WALL·E", "faceoff" = "Face/Off").
 * 3. A movie matches when its titles have, for every typed word, one of those words. The
 *    candidates are the most popular matches, every movie whose whole title the query may be, and
 *    the most popular matches of the year the query names. The most popular matches are read from
 *    the posting lists of the rarest typed word (search_postings, in popularity order, with each
 *    movie's tokens in the index to check the other words), unless the words' statistics say that
 *    very few movies match (then all matches are read through the GIN index at once).
 * 4. Ranking: a movie of the preferred year first, then an exact title, then relevance: popularity
 *    (log10 of votes across providers, plus the c-rating / 50) minus what the match cost (1.5 per
 *    edit, 0.5 for completing a word, 0.25 for a split word), plus 1 when the whole title is
 *    within the allowed edits of the query.
 */

/** Relevance lost per edit between a typed word and a title word. */
export const EDIT_COST = 1.5;
/** Relevance lost when the last typed word is only the beginning of a title word. */
export const PREFIX_COST = 0.5;
/** Relevance lost when a typed word stands for two title words ("faceoff" -> "face off"). */
export const SPLIT_COST = 0.25;
/** Relevance lost for a British/American variant ("harbour" -> "harbor"). */
export const VARIANT_COST = 0.1;
/** Relevance lost for a typed word that no title has (it is then not required). */
export const UNKNOWN_WORD_COST = 3;
/** Relevance gained when the whole title is within the allowed edits of the whole query. */
export const NEAR_TITLE_BONUS = 1;
/** Relevance gained when the whole title begins with the query (typed from its start). */
export const TITLE_PREFIX_BONUS = 0.5;
/** Completions considered for the last word. */
const PREFIX_COMPLETIONS = 30;

interface Alternative {
  tokens: [string] | [string, string];
  cost: number;
}

interface Slot {
  word: string;
  alternatives: Alternative[];
}

export interface SearchPlan {
  query: AnalysedQuery;
  /** Ways to match: every slot of one plan. */
  plans: Slot[][];
  /** Cost added to every match (typed words no title has). */
  baseCost: number;
  /** Whole-title tokens worth considering whatever their popularity. */
  titleTokens: string[];
  /** Movies having each dictionary word found for the query. */
  wordMovies: Map<string, number>;
}

export interface RankedMovie {
  movieId: string;
  /** Sort keys, compared in order, all descending: [preferred year, exact title, relevance]. */
  keys: [number, number, number];
}

/** The probes of one typed word: itself, its spellings, deletions, splits and (8+ letters) trigram neighbours. */
function unitProbes(word: string): WordUnit {
  const exact = new Set<string>();
  const deletes = new Set<string>();
  const similar: string[] = [];
  exact.add(word);
  for (const v of spellingVariants(word)) exact.add(v);
  const length = [...word].length;
  // A title word of 4+ letters typed with a letter missing has 3.
  if (length >= 3) deletes.add(word);
  if (length >= 4) {
    for (const d of deletions(word)) {
      deletes.add(d);
      exact.add(d);
    }
  }
  // Title words of 8+ letters may be two edits away, which one-letter deletions do not all reach.
  if (length >= 7) similar.push(word);
  const letters = [...word];
  for (let i = 1; i < letters.length; i++) {
    exact.add(searchWord(letters.slice(0, i).join('')));
    exact.add(searchWord(letters.slice(i).join('')));
  }
  return { exact: [...exact], deletes: [...deletes], similar };
}

/** Typed words (and the required ones run together) whose dictionary words one query needs, and the prefix to complete. */
function unitsFor(query: AnalysedQuery, prefix: boolean): { words: string[]; prefix: string | null } {
  const words = new Set(query.words);
  if (query.required.length > 1) words.add(query.compactRequired);
  return { words: [...words], prefix: prefix ? (query.words.at(-1) ?? null) : null };
}

/**
 * Dictionary words found per typed word and per prefix, kept in each process while the catalogue
 * generation (MovieCache: the versions every movie change moves) is unchanged: the dictionary only
 * changes with movies, so within a generation a word's lookup gives the same words and counts.
 * Bounded (least recently used words go first).
 */
interface DictionaryMemo {
  generation: string;
  words: LRUCache<string, WordHit[]>;
  prefixes: LRUCache<string, WordHit[]>;
}
const DICTIONARY_MEMO_ENTRIES = 50_000;
const dictionaryMemos = new WeakMap<pg.Pool, DictionaryMemo>();

function dictionaryMemo(pool: pg.Pool, generation: string | null | undefined): DictionaryMemo | null {
  if (generation == null) return null;
  // One per process-wide pool (each API request sees its own pool object).
  const shared = sharedPool(pool);
  let memo = dictionaryMemos.get(shared);
  if (!memo || memo.generation !== generation) {
    memo = { generation, words: new LRUCache({ max: DICTIONARY_MEMO_ENTRIES }), prefixes: new LRUCache({ max: DICTIONARY_MEMO_ENTRIES }) };
    dictionaryMemos.set(shared, memo);
  }
  return memo;
}

/** The dictionary words a query's units and prefix stand for: from the memo, the rest in one statement. */
async function lookupQueryWords(pool: pg.Pool, words: string[], prefix: string | null, generation: string | null | undefined): Promise<WordHit[]> {
  const memo = dictionaryMemo(pool, generation);
  const found: WordHit[] = [];
  const missing = words.filter((w) => {
    const known = memo?.words.get(w);
    if (known) found.push(...known);
    return !known;
  });
  const knownCompletions = prefix == null ? undefined : memo?.prefixes.get(prefix);
  if (knownCompletions) found.push(...knownCompletions);
  const askPrefix = prefix != null && !knownCompletions ? prefix : null;
  if (!missing.length && askPrefix == null) return found;
  const hits = await lookupWordUnits(pool, missing.map(unitProbes), askPrefix, PREFIX_COMPLETIONS);
  const perUnit = missing.map((): WordHit[] => []);
  const completions: WordHit[] = [];
  for (const h of hits) {
    const hit = { word: h.word, movies: h.movies };
    found.push(hit);
    (h.unit < 0 ? completions : perUnit[h.unit]!).push(hit);
  }
  if (memo) {
    missing.forEach((w, i) => memo.words.set(w, perUnit[i]));
    if (askPrefix != null) memo.prefixes.set(askPrefix, completions);
  }
  return found;
}

/** The alternatives of one typed word among the dictionary words found. */
function alternativesFor(word: string, hits: Map<string, number>, completions: string[]): Alternative[] {
  const best = new Map<string, Alternative>();
  const offer = (tokens: Alternative['tokens'], cost: number) => {
    const key = tokens.join(' ');
    const seen = best.get(key);
    if (!seen || seen.cost > cost) best.set(key, { tokens, cost });
  };
  if (hits.has(word)) offer([word], 0);
  for (const v of spellingVariants(word)) if (hits.has(v)) offer([v], VARIANT_COST);
  // The edits allowed are those of the title word being typed (a typed word may have lost a letter:
  // "jas" for "jaws"). A three-letter word that titles have is taken as typed.
  const length = [...word].length;
  if (length >= 4 || (length === 3 && !hits.has(word))) {
    for (const candidate of hits.keys()) {
      if (candidate === word) continue;
      const edits = allowedEdits([...candidate].length);
      if (edits === 0) continue;
      const d = editDistance(word, candidate, edits);
      if (d <= edits) offer([candidate], d * EDIT_COST);
    }
  }
  for (const c of completions) if (c !== word) offer([c], PREFIX_COST);
  const letters = [...word];
  for (let i = 1; i < letters.length; i++) {
    const a = searchWord(letters.slice(0, i).join(''));
    const b = searchWord(letters.slice(i).join(''));
    if (hits.has(a) && hits.has(b)) offer([a, b], SPLIT_COST);
  }
  return [...best.values()].sort((x, y) => x.cost - y.cost);
}

/** Reads the dictionary and decides what a query matches. */
export async function planSearch(
  pool: pg.Pool,
  text: string,
  options: { year?: number | null; prefix?: boolean; generation?: string | null } = {},
): Promise<SearchPlan | null> {
  const query = analyseQuery(text, options.year ?? null);
  if (!query.words.length) return null;
  const units = unitsFor(query, options.prefix ?? true);
  const found: WordHit[] = await lookupQueryWords(pool, units.words, units.prefix, options.generation);
  const hits = new Map(found.map((h) => [h.word, h.movies]));
  const last = query.words.at(-1)!;
  const completions = units.prefix
    ? found
        .filter((h) => h.word.startsWith(last) && h.word !== last)
        .sort((a, b) => b.movies - a.movies || a.word.localeCompare(b.word))
        .slice(0, PREFIX_COMPLETIONS)
        .map((h) => h.word)
    : [];

  let baseCost = 0;
  const wordSlots: Slot[] = [];
  query.required.forEach((word, i) => {
    const isLast = i === query.required.length - 1 && word === last;
    const alternatives = alternativesFor(word, hits, isLast ? completions : []);
    if (alternatives.length) wordSlots.push({ word, alternatives });
    else baseCost += UNKNOWN_WORD_COST;
  });
  const plans: Slot[][] = [];
  if (wordSlots.length) plans.push(wordSlots);
  // The words typed apart or wrongly split: all of them as one word ("fac eoff" -> "faceoff").
  if (query.required.length > 1) {
    // Splitting the run-together words where they were typed apart is the word plan again.
    const typedApart = query.required.join(' ');
    const alternatives = alternativesFor(query.compactRequired, hits, []).filter((a) => a.tokens.join(' ') !== typedApart);
    if (alternatives.length) plans.push([{ word: query.compactRequired, alternatives }]);
  }
  const titleTokens = new Set([`=${query.compact}`, `=${query.compactRequired}`]);
  for (const plan of plans) {
    // A one-word query may be a whole title: its spellings, and the few most frequent completions.
    if (plan.length === 1) {
      for (const a of plan[0]!.alternatives) if (a.cost !== PREFIX_COST || completions.slice(0, 5).includes(a.tokens[0])) titleTokens.add(`=${a.tokens.join('')}`);
    }
    else titleTokens.add(`=${plan.map((slot) => slot.alternatives[0]!.tokens.join('')).join('')}`);
  }
  // With no word found, only a whole title written differently can match ("MASH" = "M*A*S*H").
  return { query, plans, baseCost: wordSlots.length ? baseCost : 0, titleTokens: [...titleTokens], wordMovies: hits };
}

export function matchSpec(plan: SearchPlan): MatchSpec | null {
  if (!plan.plans.length) return null;
  return {
    plans: plan.plans.map((slots) => ({
      slots: slots.map((slot) => ({
        tokens: slot.alternatives.filter((a) => a.tokens.length === 1).map((a) => a.tokens[0]),
        pairs: slot.alternatives.filter((a): a is { tokens: [string, string]; cost: number } => a.tokens.length === 2).map((a) => a.tokens),
      })),
    })),
  };
}

/** What matching this movie's tokens cost (Infinity when no plan matches). */
function matchCost(plan: SearchPlan, tokens: Set<string>): number {
  let best = Infinity;
  for (const slots of plan.plans) {
    let total = 0;
    for (const slot of slots) {
      let cheapest = Infinity;
      for (const a of slot.alternatives) {
        if (a.cost < cheapest && a.tokens.every((t) => tokens.has(t))) cheapest = a.cost;
      }
      total += cheapest;
      if (total >= best) break;
    }
    best = Math.min(best, total);
  }
  return best + plan.baseCost;
}

/** Ranks candidates: preferred year, exact title, relevance; ties by id (descending, like every list). */
export function rankCandidates(plan: SearchPlan, candidates: Candidate[]): RankedMovie[] {
  const { query } = plan;
  const exactTokens = new Set([`=${query.compact}`, `=${query.compactRequired}`]);
  const typed = query.compactRequired;
  const typedLength = [...typed].length;
  const ranked: RankedMovie[] = [];
  for (const c of candidates) {
    const tokens = new Set(c.tokens);
    const exact = c.tokens.some((t) => exactTokens.has(t));
    let cost = matchCost(plan, tokens);
    let near = false;
    let begins = false;
    if (!exact && typedLength >= 3) {
      for (const t of c.tokens) {
        if (!t.startsWith('=')) continue;
        const title = t.slice(1);
        const edits = allowedEdits([...title].length);
        if (!near && edits > 0 && editDistance(typed, title, edits) <= edits) near = true;
        if (!begins && title.startsWith(typed)) begins = true;
      }
    }
    if (!Number.isFinite(cost)) {
      if (!exact && !near) continue;
      cost = UNKNOWN_WORD_COST;
    }
    const yearMatch = query.year != null && (c.year === query.year || (query.yearWord != null && tokens.has(query.yearWord)));
    const relevance = c.popularity - cost + (near ? NEAR_TITLE_BONUS : begins ? TITLE_PREFIX_BONUS : 0);
    ranked.push({ movieId: c.movieId, keys: [yearMatch ? 1 : 0, exact ? 1 : 0, Math.round(relevance * 1e6) / 1e6] });
  }
  return ranked.sort(compareRanked);
}

export function compareRanked(a: RankedMovie, b: RankedMovie): number {
  for (let i = 0; i < a.keys.length; i++) {
    if (a.keys[i] !== b.keys[i]) return b.keys[i]! - a.keys[i]!;
  }
  return a.movieId < b.movieId ? 1 : a.movieId > b.movieId ? -1 : 0;
}

export interface SearchOptions {
  filter?: SearchFilter | null;
  year?: number | null;
  /** Most popular matches considered. */
  limit: number;
  /** Whether the last word may be the beginning of a title word. */
  prefix?: boolean;
  /** The catalogue generation the search runs under (MovieCache); null or absent: no in-process dictionary. */
  generation?: string | null;
}

/** How long the token statistics (gathered by ANALYZE) are used before they are read again. */
const STATISTICS_TTL_MS = 60_000;
const statistics = new WeakMap<pg.Pool, { at: number; value: Promise<TokenStatistics | null> }>();

/** The token statistics of this database, read at most once a minute (a plan choice, never a result). */
function currentStatistics(pool: pg.Pool): Promise<TokenStatistics | null> {
  // Per process-wide pool: an API request sees its own pool (db/request-pool.ts), and a statement
  // cancelled with one request must not leave every other request without statistics.
  const shared = sharedPool(pool);
  const now = Date.now();
  const cached = statistics.get(shared);
  if (cached && now - cached.at < STATISTICS_TTL_MS) return cached.value;
  const value = tokenStatistics(shared).catch(() => null);
  statistics.set(shared, { at: now, value });
  return value;
}

/** Share of movies having a token (PostgreSQL's sampled statistics; a token outside them is rarer than all in them). */
const tokenShare = (stats: TokenStatistics, token: string) => stats.shares.get(token) ?? stats.below;

type PlanSpec = MatchSpec['plans'][number];

/** Share of movies a plan matches, taking the words of a title as independent. */
function planShare(plan: PlanSpec, stats: TokenStatistics): number {
  let share = 1;
  for (const slot of plan.slots) share *= slotShare(slot, stats);
  return share;
}

function slotShare(slot: PlanSpec['slots'][number], stats: TokenStatistics): number {
  let total = 0;
  for (const token of slot.tokens) total += tokenShare(stats, token);
  for (const [a, b] of slot.pairs) total += tokenShare(stats, a) * tokenShare(stats, b);
  return Math.min(1, total);
}

/** Movies expected to match, taking the words of a title as independent. */
export function estimateMatches(spec: MatchSpec, stats: TokenStatistics): number {
  let total = 0;
  for (const plan of spec.plans) total += planShare(plan, stats);
  return Math.min(1, total) * stats.movies;
}

/**
 * The tokens whose postings drive each plan: those of its rarest slot (fewest postings to read
 * for the same matches), the rarer token of a pair. Without statistics, the first slot.
 */
export function choosePostingDrivers(spec: MatchSpec, stats: TokenStatistics | null): string[][] {
  return spec.plans.map((plan) => {
    if (!plan.slots.length) return [];
    if (!stats) return driverTokens(plan.slots[0]!);
    const rarer = (a: string, b: string) => (tokenShare(stats, b) < tokenShare(stats, a) ? b : a);
    const postings = (slot: PlanSpec['slots'][number]) => driverTokens(slot, rarer).reduce((sum, t) => sum + tokenShare(stats, t), 0);
    let best = plan.slots[0]!;
    for (const slot of plan.slots) if (postings(slot) < postings(best)) best = slot;
    return driverTokens(best, rarer);
  });
}

/** Index entries of search_postings to a page (~150 bytes each, the movie's tokens included). */
const POSTINGS_PER_PAGE = 50;
/**
 * How much the independence estimate may fall short: the words of a title go together far more
 * often than independence says ("Ingrid and", "Último Tren": 2,668 matches estimated as 10).
 */
const ESTIMATE_MARGIN = 10;

/**
 * Whether every match is cheaper to read through the GIN index (about a heap page per match) than
 * the driving postings (index-only, at most POPULAR_WINDOW of them, POSTINGS_PER_PAGE to a page):
 * only when the statistics say the matches are very few even allowing for correlated words.
 */
export function fewMatches(spec: MatchSpec | null, stats: TokenStatistics | null, drivers?: string[][]): boolean {
  if (!spec || !stats) return false;
  const chosen = drivers ?? choosePostingDrivers(spec, stats);
  return spec.plans.every((plan, i) => {
    const postings = (chosen[i] ?? []).reduce((sum, t) => sum + tokenShare(stats, t), 0) * stats.movies;
    return planShare(plan, stats) * stats.movies * ESTIMATE_MARGIN < Math.min(POPULAR_WINDOW, postings) / POSTINGS_PER_PAGE;
  });
}

/** The ranked movies a query finds (at most about `limit` plus whole-title and year matches). */
export async function rankedSearch(pool: pg.Pool, text: string, options: SearchOptions): Promise<{ plan: SearchPlan | null; ranked: RankedMovie[] }> {
  const [plan, stats] = await Promise.all([
    planSearch(pool, text, { year: options.year, prefix: options.prefix, generation: options.generation }),
    currentStatistics(pool),
  ]);
  if (!plan) return { plan, ranked: [] };
  const match = matchSpec(plan);
  const drivers = match ? choosePostingDrivers(match, stats) : undefined;
  const candidates = await fetchCandidates(pool, {
    match,
    filter: options.filter,
    limit: options.limit,
    titleTokens: plan.titleTokens,
    year: plan.query.year,
    drivers,
    rare: fewMatches(match, stats, drivers),
  });
  return { plan, ranked: rankCandidates(plan, candidates) };
}

/** A suggestion: what autocomplete shows of a movie. */
export interface Suggestion {
  id: string;
  title: string;
  year: number | null;
}

/** Matches (from the drivers' postings) below which every match is read instead (as fetchCandidates does). */
const ENOUGH_MATCHES = 20;

/** The suggestion statement's form of a slot; null when it has an alternative of two words (not in that statement). */
function suggestionSlot(slot: Slot): SuggestionSlot | null {
  if (slot.alternatives.some((a) => a.tokens.length > 1)) return null;
  return { tokens: slot.alternatives.map((a) => a.tokens[0]), costs: slot.alternatives.map((a) => a.cost) };
}

/**
 * Autocomplete: the first `first` movies a search of the prefix ranks among its `limit` most popular
 * matches, in order, with their titles and years. The same candidates and order as rankedSearch
 * with `prefix` (then the rows of the first ones), at less cost: the dictionary comes from the
 * process (lookupQueryWords), and the candidates, their scores (all but the near-title bonus) and
 * the titles of those that may be among the first come in one prepared statement, which returns
 * those few rows only (db/search.ts suggestionCandidates); rankCandidates then orders them. A
 * query that statement does not take (a year, a two-word alternative, more than SUGGESTION_SLOTS
 * words, very few matches by the statistics, or fewer drivers' matches than enough while more
 * postings remain unread) is searched as searchMovies does.
 */
export async function suggestMovies(pool: pg.Pool, text: string, options: { first: number; limit: number; generation?: string | null }): Promise<Suggestion[]> {
  const [plan, stats] = await Promise.all([planSearch(pool, text, { prefix: true, generation: options.generation }), currentStatistics(pool)]);
  if (!plan) return [];
  const match = matchSpec(plan);
  const drivers = match ? choosePostingDrivers(match, stats) : [];
  const [wordPlan, joinedPlan, ...more] = plan.plans.map((slots) => slots.map(suggestionSlot));
  const words = wordPlan?.every((s): s is SuggestionSlot => s !== null) ? wordPlan : null;
  const joined = joinedPlan?.length === 1 && joinedPlan[0] ? joinedPlan[0] : null;
  const fits =
    plan.query.year == null &&
    !more.length &&
    !!words &&
    words.length <= SUGGESTION_SLOTS &&
    (!joinedPlan || !!joined) &&
    new Set(drivers[0]).size <= SUGGESTION_DRIVERS &&
    new Set(drivers[1]).size <= SUGGESTION_JOINED_DRIVERS &&
    plan.titleTokens.length <= SUGGESTION_TITLES &&
    !fewMatches(match, stats, drivers);
  if (fits && words) {
    const [wordDrivers = [], joinedDrivers = []] = drivers.map((tokens) => [...new Set(tokens)]);
    const typed = plan.query.compactRequired;
    const { candidates, driven } = await suggestionCandidates(pool, {
      drivers: wordDrivers,
      joinedDrivers,
      slots: words,
      joined,
      titleTokens: plan.titleTokens,
      exactTokens: [`=${plan.query.compact}`, `=${plan.query.compactRequired}`],
      typedTitle: [...typed].length >= 3 ? `=${typed}` : null,
      baseCost: plan.baseCost,
      unknownCost: UNKNOWN_WORD_COST,
      beginsBonus: TITLE_PREFIX_BONUS,
      slack: NEAR_TITLE_BONUS,
      limit: options.limit,
      first: options.first,
    });
    // Fewer matches than enough while a driver has more postings than were read: every match
    // must be looked at (fetchCandidates does, through the GIN index).
    const unread = [...wordDrivers, ...joinedDrivers].some((t) => (plan.wordMovies.get(t) ?? Infinity) > POPULAR_WINDOW);
    if (driven >= ENOUGH_MATCHES || !unread) {
      const titles = new Map(candidates.map((c) => [c.movieId, c]));
      return rankCandidates(plan, candidates)
        .slice(0, options.first)
        .map((r) => {
          const c = titles.get(r.movieId)!;
          return { id: c.movieId, title: c.title, year: c.year };
        });
    }
  }
  const candidates = await fetchCandidates(pool, {
    match,
    limit: options.limit,
    titleTokens: plan.titleTokens,
    year: plan.query.year,
    drivers,
    rare: fewMatches(match, stats, drivers),
  });
  const ids = rankCandidates(plan, candidates)
    .slice(0, options.first)
    .map((r) => r.movieId);
  const rows = new Map((await suggestionRows(pool, ids)).map((m) => [m.id, m]));
  return ids.filter((id) => rows.has(id)).map((id) => rows.get(id)!);
}
