import type pg from 'pg';
import {
  candidateMovies, findCandidateMovies, withTrigramThreshold, type CandidateLookup, type CandidateMovie, type MovieLink,
} from '../db/match-candidates.js';
import { withTransaction } from '../db/pool.js';
import { alternateTitles } from '../sources/title-parts.js';
import { normalizeTitle } from './normalize-title.js';
import { compareTitles, SPELLED_NUMBERS, titleShape, titleWords, type TitleComparison } from './title-compare.js';

/**
 * Bump when a change to the matching rules can change a decision: start-up then runs
 * `moviec rematch` over every title match (src/matching/rematch.ts).
 */
export const MATCHING_RULES_VERSION = 2;

/** A candidate must score at least this (title agreement, less 0.05 per year apart, plus evidence). */
export const MATCH_THRESHOLD = 0.8;
/** …and beat every other candidate movie by at least this much, or the row is ambiguous. */
export const MATCH_MARGIN = 0.1;
export const YEAR_PENALTY = 0.05;
/** Candidates are looked up this many years around the record's; the second year needs agreeing directors. */
const YEAR_SLACK = 2;
/** Runtimes further apart than this share of the longer one are different films. */
const RUNTIME_TOLERANCE = 0.2;

export interface TitleQuery {
  recordId: string;
  title: string | null;
  originalTitle: string | null;
  year: number | null;
  /** Ids the record carries or links to ({provider: 'tmdb', id: '603'}), its own included. */
  ids?: { provider: string; id: string }[];
  runtimeMinutes?: number | null;
  directors?: string[];
  releaseDate?: string | null;
  /** Movies an admin rejected for this record. */
  rejectedMovieIds?: string[];
}

export interface Candidate extends CandidateMovie {
  year: number;
}

export type TitleMatch =
  | { kind: 'matched'; movieId: string; confidence: number; reason: string }
  | { kind: 'ambiguous'; reason: string }
  | { kind: 'none'; reason: string };

/**
 * Below this trigram similarity a candidate cannot change a decision: a winner needs
 * MATCH_THRESHOLD and a rival must come within MATCH_MARGIN of it (0.8 - 0.1), less a hair for
 * rounding. The GIN index is searched at this threshold instead of pg_trgm's default 0.3.
 */
export const CANDIDATE_SIMILARITY = MATCH_THRESHOLD - MATCH_MARGIN - 0.01;
/** Records per statement: bounded memory and statement size whatever the number of rows. */
const BATCH = 2000;

const ROMAN = ['', 'i', 'ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x', 'xi', 'xii', 'xiii', 'xiv', 'xv', 'xvi', 'xvii', 'xviii', 'xix', 'xx'];

/** Every title a record names: each alternate of its title and original title. */
export function recordTitles(q: Pick<TitleQuery, 'title' | 'originalTitle'>): string[] {
  return [...new Set([...alternateTitles(q.title), ...alternateTitles(q.originalTitle)])];
}

/** The normalised forms a record's titles are looked up by: as written, numbers both ways, and the head before a subtitle. */
function lookupsOf(q: TitleQuery): CandidateLookup[] {
  if (q.year === null) return [];
  const forms = new Map<string, boolean>();
  for (const title of recordTitles(q)) {
    const norm = normalizeTitle(title);
    if (!norm) continue;
    const variants = numberForms(titleWords(title));
    const shape = titleShape(title);
    for (const form of [norm, ...variants]) if (form) forms.set(form, forms.get(form) ?? false);
    // A record without a subtitle may meet a movie title with one: looked up as a prefix, same year.
    if (!shape.subtitle && shape.head.split(' ').length >= 2) forms.set(norm, true);
    const separator = /\s*:\s*|\s+[-–—]\s+/.exec(title);
    if (separator) {
      const head = normalizeTitle(title.slice(0, separator.index));
      if (head) forms.set(head, forms.get(head) ?? false);
    }
  }
  return [...forms].map(([norm, prefix]) => ({ record_id: q.recordId, norm, year: q.year!, prefix }));
}

