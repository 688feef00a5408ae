import type { PrecedenceField, ProviderDefinition } from '../sources/types.js';
import { normalizeTitle } from '../matching/normalize-title.js';
import { calibrate } from './calibration.js';
import { normalizeRating } from './normalize.js';
import { scoreSummary, type RatingWeight } from './explain.js';
import { DEFAULT_PRIOR, type PriorLookup } from './priors.js';
import { GENRE_CONFIDENCE_THRESHOLD, PRECEDENCE_FIELDS, precedenceRank, SCORE_PROFILE_NAMES } from './rules.js';
import type {
  AggregateResult, AggregateScore, CuratedFields, NormalizedRating, RecordInput, ScoredTitle, ScoreProfileName,
} from './types.js';

export type DefinitionLookup = (providerKey: string) => ProviderDefinition | undefined;

const weightOf = (definition: ProviderDefinition | undefined, field: string): number => definition?.weights[field] ?? 1;
const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === '';

/**
 * Computes a curated movie from all its provider records. Pure: the same records always give the
 * same result, whatever order they come in, which is what makes aggregation idempotent.
 */
export function computeAggregate(
  input: RecordInput[],
  lookup: DefinitionLookup,
  priors: PriorLookup = () => DEFAULT_PRIOR,
  locks: Partial<CuratedFields> = {},
): AggregateResult | null {
  // Most movies have exactly one record (a first import of one provider): the lean path.
  return input.length === 1 ? computeOne(input[0]!, lookup, priors, locks) : computeGeneral(input, lookup, priors, locks);
}

/**
 * computeAggregate for any number of records: the rules as stated. computeOne must give exactly
 * what this gives for one record (test/scoring/lean-path.test.ts compares them).
 */
export function computeGeneral(
  input: RecordInput[],
  lookup: DefinitionLookup,
  priors: PriorLookup = () => DEFAULT_PRIOR,
  locks: Partial<CuratedFields> = {},
): AggregateResult | null {
  // One record per provider counts: the best-voted (then lowest id) when a provider has several.
  const records = pickOnePerProvider(input);
  if (records.length === 0) return null;

  const titles = scoreTitles(records, lookup);
  const best = titles[0];
  if (!best) return null;
  const fields: CuratedFields = {
    title: best.title, originalTitle: null, year: null, releaseDate: null, runtimeMinutes: null,
    overview: null, posterUrl: null, isAdult: false, imdbId: null,
  };
  const provenance: Record<string, string> = { title: best.providerKey };
  for (const field of PRECEDENCE_FIELDS) {
    const source = firstByPrecedence(records, lookup, field);
    if (source) {
      (fields as unknown as Record<string, unknown>)[field] = source[field];
      provenance[field] = source.providerKey;
    }
  }

  applyLocks(fields, provenance, locks);

  const { genres, unknownGenres } = scoreGenres(records, lookup);
  const ratings = normalizeRatings(records, lookup, priors);
  return { fields, provenance, titles, genres, unknownGenres, ratings, score: combineScore(ratings, lookup) };
}

/**
 * The canonical genres a provider's spelling maps to. Own keys only: a spelling such as
 * `constructor` or `__proto__` in a provider's file is an unknown genre, not Object's.
 */
function genreAliasOf(definition: ProviderDefinition | undefined, spelling: string): string[] | undefined {
  return definition && Object.hasOwn(definition.genreAliases, spelling) ? definition.genreAliases[spelling] : undefined;
}

/** An admin's locked values replace the computed ones (provenance "lock"). */
function applyLocks(fields: CuratedFields, provenance: Record<string, string>, locks: Partial<CuratedFields>): void {
  for (const field in locks) {
    const value = locks[field as keyof CuratedFields];
    if (!Object.hasOwn(fields, field)) continue;
    (fields as unknown as Record<string, unknown>)[field] = value;
    provenance[field] = 'lock';
  }
}

/**
 * computeGeneral for a single record, without what a choice among records needs: no pick per
 * provider, no support of titles by other providers (one provider supports its own title alone,
 * so no normalised forms), no precedence scan, no genre weights to add up. The same arithmetic in
 * the same order, the same objects with their keys in the same order (the result's JSON is the
 * stored aggregate_hash's input), so the same result to the last bit.
 */
