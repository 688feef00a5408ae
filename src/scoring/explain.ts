import { profileMultiplier } from './rules.js';
import type { NormalizedRating, ScoreProfileName } from './types.js';

/**
 * The c-rating and its explanation, from the ratings of one movie. The same function scores a
 * movie during aggregation and explains it at read time (from the stored ratings), so the
 * contributions a partner reads always add up to the value stored and ordered by.
 *
 *   trustᵢ = vᵢ / (vᵢ + mᵢ)                     (unknown votes count as mᵢ: trust ½)
 *   WRᵢ    = trustᵢ·Rᵢ + (1 − trustᵢ)·Cᵢ          (Rᵢ calibrated, Cᵢ the prior mean)
 *   weightᵢ = wᵢ / Σ w                          (wᵢ = provider reliability × profile multiplier)
 *   contributionᵢ = weightᵢ · WRᵢ,   value = Σ contributionᵢ rounded to one decimal
 *   confidence = 1 − Π (1 − trustᵢ)^wᵢ
 */

/** Bumped whenever the formula changes; a worker seeing a new version refits and re-aggregates. */
export const FORMULA_VERSION = '2';

/** A rating as it was scored (scoring/types.ts NormalizedRating). */
export type ScoredRating = NormalizedRating;

export interface Contribution extends ScoredRating {
  /** Share of the total weight, 0-1; the weights of one explanation add up to 1. */
  weight: number;
  /** v / (v + m): how far the rating is trusted over the prior. */
  trust: number;
  /** weight · (trust · calibrated + (1 − trust) · priorMean), in points of the value. */
  contribution: number;
}

export interface ScoreExplanation {
  formulaVersion: string;
  profile: ScoreProfileName;
  /** 0-100, rounded to one decimal. */
  value: number;
  /** The value before rounding (for tests of the formula's properties). */
  exact: number;
  confidence: number;
  votes: number;
  providerCount: number;
  /** Sorted by provider and kind; contributions (two decimals) add up to value exactly. */
  contributions: Contribution[];
}

/** Reliability weight of a provider's rating kind ("rating.<kind>" in its definition; 1 when absent). */
export type RatingWeight = (providerKey: string, kind: string) => number;

export function explainScore(ratings: ScoredRating[], reliability: RatingWeight, profile: ScoreProfileName = 'BALANCED'): ScoreExplanation | null {
  const rows = ratings
    .map((r) => ({ r, w: reliability(r.providerKey, r.kind) * profileMultiplier(profile, r.kind) }))
    .filter(({ w }) => w > 0)
    .sort((a, b) => a.r.providerKey.localeCompare(b.r.providerKey) || a.r.kind.localeCompare(b.r.kind));
  if (rows.length === 0) return null;
  const totalWeight = rows.reduce((sum, { w }) => sum + w, 0);
  let doubt = 1;
  let votes = 0;
  const contributions: Contribution[] = rows.map(({ r, w }) => {
    const v = r.votes ?? r.priorVotes;
    const trust = v / (v + r.priorVotes);
    doubt *= (1 - trust) ** w;
    votes += r.votes ?? 0;
    const weight = w / totalWeight;
    return { ...r, weight, trust, contribution: weight * (trust * r.calibrated + (1 - trust) * r.priorMean) };
  });
  const exact = contributions.reduce((sum, c) => sum + c.contribution, 0);
  const value = round(Math.min(100, Math.max(0, exact)), 1);
  return {
    formulaVersion: FORMULA_VERSION,
    profile,
    value,
    exact,
    confidence: round(1 - doubt, 4),
    votes,
    providerCount: new Set(rows.map(({ r }) => r.providerKey)).size,
    contributions: roundContributions(contributions, value),
  };
}

/** What aggregation stores of an explanation: its value, confidence, votes and provider count. */
export type ScoreSummary = Pick<ScoreExplanation, 'value' | 'confidence' | 'votes' | 'providerCount'>;

/**
 * explainScore's value, confidence, votes and provider count without the explanation: the same
 * arithmetic in the same order (so the same numbers to the last bit; test/scoring/explained.test.ts
 * compares them), but no contribution objects. Aggregation scores every movie under every profile
 * and stores only these; building and rounding the contributions was a third of computing a movie.
 */
export function scoreSummary(ratings: ScoredRating[], reliability: RatingWeight, profile: ScoreProfileName = 'BALANCED'): ScoreSummary | null {
  let rows = ratings;
  let weights: number[] = [];
  for (const r of ratings) weights.push(reliability(r.providerKey, r.kind) * profileMultiplier(profile, r.kind));
  if (weights.some((w) => !(w > 0)) || !sortedByProviderAndKind(ratings)) {
    const kept = ratings
      .map((r, i) => ({ r, w: weights[i]! }))
      .filter(({ w }) => w > 0)
      .sort((a, b) => a.r.providerKey.localeCompare(b.r.providerKey) || a.r.kind.localeCompare(b.r.kind));
    rows = kept.map(({ r }) => r);
    weights = kept.map(({ w }) => w);
  }
  if (rows.length === 0) return null;
  let totalWeight = 0;
  for (const w of weights) totalWeight = totalWeight + w;
  let doubt = 1;
  let votes = 0;
  let exact = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const w = weights[i]!;
    const v = r.votes ?? r.priorVotes;
    const trust = v / (v + r.priorVotes);
    doubt *= (1 - trust) ** w;
    votes += r.votes ?? 0;
    const weight = w / totalWeight;
    exact = exact + weight * (trust * r.calibrated + (1 - trust) * r.priorMean);
  }
  let providerCount = 1;
  for (let i = 1; i < rows.length; i++) {
    let seen = false;
    for (let j = 0; j < i; j++) if (rows[j]!.providerKey === rows[i]!.providerKey) seen = true;
    if (!seen) providerCount++;
  }
  return { value: round(Math.min(100, Math.max(0, exact)), 1), confidence: round(1 - doubt, 4), votes, providerCount };
}

/** Whether the ratings are already in explainScore's order (aggregation's are), so no sort is needed. */
function sortedByProviderAndKind(ratings: ScoredRating[]): boolean {
  for (let i = 1; i < ratings.length; i++) {
    const a = ratings[i - 1]!;
    const b = ratings[i]!;
    if ((a.providerKey.localeCompare(b.providerKey) || a.kind.localeCompare(b.kind)) > 0) return false;
  }
  return true;
}

/**
 * Contributions to two decimals, weights and trust to four; the largest contribution takes the
 * rounding remainder (at most a few hundredths) so that the contributions add up to the value.
 */
function roundContributions(contributions: Contribution[], value: number): Contribution[] {
  const rounded = contributions.map((c) => ({ ...c, weight: round(c.weight, 4), trust: round(c.trust, 4), contribution: round(c.contribution, 2) }));
  const remainder = round(value - rounded.reduce((sum, c) => sum + c.contribution, 0), 2);
  if (remainder !== 0) {
    const largest = rounded.reduce((best, c) => (c.contribution > best.contribution ? c : best), rounded[0]!);
    largest.contribution = round(largest.contribution + remainder, 2);
  }
  return rounded;
}

function round(n: number, places: number): number {
  const f = 10 ** places;
  return Math.round(n * f) / f;
}