/** The same words with their numbers written the other ways: 12 / xii / twelve, and "alien 3" / "alien3". */
function numberForms(words: string[]): string[] {
  const valueOf = (w: string) => {
    if (/^\d{1,2}$/.test(w)) return Number(w);
    const roman = ROMAN.indexOf(w);
    if (roman > 1) return roman;
    const spelled = SPELLED_NUMBERS.indexOf(w);
    return spelled > 1 ? spelled : null;
  };
  const at = words.findIndex((w) => { const v = valueOf(w); return v !== null && v > 1 && v < ROMAN.length; });
  const base = words.join(' ');
  if (at < 0) return [base];
  const n = valueOf(words[at]!)!;
  const forms = [String(n), ROMAN[n]!, SPELLED_NUMBERS[n]!].map((w) => [...words.slice(0, at), w, ...words.slice(at + 1)].join(' '));
  if (at > 0) forms.push([...words.slice(0, at - 1), `${words[at - 1]}${n}`, ...words.slice(at + 1)].join(' '));
  return [base, ...forms];
}

/**
 * Finds, for each record, the movie it is, set-based and index-driven (`BATCH` records per
 * statement): candidates by any of the record's titles within YEAR_SLACK years
 * (src/db/match-candidates.ts), then `decide` with what is known of each candidate.
 */
export async function matchByTitle(db: pg.PoolClient | pg.Pool, queries: TitleQuery[]): Promise<Map<string, TitleMatch>> {
  if (!('release' in db)) return withTransaction(db, (client) => matchByTitle(client, queries));
  const client = db;
  const candidates = new Map<string, Set<string>>();
  if (queries.some((q) => q.year !== null)) {
    await withTrigramThreshold(client, CANDIDATE_SIMILARITY, async () => {
      for (let i = 0; i < queries.length; i += BATCH) {
        const hits = await findCandidateMovies(client, queries.slice(i, i + BATCH).flatMap(lookupsOf), YEAR_SLACK, CANDIDATE_SIMILARITY);
        for (const h of hits) {
          const set = candidates.get(h.record_id) ?? new Set<string>();
          set.add(h.movie_id);
          candidates.set(h.record_id, set);
        }
      }
    });
  }
  const movies = new Map<string, CandidateMovie>();
  const ids = [...new Set([...candidates.values()].flatMap((s) => [...s]))];
  for (let i = 0; i < ids.length; i += BATCH * 2) {
    for (const [id, movie] of await candidateMovies(client, ids.slice(i, i + BATCH * 2))) movies.set(id, movie);
  }
  const decisions = new Map(
    queries.map((q) => {
      const list = [...(candidates.get(q.recordId) ?? [])]
        .map((id) => movies.get(id))
        .filter((m): m is CandidateMovie => !!m && m.year !== null) as Candidate[];
      return [q.recordId, decide(q, list)];
    }),
  );
  return oneRecordPerProvider(queries, decisions);
}

/**
 * Two records of one provider decided for one movie in the same batch (the movie's links did not
 * show either yet): a movie holds one record per provider, so the clearly better one keeps it and
 * the others are unmatched; equally good ones are all ambiguous.
 */
function oneRecordPerProvider(queries: TitleQuery[], decisions: Map<string, TitleMatch>): Map<string, TitleMatch> {
  const groups = new Map<string, { q: TitleQuery; m: TitleMatch & { kind: 'matched' } }[]>();
  for (const q of queries) {
    const m = decisions.get(q.recordId)!;
    const own = q.ids?.[0];
    if (m.kind !== 'matched' || !own) continue;
    const key = `${own.provider}\u0000${m.movieId}`;
    groups.set(key, [...(groups.get(key) ?? []), { q, m }]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => b.m.confidence - a.m.confidence);
    const [first, second] = group;
    const clear = first!.m.confidence - second!.m.confidence >= MATCH_MARGIN;
    for (const [i, { q, m }] of group.entries()) {
      if (i === 0 && clear) continue;
      const others = group.filter((g) => g.q !== q).map((g) => `${g.q.ids![0]!.id} "${g.q.title}" (${g.q.year}) at ${g.m.confidence}`);
      const reason = `"${q.title}" (${q.year}): movie ${m.movieId} is also the title match of ${q.ids![0]!.provider} ${others.join(', ')}`;
      decisions.set(q.recordId, clear ? { kind: 'none', reason } : { kind: 'ambiguous', reason });
    }
  }
  return decisions;
}

