import type pg from 'pg';
import {
  currentFit, readPriors, readPriorStats, writeFit, writeFitInTransaction, type FittedPrior, type PriorRow, type PriorStats,
  type RatingsSource,
} from '../db/scoring-priors.js';
import type { ProviderDefinition } from '../sources/types.js';
import { calibrate, CALIBRATION_QUANTILES, fitCalibration, MIN_OVERLAP, type Calibration } from './calibration.js';
import { FORMULA_VERSION } from './explain.js';

export { PRIORS_SQL, type PriorRow } from '../db/scoring-priors.js';

export interface Prior {
  /** C, on the common 0-100 scale. */
  mean: number;
  /** m, in votes. */
  votes: number;
  calibration: Calibration;
}

export type PriorLookup = (providerKey: string, kind: string) => Prior;

/**
 * m never goes below this: a user or audience rating needs at least 1,000 votes to weigh as much as
 * its prior, however thinly a provider's films are rated (half of MovieLens' films have fewer than
 * ten ratings, half of IMDb's fewer than a hundred votes), so a few hundred enthusiastic votes
 * cannot lift a film over widely rated ones. A critic's review is worth more than a user's vote:
 * critics' ratings need 50 reviews (a Rotten Tomatoes film has a few dozen).
 */
export const MIN_PRIOR_VOTES: Record<string, number> = { users: 1000, audience: 1000, critics: 50 };
const minPriorVotes = (kind: string) => MIN_PRIOR_VOTES[kind] ?? 1000;

/** Used for a provider and kind with no data yet: about the average film, worth the minimum votes. */
export const DEFAULT_PRIOR: Prior = { mean: 60, votes: 1000, calibration: [] };
const defaultPrior = (kind: string): Prior => ({ ...DEFAULT_PRIOR, votes: minPriorVotes(kind) });

export async function loadPriors(db: pg.Pool | pg.PoolClient): Promise<PriorLookup> {
  return priorLookup(await readPriors(db));
}

/** The lookup for rows read with PRIORS_SQL. */
export function priorLookup(rows: PriorRow[]): PriorLookup {
  const priors = new Map(rows.map((r) => [`${r.provider_key}:${r.kind}`, { mean: r.prior_mean, votes: r.prior_votes, calibration: r.calibration }]));
  // A kind without a fit gets its default, made once per lookup (a first aggregation has no fit: every rating asks).
  return (providerKey, kind) => {
    const key = `${providerKey}:${kind}`;
    let prior = priors.get(key);
    if (prior === undefined) priors.set(key, (prior = defaultPrior(kind)));
    return prior;
  };
}

/**
 * The fit from the statistics, pure. The common scale is the anchor's: the rating kind that rates
 * the most films (IMDb users on a real catalogue) stays linear, so a film only it knows is never
 * moved by calibration. Every other kind is mapped onto it by quantile mapping on the films both
 * rate, and only from MIN_OVERLAP such films up (linear before that). C is the kind's mean rating
 * through that calibration; m the median vote count of its films, at least MIN_PRIOR_VOTES.
 * Everything is computed from raw values, so a fit never feeds on the last one: refitting
 * unchanged ratings gives the same fit.
 */
export function fitPriors(stats: PriorStats[]): FittedPrior[] {
  return stats.map((r) => {
    const calibration =
      !r.is_anchor && r.overlap_size >= MIN_OVERLAP && r.provider_q && r.reference_q ? fitCalibration(r.provider_q, r.reference_q) : [];
    return {
      provider_key: r.provider_key,
      kind: r.kind,
      prior_mean: round(calibrate(r.mean_linear, calibration)),
      prior_votes: Math.max(minPriorVotes(r.kind), Math.round(r.median_votes ?? 0)),
      calibration,
      sample_size: r.sample_size,
      overlap_size: r.overlap_size,
    };
  });
}

/** A new fit replaces the current one only when it moves some rating by at least this (points). */
export const REFIT_TOLERANCE = 0.25;

