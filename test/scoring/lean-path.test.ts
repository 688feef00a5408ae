import fc from 'fast-check';
import { computeAggregate, computeGeneral, type DefinitionLookup } from '../../src/scoring/compute.js';
import { computeBatch } from '../../src/scoring/aggregate.js';
import type { AggregateWrites, AggregationRecordRow, LockedMovie } from '../../src/db/aggregates.js';
import type { PriorRow } from '../../src/db/scoring-priors.js';
import { copyText } from '../../src/db/staging.js';
import { Provenances } from '../../src/db/bulk-lines.js';
import { priorLookup } from '../../src/scoring/priors.js';
import { findProvider } from '../../src/sources/registry.js';
import type { ProviderDefinition } from '../../src/sources/types.js';
import type { CuratedFields, RecordInput } from '../../src/scoring/types.js';
import { CANONICAL_GENRES } from '../../src/sources/genres.js';

/**
 * The lean paths of a first aggregation compute exactly what the general ones do:
 * - computeAggregate of a movie with one record (computeOne) against computeGeneral, the rules as
 *   stated, on random records, definitions, priors and locks: the same result, to the last bit and
 *   with its keys in the same order (its JSON is the stored aggregate_hash's input);
 * - computeBatch's COPY lines for the bulk rebuild (db/bulk-lines.ts) against the lines the row
 *   objects of per-movie aggregation make, as the set-based inserts from them wrote them (a
 *   movie's repeated provider and title once, the first; each genre by its name's id, or left to
 *   the SQL's join when its id is not known).
 */

const PROVIDERS = ['imdb', 'tmdb', 'rottentomatoes', 'movielens', 'elsewhere'] as const;
const KINDS = ['users', 'critics', 'audience', 'unscaled'];
const SPELLINGS = ['Drama', 'drama', 'Sci-Fi', 'Science Fiction', 'Classics', 'Mumblecore', 'Comedy', 'Romance', 'Film-Noir', ''];

const weightArb = fc.constantFrom(0, 0.25, 0.5, 1, 2, 3);
/** A provider definition with random weights, precedence, scales and aliases (some spellings unknown, one known as no genre). */
const definitionArb = fc.record({
  title: weightArb, genres: weightArb, users: weightArb, critics: weightArb, audience: weightArb,
  rank: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  scales: fc.subarray(['users', 'critics', 'audience']),
  aliases: fc.dictionary(fc.constantFrom(...SPELLINGS), fc.subarray(['Drama', 'Science Fiction', 'Comedy', 'Romance', 'Film Noir', 'Ächtung'])),
}).map((d): ProviderDefinition => ({
  key: 'imdb', name: 'x', kind: 'FILE', createsMovies: true,
  ratingScales: Object.fromEntries(d.scales.map((k, i) => [k, { label: `${i}-10`, min: i, max: 10 }])),
  weights: { title: d.title, genres: d.genres, 'rating.users': d.users, 'rating.critics': d.critics, 'rating.audience': d.audience },
  genreAliases: d.aliases,
  ...(d.rank === undefined ? {} : { precedence: { title: d.rank, year: d.rank, overview: d.rank } }),
}));

// Two lone surrogates: different strings, stored alike (U+FFFD), so one provider's title and
// original title can be the same row of movie_titles.
const textArb = fc.oneof(fc.constant(''), fc.constant('The Film'), fc.string({ maxLength: 12 }), fc.constant('Amélie\t\\ "x"\n'), fc.constantFrom('Lone \uD800', 'Lone \uDBFF'));
const recordArb = (providerKey: string) => fc.record({
  providerKey: fc.constant(providerKey),
  externalId: fc.constantFrom('a1', 'b2', 'tt0000001'),
  title: fc.option(textArb, { nil: null }),
  originalTitle: fc.option(fc.oneof(textArb, fc.constant('The Film')), { nil: null }),
  year: fc.option(fc.integer({ min: 0, max: 2100 }), { nil: null }),
  releaseDate: fc.option(fc.constantFrom('', '2001-02-03'), { nil: null }),
  runtimeMinutes: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  genres: fc.array(fc.constantFrom(...SPELLINGS), { maxLength: 5 }),
  ratings: fc.array(
    fc.record({
      kind: fc.constantFrom(...KINDS),
      value: fc.double({ min: -5, max: 120, noNaN: true }),
      votes: fc.option(fc.integer({ min: 0, max: 3_000_000 }), { nil: null }),
    }),
    { maxLength: 3 },
  ),
  imdbId: fc.option(fc.constantFrom('', 'tt0000001'), { nil: null }),
  overview: fc.option(textArb, { nil: null }),
  posterUrl: fc.option(fc.constantFrom('', 'https://x/p.jpg'), { nil: null }),
  isAdult: fc.boolean(),
}) as fc.Arbitrary<RecordInput>;

