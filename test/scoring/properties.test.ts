import fc from 'fast-check';
import { calibrate, fitCalibration } from '../../src/scoring/calibration.js';
import { combineScore as combine, ratingWeight, type DefinitionLookup } from '../../src/scoring/compute.js';
import { explainScore, scoreSummary } from '../../src/scoring/explain.js';
import type { Prior } from '../../src/scoring/priors.js';
import type { NormalizedRating } from '../../src/scoring/types.js';

const PROVIDERS = ['imdb', 'tmdb', 'rottentomatoes', 'movielens'];
const WEIGHTS: Record<string, number> = { imdb: 1, tmdb: 0.9, rottentomatoes: 1, movielens: 0.9 };
const lookup: DefinitionLookup = (key) => ({
  key: key, name: key, kind: 'FILE', createsMovies: false, ratingScales: {}, genreAliases: {},
  weights: { 'rating.users': WEIGHTS[key] ?? 1 },
});

const priorArb = fc.record({
  mean: fc.double({ min: 0, max: 100, noNaN: true }),
  votes: fc.integer({ min: 1, max: 100_000 }),
  calibration: fc.constant([] as [number, number][]),
});
const ratingArb = (providerKey: string) =>
  fc.record({
    providerKey: fc.constant(providerKey),
    kind: fc.constant('users'),
    rawValue: fc.constant(0),
    rawScale: fc.constant('0-100'),
    normalized: fc.double({ min: 0, max: 100, noNaN: true }),
    votes: fc.option(fc.integer({ min: 1, max: 5_000_000 }), { nil: null }),
    calibrated: fc.constant(0),
    priorMean: fc.constant(0),
    priorVotes: fc.constant(0),
  });
const ratingsArb = fc
  .subarray(PROVIDERS, { minLength: 1 })
  .chain((keys) => fc.tuple(...keys.map((k) => ratingArb(k))))
  .map((list) => list as NormalizedRating[]);
const priorsArb = fc.tuple(priorArb, priorArb, priorArb, priorArb).map((list) => {
  const byProvider = new Map(PROVIDERS.map((p, i) => [p, list[i]!]));
  return (providerKey: string): Prior => byProvider.get(providerKey)!;
});

/**
 * The c-rating of ratings whose `normalized` is taken as already calibrated, shrunk toward the
 * given priors (each rating carries its prior since explanations exist). Unrounded: the exact sum
 * of the explanation's contributions, so that the properties are not hidden by the one-decimal rounding.
 */
function combineScore(ratings: NormalizedRating[], weights: DefinitionLookup, priors: (providerKey: string) => Prior) {
  const scored = ratings.map((r) => ({ ...r, calibrated: r.normalized, priorMean: priors(r.providerKey).mean, priorVotes: priors(r.providerKey).votes }));
  const score = combine(scored, weights);
  if (!score) return null;
  return { ...score, value: exactValue(scored, weights) };
}

function exactValue(ratings: NormalizedRating[], weights: DefinitionLookup): number {
  return explainScore(ratings, ratingWeight(weights))!.exact;
}