/**
 * Whether a fit would change scores enough to adopt it: another set of provider kinds, a prior
 * mean moved by REFIT_TOLERANCE, m by 10 %, or a calibrated value anywhere on 0-100 by
 * REFIT_TOLERANCE. Below that, the current version stays and no movie is re-aggregated.
 */
export function fitDiffers(current: PriorRow[], next: PriorRow[]): boolean {
  const key = (r: PriorRow) => `${r.provider_key}:${r.kind}`;
  const byKey = new Map(current.map((r) => [key(r), r]));
  if (current.length !== next.length) return true;
  for (const n of next) {
    const c = byKey.get(key(n));
    if (!c) return true;
    if (Math.abs(c.prior_mean - n.prior_mean) >= REFIT_TOLERANCE) return true;
    if (Math.abs(c.prior_votes - n.prior_votes) >= 0.1 * c.prior_votes) return true;
    for (let x = 0; x <= 100; x += 2.5) {
      if (Math.abs(calibrate(x, c.calibration) - calibrate(x, n.calibration)) >= REFIT_TOLERANCE) return true;
    }
  }
  return false;
}

export interface RefitOutcome {
  /** The fit version in force afterwards. */
  version: number;
  /** Whether a new version was adopted (then every movie needs re-aggregating). */
  adopted: boolean;
  priors: number;
}

export function ratingScales(definitions: ProviderDefinition[]) {
  return definitions.flatMap((d) =>
    Object.entries(d.ratingScales).map(([kind, s]) => ({ provider_key: d.key, kind, min: s.min, max: s.max })),
  );
}

/**
 * Refits priors and calibrations from the curated ratings and adopts the fit as a new version when
 * it differs (fitDiffers) or the formula changed. Runs after imports (the refit-scoring job) and
 * from `moviec aggregate --all`; on unchanged data it adopts nothing, so running it again never
 * moves a score.
 */
export async function refitPriors(pool: pg.Pool, definitions: ProviderDefinition[], reason: string): Promise<RefitOutcome> {
  const next = fitPriors(await readPriorStats(pool, ratingScales(definitions), CALIBRATION_QUANTILES));
  const kept = await keptFit(pool, next);
  if (kept) return kept;
  const version = await writeFit(pool, next, FORMULA_VERSION, reason);
  return { version, adopted: true, priors: next.length };
}

/**
 * As refitPriors, inside a bulk rebuild's transaction, from the ratings it is about to write
 * (db/rebuild-ratings.ts, staged by the caller) instead of the curated ones: the same statistics,
 * fit and decision, so that the refit after the rebuild finds this fit current and moves nothing.
 */
export async function refitPriorsInTransaction(
  client: pg.PoolClient, definitions: ProviderDefinition[], reason: string, source: RatingsSource,
): Promise<RefitOutcome> {
  const next = fitPriors(await readPriorStats(client, ratingScales(definitions), CALIBRATION_QUANTILES, source));
  const kept = await keptFit(client, next);
  if (kept) return kept;
  const version = await writeFitInTransaction(client, next, FORMULA_VERSION, reason);
  return { version, adopted: true, priors: next.length };
}

/** The current fit when `next` would not change it (same formula, fitDiffers false); null: adopt `next`. */
async function keptFit(db: pg.Pool | pg.PoolClient, next: FittedPrior[]): Promise<RefitOutcome | null> {
  const current = await currentFit(db);
  const currentPriors = await readPriors(db);
  if (current && current.formula_version === FORMULA_VERSION && !fitDiffers(currentPriors, next)) {
    return { version: current.version, adopted: false, priors: currentPriors.length };
  }
  return null;
}

/** As refitPriors, adopting the fit whatever it is (tests, and a forced refit). */
export async function refreshPriors(pool: pg.Pool, definitions: ProviderDefinition[]): Promise<number> {
  const next = fitPriors(await readPriorStats(pool, ratingScales(definitions), CALIBRATION_QUANTILES));
  await writeFit(pool, next, FORMULA_VERSION, 'forced');
  return next.length;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