const priorRowsArb = fc.array(
  fc.record({
    provider_key: fc.constantFrom(...PROVIDERS),
    kind: fc.constantFrom(...KINDS),
    prior_mean: fc.double({ min: 0, max: 100, noNaN: true }),
    prior_votes: fc.integer({ min: 1, max: 100_000 }),
    calibration: fc.constantFrom<[number, number][][]>([], [[0, 0], [50, 60], [100, 100]], [[0, 10], [100, 90]]),
  }),
  { maxLength: 4 },
) as fc.Arbitrary<PriorRow[]>;

const locksArb = fc.constantFrom<Partial<CuratedFields>[]>(
  {}, { title: 'Locked Title' }, { year: 1999, overview: null }, { isAdult: true, imdbId: 'tt9' },
  JSON.parse('{"toString": "odd", "notAField": 1}') as Partial<CuratedFields>,
);

describe('the lean path of a movie with one record', () => {
  it('computes what the general path computes, key order included', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROVIDERS).chain((key) => fc.tuple(recordArb(key), definitionArb, fc.boolean())),
        priorRowsArb,
        locksArb,
        ([record, definition, registered], priorRows, locks) => {
          // The registry's own definitions, or random ones.
          const lookup: DefinitionLookup = registered ? (key) => findProvider(key)?.definition : (key) => (key === 'elsewhere' ? undefined : { ...definition, key: key });
          const lean = computeAggregate([record], lookup, priorLookup(priorRows), locks);
          const general = computeGeneral([record], lookup, priorLookup(priorRows), locks);
          expect(JSON.stringify(lean)).toBe(JSON.stringify(general));
          expect(lean).toStrictEqual(general);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives no movie for a record without a title, as the general path', () => {
    const lookup: DefinitionLookup = (key) => findProvider(key)?.definition;
    for (const title of [null, '']) {
      const record = { providerKey: 'imdb', externalId: 'tt1', title, originalTitle: 'Original', year: 2000, releaseDate: null, runtimeMinutes: null, genres: [], ratings: [], imdbId: null, overview: null, posterUrl: null, isAdult: false };
      expect(computeAggregate([record], lookup)).toBeNull();
      expect(computeGeneral([record], lookup)).toBeNull();
    }
  });
});