function computeOne(r: RecordInput, lookup: DefinitionLookup, priors: PriorLookup, locks: Partial<CuratedFields>): AggregateResult | null {
  if (isEmpty(r.title)) return null;
  const key = r.providerKey;
  const definition = lookup(key);
  const title = r.title!;
  // scoreTitles: the share of title weight that gives this title, of the weight of providers with one.
  const titleWeight = 0 + weightOf(definition, 'title');
  const titles: ScoredTitle[] = [{ providerKey: key, title, isOriginal: false, score: round(titleWeight / (titleWeight || 1)) }];
  if (r.originalTitle && r.originalTitle !== title) titles.push({ providerKey: key, title: r.originalTitle, isOriginal: true, score: 0 });

  const fields: CuratedFields = {
    title, originalTitle: null, year: null, releaseDate: null, runtimeMinutes: null,
    overview: null, posterUrl: null, isAdult: false, imdbId: null,
  };
  const provenance: Record<string, string> = { title: key };
  // The one record supplies every field it has a value for, whatever its rank.
  for (const field of PRECEDENCE_FIELDS) {
    if (isEmpty(r[field])) continue;
    (fields as unknown as Record<string, unknown>)[field] = r[field];
    provenance[field] = key;
  }
  applyLocks(fields, provenance, locks);

  // scoreGenres: every canonical genre the record asserts has the whole genre weight.
  const unknownGenres: { providerKey: string; alias: string }[] = [];
  const genres: { name: string; confidence: number }[] = [];
  if (r.genres.length) {
    const genreWeight = 0 + weightOf(definition, 'genres');
    const confidence = round((0 + genreWeight) / genreWeight);
    for (const spelling of r.genres) {
      const mapped = genreAliasOf(definition, spelling);
      if (!mapped) unknownGenres.push({ providerKey: key, alias: spelling });
      else {
        mapped.forEach((name) => {
          if (!genres.some((g) => g.name === name)) genres.push({ name, confidence });
        });
      }
    }
    if (genres.length > 1) genres.sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
  }

  // normalizeRatings, for one provider: sorted by kind.
  const ratings: NormalizedRating[] = [];
  for (const rating of r.ratings) {
    const scale = definition?.ratingScales[rating.kind];
    if (!scale) continue;
    const prior = priors(key, rating.kind);
    const normalized = normalizeRating(rating.value, scale);
    ratings.push({
      providerKey: key, kind: rating.kind, rawValue: rating.value, rawScale: scale.label,
      normalized, calibrated: round(calibrate(normalized, prior.calibration)),
      votes: rating.votes, priorMean: prior.mean, priorVotes: prior.votes,
    });
  }
  if (ratings.length > 1) ratings.sort((a, b) => a.providerKey.localeCompare(b.providerKey) || a.kind.localeCompare(b.kind));
  return { fields, provenance, titles, genres, unknownGenres, ratings, score: combineScore(ratings, lookup) };
}

/**
 * The record that supplies `field`: of those with a value, the best ranked for it, then by provider
 * key (the first of equals in `records`' order). A scan for the least, not a sort per field.
 */
function firstByPrecedence(records: RecordInput[], lookup: DefinitionLookup, field: PrecedenceField): RecordInput | undefined {
  let best: RecordInput | undefined;
  let bestRank = 0;
  for (const r of records) {
    if (isEmpty(r[field])) continue;
    const rank = precedenceRank(lookup(r.providerKey), field);
    if (!best || rank < bestRank || (rank === bestRank && r.providerKey.localeCompare(best.providerKey) < 0)) {
      best = r;
      bestRank = rank;
    }
  }
  return best;
}

function pickOnePerProvider(records: RecordInput[]): RecordInput[] {
  // Most movies have one record (a first import of one provider): nothing to choose.
  if (records.length <= 1) return records.slice();
  const byProvider = new Map<string, RecordInput>();
  const votes = (r: RecordInput) => Math.max(0, ...r.ratings.map((x) => x.votes ?? 0));
  for (const record of [...records].sort((a, b) => a.externalId.localeCompare(b.externalId))) {
    const current = byProvider.get(record.providerKey);
    if (!current || votes(record) > votes(current)) byProvider.set(record.providerKey, record);
  }
  return [...byProvider.values()].sort((a, b) => a.providerKey.localeCompare(b.providerKey));
}

/**
 * Every provider's title (and original title) is kept. A title's score is the share of title
 * weight of the providers that give that title (compared normalised), so the title most providers
 * agree on wins; ties go to the provider ranked first for `title`.
 */