interface Scored {
  candidate: Candidate;
  confidence: number;
  evidence: string[];
  head: string;
  viaMissingSubtitle: boolean;
}

/** One clear winner above the threshold, or the reason there is none. Every part of the reason names what decided. */
export function decide(query: TitleQuery, candidates: Candidate[]): TitleMatch {
  const label = `"${query.title ?? query.originalTitle ?? ''}" (${query.year ?? 'no year'})`;
  if (query.year === null) return { kind: 'none', reason: `${label}: no year to tell remakes apart` };
  const titles = recordTitles(query);
  const ruledOut: string[] = [];
  const scored: Scored[] = [];
  for (const c of [...candidates].sort((a, b) => a.movieId.localeCompare(b.movieId))) {
    const name = `"${c.title}" (${c.year})`;
    if (query.rejectedMovieIds?.includes(c.movieId)) {
      ruledOut.push(`${name} rejected by an admin`);
      continue;
    }
    const best = bestComparison(titles, c.titles);
    if (!best.compatible) {
      ruledOut.push(`${name}: ${best.reason}`);
      continue;
    }
    const contradiction = idContradiction(query, c.links);
    if (contradiction) {
      ruledOut.push(`${name}: ${contradiction}`);
      continue;
    }
    const yearsApart = Math.abs(c.year - query.year);
    if (best.needsSameYear && yearsApart > 0) continue;
    const evidence: string[] = [];
    let bonus = 0;
    if (query.runtimeMinutes && c.runtimeMinutes) {
      const off = Math.abs(query.runtimeMinutes - c.runtimeMinutes) / Math.max(query.runtimeMinutes, c.runtimeMinutes);
      if (off > RUNTIME_TOLERANCE) {
        ruledOut.push(`${name}: runtime ${query.runtimeMinutes} vs ${c.runtimeMinutes} min`);
        continue;
      }
      if (off <= 0.05) {
        bonus += 0.03;
        evidence.push(`runtime ${query.runtimeMinutes}/${c.runtimeMinutes} min agrees`);
      }
    }
    let directorsAgree = false;
    if (query.directors?.length && c.directors.length) {
      const mine = new Set(query.directors.map(personKey));
      const shared = c.directors.filter((d) => mine.has(personKey(d)));
      if (!shared.length) {
        ruledOut.push(`${name}: directors differ (${query.directors.join(', ')} vs ${c.directors.join(', ')})`);
        continue;
      }
      directorsAgree = true;
      bonus += 0.05;
      evidence.push(`director ${shared[0]} agrees`);
    }
    if (yearsApart > 1 && !directorsAgree) continue;
    if (query.releaseDate && c.releaseDate === query.releaseDate) {
      bonus += 0.03;
      evidence.push(`release date ${c.releaseDate} agrees`);
    }
    const confidence = round(Math.min(1, best.score - YEAR_PENALTY * yearsApart + bonus));
    const titleEvidence = `title ${best.score === 1 ? 'equal' : `${best.score}`} ("${best.mine}" ~ "${best.theirs}")` + (best.note ? `, ${best.note}` : '');
    scored.push({
      candidate: c, confidence, evidence: [titleEvidence, `year ${c.year}`, ...evidence], head: best.head,
      viaMissingSubtitle: best.needsSameYear,
    });
  }
  scored.sort((a, b) => b.confidence - a.confidence || a.candidate.movieId.localeCompare(b.candidate.movieId));
  const blocked = ruledOut.length ? `; ruled out: ${ruledOut.join('; ')}` : '';
  const [best, second] = scored;
  if (!best) return { kind: 'none', reason: `${label}: no movie with a similar title within a year${blocked}` };
  if (best.confidence < MATCH_THRESHOLD) {
    return {
      kind: 'none',
      reason: `${label}: closest is "${best.candidate.title}" (${best.candidate.year}) at ${best.confidence}, below ${MATCH_THRESHOLD}${blocked}`,
    };
  }
  if (second && second.confidence > best.confidence - MATCH_MARGIN) {
    const rivals = scored.filter((c) => c.confidence > best.confidence - MATCH_MARGIN);
    const names = rivals.map((c) => `"${c.candidate.title}" (${c.candidate.year}) ${c.candidate.movieId}`);
    return { kind: 'ambiguous', reason: `${label}: ${names.length} movies match equally well: ${names.join(', ')}` };
  }
  if (best.viaMissingSubtitle) {
    // "The Lord of the Rings" against one of several films whose titles begin that way: a series.
    const siblings = candidates.filter((c) => c.movieId !== best.candidate.movieId && c.titles.some((t) => titleShape(t).head === best.head));
    if (siblings.length) {
      return {
        kind: 'ambiguous',
        reason: `${label}: its subtitle is missing and ${siblings.length + 1} films begin "${best.head}": ${[best.candidate, ...siblings].map((c) => `"${c.title}" (${c.year})`).join(', ')}`,
      };
    }
  }
  return {
    kind: 'matched',
    movieId: best.candidate.movieId,
    confidence: best.confidence,
    reason: `${label}: ${best.evidence.join(', ')}${second ? `; next "${second.candidate.title}" (${second.candidate.year}) at ${second.confidence}` : ''}`,
  };
}