// The lines the row objects of per-movie aggregation make: the bulk write's mapping before
// computeBatch built its COPY lines itself, and what its set-based inserts kept of them (titles:
// DISTINCT ON (movie, provider, title) the first; genres: joined on the name).
const N = '\\N';
const text = (v: unknown): string => (v === null || v === undefined ? N : copyText(typeof v === 'string' ? v : JSON.stringify(v)));
const num = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v === null || v === undefined ? N : text(v));
const bool = (v: unknown): string => (v === null || v === undefined ? N : v ? 't' : 'f');
const stored = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
function linesOfRows(writes: AggregateWrites, genreIds: ReadonlyMap<string, number> | undefined, provenanceLimit: number | undefined) {
  // Each distinct provenance numbered once, in the order met, up to the limit; the rest inline.
  const numbers = new Map<string, number>();
  const provenances: string[] = [];
  const numbered = (json: string): number | null => {
    if (provenanceLimit === undefined) return null;
    if (!numbers.has(json) && numbers.size < provenanceLimit) {
      numbers.set(json, numbers.size + 1);
      provenances.push(`${numbers.size}\t${copyText(json)}\n`);
    }
    return numbers.get(json) ?? null;
  };
  const seen = new Set<string>();
  const titles = writes.titles.filter((t) => {
    const key = JSON.stringify([t.movie_id, stored(t.providerKey as string), stored(t.title as string)]);
    return !seen.has(key) && !!seen.add(key);
  });
  return {
    ids: writes.movies.map((m) => m.id),
    movies: writes.movies.map((m) => {
      const n = numbered(JSON.stringify(m.provenance));
      return [
        m.id, m.hash, text(m.links_hash), text(m.title), text(m.originalTitle), num(m.year), text(m.releaseDate), num(m.runtimeMinutes),
        text(m.overview), text(m.posterUrl), bool(m.isAdult), text(m.imdbId), n === null ? copyText(JSON.stringify(m.provenance)) : N, num(m.score_value),
        num(m.score_confidence), num(m.score_votes), num(m.score_provider_count), num(m.score_critics), num(m.score_audience), n === null ? N : String(n),
      ].join('\t') + '\n';
    }),
    provenances,
    titles: titles.map((t) => `${t.movie_id}\t${text(t.providerKey)}\t${text(t.title)}\t${text(t.normalized)}\t${bool(t.isOriginal)}\t${num(t.score)}\n`),
    ratings: writes.ratings.map((r) =>
      [r.movie_id, text(r.providerKey), text(r.kind), num(r.rawValue), text(r.rawScale), num(r.normalized), num(r.calibrated),
        num(r.priorMean), num(r.priorVotes), num(r.votes)].join('\t') + '\n'),
    genres: writes.genres.filter((g) => genreIds?.has(g.name as string)).map((g) => `${g.movie_id}\t${genreIds!.get(g.name as string)}\t${num(g.confidence)}\n`),
    unplacedGenres: writes.genres.filter((g) => !genreIds?.has(g.name as string)),
  };
}

/** The genres' ids by name: none known, or all but a few (those left to the SQL's join). */
const genreIdsArb = fc.option(
  fc.subarray([...CANONICAL_GENRES], { minLength: CANONICAL_GENRES.length - 3 }).map((names) => new Map(names.map((name) => [name, CANONICAL_GENRES.indexOf(name) + 1]))),
  { nil: undefined },
);

/** No numbered provenances, or up to a few (the rest sent inline). */
const provenanceLimitArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('computeBatch for the bulk rebuild', () => {
  it('writes as COPY lines exactly the rows it writes as objects, and the same rest', () => {
    const recordsArb = fc.array(
      fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom('imdb', 'rottentomatoes', 'movielens', 'tmdb'), fc.boolean()).chain(([movie, key, withdrawn]) =>
        recordArb(key).map((r): AggregationRecordRow => ({ ...r, movieId: id(movie), withdrawn }))),
      { maxLength: 30 },
    );
    const lockedArb = fc.uniqueArray(fc.integer({ min: 1, max: 14 }), { minLength: 1, maxLength: 14 }).chain((movies) =>
      fc.tuple(...movies.sort((a, b) => a - b).map((n) =>
        fc.record({
          id: fc.constant(id(n)),
          aggregate_hash: fc.constantFrom(null, 'stale'),
          locks: locksArb,
          score_value: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
          links_hash: fc.constantFrom(null, 'old'),
        }) as fc.Arbitrary<LockedMovie>)));
    fc.assert(
      fc.property(lockedArb, recordsArb, priorRowsArb, fc.boolean(), genreIdsArb, provenanceLimitArb, (locked, records, priors, events, genreIds, limit) => {
        const rows = computeBatch(structuredClone(locked), structuredClone(records), priors, { events });
        const provenances = limit === undefined ? undefined : new Provenances(limit);
        const lines = computeBatch(structuredClone(locked), structuredClone(records), priors, { events, copy: true, genreIds, provenances });
        const { copy, ...rest } = lines.writes;
        const expected = linesOfRows(rows.writes, genreIds, limit);
        expect(copy!.ids).toStrictEqual(expected.ids);
        for (const table of ['movies', 'titles', 'ratings', 'genres', 'provenances'] as const) {
          // As sent (UTF-8: a lone surrogate as U+FFFD).
          expect(copy![table].toString()).toBe(stored(expected[table].join('')));
          expect(copy![table].rows).toBe(expected[table].length);
        }
        expect(copy!.unplacedGenres).toStrictEqual(expected.unplacedGenres);
        expect(rest).toStrictEqual({ ...rows.writes, movies: [], titles: [], ratings: [], genres: [] });
        expect(lines.result).toStrictEqual(rows.result);
      }),
      { numRuns: 500 },
    );
  });
});
