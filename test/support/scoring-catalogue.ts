import type { PriorStats } from '../../src/db/scoring-priors.js';
import { CALIBRATION_QUANTILES } from '../../src/scoring/calibration.js';
import { computeAggregate, type DefinitionLookup } from '../../src/scoring/compute.js';
import { fitPriors, priorLookup } from '../../src/scoring/priors.js';
import type { AggregateScore, RecordInput } from '../../src/scoring/types.js';
import { findProvider } from '../../src/sources/registry.js';

/**
 * A catalogue scored in memory the way the database scores it: the statistics the refit reads
 * (src/db/scoring-priors.ts readPriorStats, percentile_cont included), fitPriors, then
 * computeAggregate per film. For ranking properties over whole catalogues without a database.
 */

/** [providerKey, kind, raw value, votes] */
export type FixtureRating = [string, string, number, number | null];
export type FixtureFilm = [id: string, ratings: FixtureRating[]];

export const definitions: DefinitionLookup = (key) => findProvider(key)?.definition;

/** PostgreSQL's percentile_cont over sorted values. */
export function percentileCont(sorted: number[], q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export function priorStatsOf(films: FixtureFilm[]): PriorStats[] {
  const linear = films.flatMap(([id, ratings]) =>
    ratings.flatMap(([provider, kind, value, votes]) => {
      const scale = definitions(provider)?.ratingScales[kind];
      return scale ? [{ id, provider, kind, votes, value: Math.min(100, Math.max(0, ((value - scale.min) / (scale.max - scale.min)) * 100)) }] : [];
    }),
  );
  const providersOf = new Map<string, Set<string>>();
  for (const r of linear) providersOf.set(r.id, (providersOf.get(r.id) ?? new Set()).add(r.provider));
  const shared = (id: string) => providersOf.get(id)!.size >= 2;
  const sort = (values: number[]) => [...values].sort((a, b) => a - b);
  const groups = new Map<string, typeof linear>();
  for (const r of linear) groups.set(`${r.provider}:${r.kind}`, [...(groups.get(`${r.provider}:${r.kind}`) ?? []), r]);
  const [anchorKey, anchorRows] = [...groups.entries()].sort(([ka, a], [kb, b]) => b.length - a.length || ka.localeCompare(kb))[0]!;
  const anchorOf = new Map(anchorRows.map((r) => [r.id, r.value]));
  return [...groups.entries()].map(([key, rows]) => {
    const isAnchor = key === anchorKey;
    const pairs = isAnchor || rows[0]!.provider === anchorRows[0]!.provider ? [] : rows.filter((r) => anchorOf.has(r.id));
    const votes = sort(rows.flatMap((r) => (r.votes == null ? [] : [r.votes])));
    const own = sort(pairs.map((r) => r.value));
    const reference = sort(pairs.map((r) => anchorOf.get(r.id)!));
    return {
      provider_key: rows[0]!.provider,
      kind: rows[0]!.kind,
      sample_size: rows.length,
      overlap_size: isAnchor ? rows.filter((r) => shared(r.id)).length : pairs.length,
      mean_linear: rows.reduce((sum, r) => sum + r.value, 0) / rows.length,
      median_votes: votes.length ? percentileCont(votes, 0.5) : null,
      is_anchor: isAnchor,
      provider_q: own.length ? CALIBRATION_QUANTILES.map((q) => percentileCont(own, q)) : null,
      reference_q: reference.length ? CALIBRATION_QUANTILES.map((q) => percentileCont(reference, q)) : null,
    };
  });
}

export interface ScoredFilm {
  id: string;
  score: AggregateScore;
  votes: number;
  providers: number;
}

/** Every film with its c-rating, best first (ties by id); `linear`: the same priors without calibration. */
export function scoreCatalogue(films: FixtureFilm[], options: { linear?: boolean } = {}): ScoredFilm[] {
  // Linear: the fit of a catalogue with too small an overlap to calibrate (same C on the linear scale, same m).
  const stats = priorStatsOf(films).map((s) => (options.linear ? { ...s, overlap_size: 0 } : s));
  const priors = priorLookup(fitPriors(stats));
  const scored: ScoredFilm[] = [];
  for (const [id, ratings] of films) {
    const record: RecordInput = {
      providerKey: 'imdb', externalId: id, title: id, originalTitle: null, year: null, releaseDate: null, runtimeMinutes: null,
      genres: [], ratings: [], imdbId: null, overview: null, posterUrl: null, isAdult: false,
    };
    const records = [...new Set(ratings.map((r) => r[0]))].map((provider) => ({
      ...record,
      providerKey: provider,
      ratings: ratings.filter((r) => r[0] === provider).map(([, kind, value, votes]) => ({ kind, value, votes })),
    }));
    const result = computeAggregate(records, definitions, priors);
    if (!result?.score) continue;
    scored.push({ id, score: result.score, votes: result.score.votes, providers: result.score.providerCount });
  }
  return scored.sort((a, b) => b.score.value - a.score.value || a.id.localeCompare(b.id));
}
