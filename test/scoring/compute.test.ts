import { computeAggregate, type DefinitionLookup } from '../../src/scoring/compute.js';
import { normalizeTitle } from '../../src/matching/normalize-title.js';
import { normalizeRating } from '../../src/scoring/normalize.js';
import type { RecordInput } from '../../src/scoring/types.js';
import type { ProviderDefinition } from '../../src/sources/types.js';

const imdb: ProviderDefinition = {
  key: 'imdb', name: 'IMDb', kind: 'FILE', createsMovies: true,
  ratingScales: { users: { label: '1-10', min: 1, max: 10 } },
  weights: { title: 1, 'rating.users': 1 },
  genreAliases: { Drama: ['Drama'], 'Sci-Fi': ['Science Fiction'] },
  precedence: { title: 1, runtimeMinutes: 1 },
};
const other: ProviderDefinition = {
  key: 'tmdb', name: 'TMDB', kind: 'API', createsMovies: true,
  ratingScales: { users: { label: '0-10', min: 0, max: 10 } },
  weights: { title: 1, 'rating.users': 3 },
  genreAliases: { Drama: ['Drama'], 'Science Fiction': ['Science Fiction'] },
  precedence: { title: 2, runtimeMinutes: 2 },
};
const lookup: DefinitionLookup = (key) => ({ imdb, tmdb: other })[key];

const record = (over: Partial<RecordInput>): RecordInput => ({
  providerKey: 'imdb', externalId: 'tt0000001', title: 'A Film', originalTitle: null, year: 2000, releaseDate: null,
  runtimeMinutes: null, genres: [], ratings: [], imdbId: 'tt0000001', overview: null, posterUrl: null, isAdult: false,
  ...over,
});

describe('rating and title normalisation', () => {
  it('maps a rating linearly onto 0-100 and clamps it', () => {
    expect(normalizeRating(1, imdb.ratingScales.users!)).toBe(0);
    expect(normalizeRating(10, imdb.ratingScales.users!)).toBe(100);
    expect(normalizeRating(5.5, imdb.ratingScales.users!)).toBe(50);
    expect(normalizeRating(12, imdb.ratingScales.users!)).toBe(100);
  });

  it('compares titles without case, accents, punctuation or &', () => {
    expect(normalizeTitle('Amélie: The Café & Me!')).toBe(normalizeTitle('amelie the cafe and me'));
  });
});