function scoreTitles(records: RecordInput[], lookup: DefinitionLookup): ScoredTitle[] {
  const withTitle = records.filter((r) => !isEmpty(r.title));
  const totalWeight = withTitle.reduce((sum, r) => sum + weightOf(lookup(r.providerKey), 'title'), 0) || 1;
  const support = new Map<string, number>();
  const keys = withTitle.map((r) => normalizeTitle(r.title!));
  withTitle.forEach((r, i) => support.set(keys[i]!, (support.get(keys[i]!) ?? 0) + weightOf(lookup(r.providerKey), 'title')));
  const titles: ScoredTitle[] = [];
  for (const [i, r] of withTitle.entries()) {
    titles.push({ providerKey: r.providerKey, title: r.title!, isOriginal: false, score: round(support.get(keys[i]!)! / totalWeight) });
    if (r.originalTitle && r.originalTitle !== r.title) {
      titles.push({ providerKey: r.providerKey, title: r.originalTitle, isOriginal: true, score: 0 });
    }
  }
  return titles.sort(
    (a, b) =>
      Number(a.isOriginal) - Number(b.isOriginal) ||
      b.score - a.score ||
      precedenceRank(lookup(a.providerKey), 'title') - precedenceRank(lookup(b.providerKey), 'title') ||
      a.title.localeCompare(b.title),
  );
}

/** Genre confidence = weighted share of the providers with genres that assert the canonical genre. */
function scoreGenres(records: RecordInput[], lookup: DefinitionLookup) {
  const unknownGenres: { providerKey: string; alias: string }[] = [];
  const asserted = new Map<string, number>();
  let totalWeight = 0;
  for (const r of records) {
    if (r.genres.length === 0) continue;
    const definition = lookup(r.providerKey);
    const weight = weightOf(definition, 'genres');
    totalWeight += weight;
    const canonical = new Set<string>();
    for (const spelling of r.genres) {
      const mapped = genreAliasOf(definition, spelling);
      // An empty list is a known tag, not a genre; only a spelling with no entry is unknown.
      if (mapped) mapped.forEach((g) => canonical.add(g));
      else unknownGenres.push({ providerKey: r.providerKey, alias: spelling });
    }
    for (const g of canonical) asserted.set(g, (asserted.get(g) ?? 0) + weight);
  }
  const genres = [...asserted.entries()]
    .map(([name, weight]) => ({ name, confidence: round(weight / totalWeight) }))
    .sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
  return { genres, unknownGenres };
}

export function isMovieGenre(confidence: number): boolean {
  return confidence >= GENRE_CONFIDENCE_THRESHOLD;
}

/**
 * Each rating twice: linear on the provider's scale to 0-100 (`normalized`, what the provider
 * said) and on the common scale through the provider's calibration (`calibrated`, what the score
 * uses), with the prior it is shrunk toward, so the rating row alone explains its contribution.
 */
function normalizeRatings(records: RecordInput[], lookup: DefinitionLookup, priors: PriorLookup): NormalizedRating[] {
  const out: NormalizedRating[] = [];
  for (const r of records) {
    const definition = lookup(r.providerKey);
    for (const rating of r.ratings) {
      const scale = definition?.ratingScales[rating.kind];
      if (!scale) continue;
      const prior = priors(r.providerKey, rating.kind);
      const normalized = normalizeRating(rating.value, scale);
      out.push({
        providerKey: r.providerKey, kind: rating.kind, rawValue: rating.value, rawScale: scale.label,
        normalized, calibrated: round(calibrate(normalized, prior.calibration)),
        votes: rating.votes, priorMean: prior.mean, priorVotes: prior.votes,
      });
    }
  }
  return out.sort((a, b) => a.providerKey.localeCompare(b.providerKey) || a.kind.localeCompare(b.kind));
}

/** The reliability weight of a provider's rating kind, from its definition. */
export function ratingWeight(lookup: DefinitionLookup): RatingWeight {
  return (providerKey, kind) => weightOf(lookup(providerKey), `rating.${kind}`);
}

/**
 * The c-rating under every profile (see explain.ts for the formula). The BALANCED explanation
 * gives value, confidence and votes; the other profiles only their value, stored for ordering.
 */
export function combineScore(ratings: NormalizedRating[], lookup: DefinitionLookup): AggregateScore | null {
  if (ratings.length === 0) return null;
  const weight = ratingWeight(lookup);
  const balanced = scoreSummary(ratings, weight, 'BALANCED');
  if (!balanced) return null;
  const profiles = {} as Record<ScoreProfileName, number>;
  for (const p of SCORE_PROFILE_NAMES) profiles[p] = p === 'BALANCED' ? balanced.value : scoreSummary(ratings, weight, p)!.value;
  return { value: balanced.value, confidence: balanced.confidence, votes: balanced.votes, providerCount: balanced.providerCount, profiles };
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}

/** Rows by the movie they belong to, in their order (aggregation's records, the rebuild fit's). */
export function groupByMovie<T extends { movieId: string }>(rows: readonly T[]): Map<string, T[]> {
  const byMovie = new Map<string, T[]>();
  for (const row of rows) {
    const list = byMovie.get(row.movieId);
    if (list) list.push(row);
    else byMovie.set(row.movieId, [row]);
  }
  return byMovie;
}