describe('c-rating properties', () => {
  it('is always within 0-100, with a confidence within 0-1', () => {
    fc.assert(
      fc.property(ratingsArb, priorsArb, (ratings, priors) => {
        const score = combineScore(ratings, lookup, priors)!;
        expect(score.value).toBeGreaterThanOrEqual(0);
        expect(score.value).toBeLessThanOrEqual(100);
        expect(score.confidence).toBeGreaterThanOrEqual(0);
        expect(score.confidence).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('rises when any provider’s rating rises', () => {
    fc.assert(
      fc.property(ratingsArb, priorsArb, fc.nat(), fc.double({ min: 1, max: 50, noNaN: true }), (ratings, priors, pick, delta) => {
        const i = pick % ratings.length;
        fc.pre(ratings[i]!.normalized + delta <= 100);
        const higher = ratings.map((r, j) => (j === i ? { ...r, normalized: r.normalized + delta } : r));
        expect(combineScore(higher, lookup, priors)!.value).toBeGreaterThan(combineScore(ratings, lookup, priors)!.value);
      }),
    );
  });

  it('more votes move the score from that provider’s prior toward its rating, never further than its weight', () => {
    fc.assert(
      fc.property(ratingsArb, priorsArb, fc.nat(), fc.integer({ min: 1, max: 1_000_000 }), (ratings, priors, pick, extra) => {
        const i = pick % ratings.length;
        const target = ratings[i]!;
        const prior = priors(target.providerKey);
        const before = combineScore(ratings, lookup, priors)!.value;
        const moreVotes = ratings.map((r, j) => (j === i ? { ...r, votes: (r.votes ?? prior.votes) + extra } : r));
        const after = combineScore(moreVotes, lookup, priors)!.value;
        // More votes raise the rating's trust, which moves its weighted term from the prior mean
        // toward the rating and leaves every other term as it was: the score moves the same way
        // as (rating - prior), by at most the rating's share of the weight times that distance.
        // The other providers may sit on either side, so "closer to the rating" is not a property.
        const share = WEIGHTS[target.providerKey]! / ratings.reduce((sum, r) => sum + WEIGHTS[r.providerKey]!, 0);
        const pull = target.normalized - prior.mean;
        const epsilon = 1e-9;
        expect((after - before) * Math.sign(pull)).toBeGreaterThanOrEqual(-epsilon);
        expect(Math.abs(after - before)).toBeLessThanOrEqual(share * Math.abs(pull) + epsilon);
      }),
      { numRuns: 1000 },
    );
  });

  it('confidence grows with every provider added', () => {
    fc.assert(
      fc.property(ratingsArb, priorsArb, (ratings, priors) => {
        fc.pre(ratings.length >= 2);
        const fewer = combineScore(ratings.slice(0, -1), lookup, priors)!;
        const all = combineScore(ratings, lookup, priors)!;
        expect(all.confidence).toBeGreaterThanOrEqual(fewer.confidence);
      }),
    );
  });
});

describe('quantile calibration', () => {
  it('maps the provider’s quantiles onto the reference quantiles', () => {
    const calibration = fitCalibration([20, 40, 60, 80], [10, 50, 70, 90]);
    expect(calibrate(40, calibration)).toBe(50);
    expect(calibrate(50, calibration)).toBe(60);
    expect(calibrate(90, calibration)).toBe(100); // past the end: slope 1, clamped
    expect(calibrate(15, calibration)).toBe(5);
  });

  it('is strictly increasing whatever the quantiles, so a higher rating always scores higher', () => {
    const sorted = fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 21, maxLength: 21 }).map((a) => a.sort((x, y) => x - y));
    fc.assert(
      fc.property(sorted, sorted, fc.double({ min: 0, max: 99, noNaN: true }), (from, to, x) => {
        const calibration = fitCalibration(from, to);
        const a = calibrate(x, calibration);
        const b = calibrate(x + 1, calibration);
        expect(b).toBeGreaterThanOrEqual(a);
        if (a < 100 && calibration.length >= 2) expect(b).toBeGreaterThan(a);
      }),
    );
  });

  it('falls back to identity with too little data', () => {
    expect(fitCalibration([50, 50, 50], [40, 60, 80])).toEqual([]);
    expect(calibrate(42, [])).toBe(42);
  });
});

describe('the stored score summary', () => {
  // Aggregation stores scoreSummary's figures; explanations (read time) come from explainScore. They
  // must agree to the last bit, in any order of ratings, with any weights (zero ones dropped).
  const anyRating = fc.record({
    providerKey: fc.constantFrom('imdb', 'tmdb', 'rottentomatoes', 'movielens'),
    kind: fc.constantFrom('users', 'critics', 'audience', 'other'),
    rawValue: fc.constant(0),
    rawScale: fc.constant('0-100'),
    normalized: fc.constant(0),
    calibrated: fc.double({ min: 0, max: 100, noNaN: true }),
    votes: fc.option(fc.integer({ min: 0, max: 5_000_000 }), { nil: null }),
    priorMean: fc.double({ min: 0, max: 100, noNaN: true }),
    priorVotes: fc.integer({ min: 1, max: 100_000 }),
  });
  const weights = fc.dictionary(fc.constantFrom('imdb:users', 'tmdb:users', 'rottentomatoes:critics', 'rottentomatoes:audience', 'movielens:other'), fc.constantFrom(0, 0.5, 0.9, 1, 1.3));

  it('gives explainScore’s value, confidence, votes and provider count under every profile', () => {
    fc.assert(
      fc.property(fc.array(anyRating, { maxLength: 6 }), weights, fc.constantFrom('BALANCED', 'CRITICS', 'AUDIENCE' as const), (ratings, w, profile) => {
        const reliability = (providerKey: string, kind: string) => w[`${providerKey}:${kind}`] ?? 1;
        const explained = explainScore(ratings, reliability, profile);
        const summary = scoreSummary(ratings, reliability, profile);
        if (!explained) return expect(summary).toBeNull();
        expect(summary).toEqual({ value: explained.value, confidence: explained.confidence, votes: explained.votes, providerCount: explained.providerCount });
        expect(Object.is(summary!.value, explained.value) && Object.is(summary!.confidence, explained.confidence)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