describe('computeAggregate', () => {
  it('returns null without records', () => {
    expect(computeAggregate([], lookup)).toBeNull();
  });

  it('a single unrated provider gives fields but no score', () => {
    const result = computeAggregate([record({ runtimeMinutes: 99, genres: ['Drama', 'Mumblecore'] })], lookup)!;
    expect(result.fields).toMatchObject({ title: 'A Film', year: 2000, runtimeMinutes: 99 });
    expect(result.score).toBeNull();
    expect(result.genres).toEqual([{ name: 'Drama', confidence: 1 }]);
    expect(result.unknownGenres).toEqual([{ providerKey: 'imdb', alias: 'Mumblecore' }]);
    expect(result.provenance).toMatchObject({ title: 'imdb', year: 'imdb', runtimeMinutes: 'imdb' });
  });

  it('takes a genre spelled like an Object property (constructor, __proto__) as unknown, and ignores a lock on an inherited name', () => {
    const spellings = ['constructor', '__proto__', 'toString', 'Drama'];
    const locks = { toString: 'x', title: 'Locked' } as never;
    for (const records of [[record({ genres: spellings })], [record({ genres: spellings }), record({ providerKey: 'tmdb', externalId: '1', genres: ['Drama'] })]]) {
      const result = computeAggregate(records, lookup, undefined, locks)!;
      expect(result.genres).toEqual([{ name: 'Drama', confidence: 1 }]);
      expect(result.unknownGenres).toEqual(spellings.slice(0, 3).map((alias) => ({ providerKey: 'imdb', alias })));
      expect(result.fields.title).toBe('Locked');
      expect(Object.hasOwn(result.fields, 'toString')).toBe(false);
    }
  });

  it('shrinks each rating toward its prior by votes and weighs providers by reliability (hand-computed)', () => {
    const priors = () => ({ mean: 50, votes: 1000, calibration: [] as [number, number][] });
    const result = computeAggregate(
      [
        record({ ratings: [{ kind: 'users', value: 8.2, votes: 1000 }] }), // (8.2-1)/9 = 80
        record({ providerKey: 'tmdb', externalId: '42', title: 'A Film', ratings: [{ kind: 'users', value: 6, votes: 500 }] }), // 60
      ],
      lookup,
      priors,
    )!;
    // IMDb: 1000/2000·80 + 1000/2000·50 = 65; TMDB: 500/1500·60 + 1000/1500·50 = 53.33
    // c-rating (1·65 + 3·53.33) / 4 = 56.25 → 56.3 (one decimal); confidence 1 − (1/2)¹·(2/3)³ = 0.8519
    expect(result.score).toMatchObject({ value: 56.3, confidence: 0.8519, votes: 1500, providerCount: 2 });
    expect(result.ratings.map((r) => [r.providerKey, r.normalized])).toEqual([['imdb', 80], ['tmdb', 60]]);
  });

  it('keeps every title and takes the one providers agree on; empty values never overwrite', () => {
    const result = computeAggregate(
      [
        record({ title: 'Kino', runtimeMinutes: null, genres: ['Drama'] }),
        record({ providerKey: 'tmdb', externalId: '42', title: 'The Film', runtimeMinutes: 101, genres: ['Drama', 'Science Fiction'] }),
        record({ providerKey: 'tmdb', externalId: '43', title: 'The Film', runtimeMinutes: 90 }),
      ],
      lookup,
    )!;
    expect(result.titles.map((t) => [t.providerKey, t.title, t.score])).toEqual([
      ['imdb', 'Kino', 0.5],
      ['tmdb', 'The Film', 0.5],
    ]);
    expect(result.fields.title).toBe('Kino'); // tie: IMDb ranks first for the title
    expect(result.fields.runtimeMinutes).toBe(101); // IMDb has none; TMDB's record with the lowest id is taken
    expect(result.provenance.runtimeMinutes).toBe('tmdb');
    expect(result.genres).toEqual([{ name: 'Drama', confidence: 1 }, { name: 'Science Fiction', confidence: 0.5 }]);
  });

  it('is independent of the order records come in', () => {
    const records = [
      record({ ratings: [{ kind: 'users', value: 7, votes: 10 }] }),
      record({ providerKey: 'tmdb', externalId: '42', title: 'Other', ratings: [{ kind: 'users', value: 9, votes: 10 }] }),
    ];
    expect(computeAggregate([...records].reverse(), lookup)).toEqual(computeAggregate(records, lookup));
  });
});

describe('a hand-computed three-provider example', () => {
  it('gives 77.1 with confidence 0.9994 on three providers', async () => {
    const { combineScore } = await import('../../src/scoring/compute.js');
    const weights: Record<string, Record<string, number>> = {
      imdb: { 'rating.users': 1 }, rottentomatoes: { 'rating.critics': 1 }, movielens: { 'rating.users': 0.9 },
    };
    const score = combineScore(
      [
        { providerKey: 'imdb', kind: 'users', rawValue: 8.0, rawScale: '1-10', normalized: 77.78, calibrated: 80, votes: 50_000, priorMean: 62, priorVotes: 1000 },
        { providerKey: 'rottentomatoes', kind: 'critics', rawValue: 91, rawScale: '0-100%', normalized: 91, calibrated: 84, votes: 120, priorMean: 60, priorVotes: 80 },
        { providerKey: 'movielens', kind: 'users', rawValue: 4.1, rawScale: '0.5-5', normalized: 80, calibrated: 78, votes: 2_400, priorMean: 65, priorVotes: 150 },
      ],
      (key) => ({ ...imdb, key: key, weights: weights[key]! }),
    )!;
    expect(score.value).toBe(77.1);
    expect(score.confidence).toBe(0.9994);
    expect(score).toMatchObject({ votes: 52_520, providerCount: 3 });
  });
});