/** The best-agreeing pair of a record's titles and a movie's, or why none can be the same film. */
function bestComparison(
  mine: string[],
  theirs: string[],
): ({ compatible: true; score: number; needsSameYear: boolean; note: string | null; mine: string; theirs: string; head: string }) | { compatible: false; reason: string } {
  let best: (TitleComparison & { compatible: true }) & { mine: string; theirs: string; head: string } | null = null;
  let firstReason: string | null = null;
  for (const a of mine) {
    for (const b of theirs) {
      const c = compareTitles(a, b);
      if (!c.compatible) {
        firstReason ??= `${c.reason}: "${a}" / "${b}"`;
        continue;
      }
      // A full agreement beats one that needs the same year.
      const rank = (x: { score: number; needsSameYear: boolean }) => x.score - (x.needsSameYear ? 0.001 : 0);
      if (!best || rank(c) > rank(best)) best = { ...c, mine: a, theirs: b, head: titleShape(a).head };
    }
  }
  return best ?? { compatible: false, reason: firstReason ?? 'no title' };
}

/**
 * Ids are evidence both ways: for any provider whose ids both the record and the movie know
 * (the record's own, or ids it links to), they must share one. A movie that already holds
 * another record of the record's own provider is thereby another film.
 */
export function idContradiction(query: Pick<TitleQuery, 'recordId' | 'ids'>, links: MovieLink[]): string | null {
  if (!query.ids?.length) return null;
  const theirs = new Map<string, Set<string>>();
  for (const l of links) {
    if (l.recordId === query.recordId) continue;
    const set = theirs.get(l.provider) ?? new Set<string>();
    set.add(l.id);
    theirs.set(l.provider, set);
  }
  const mine = new Map<string, Set<string>>();
  for (const { provider, id } of query.ids) mine.set(provider, (mine.get(provider) ?? new Set<string>()).add(id));
  for (const [provider, ids] of mine) {
    const other = theirs.get(provider);
    if (!other?.size) continue;
    if (![...ids].some((id) => other.has(id))) {
      return `ids contradict: the movie is ${provider} ${[...other].slice(0, 3).join(', ')}, this record ${provider} ${[...ids].join(', ')}`;
    }
  }
  return null;
}

function personKey(name: string): string {
  return normalizeTitle(name).replace(/ /g, '');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
