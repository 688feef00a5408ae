import type { SourceRecord } from '../sources/types.js';

/** A provider record as aggregation reads it: the adapter's fields (without the TMDB id and raw payload) and its provider. */
export interface RecordInput extends Omit<SourceRecord, 'tmdbId' | 'payload'> {
  providerKey: string;
}

export interface CuratedFields {
  title: string;
  originalTitle: string | null;
  year: number | null;
  releaseDate: string | null;
  runtimeMinutes: number | null;
  overview: string | null;
  posterUrl: string | null;
  isAdult: boolean;
  imdbId: string | null;
}

export interface ScoredTitle {
  providerKey: string;
  title: string;
  isOriginal: boolean;
  score: number;
}

export interface NormalizedRating {
  providerKey: string;
  kind: string;
  rawValue: number;
  rawScale: string;
  /** The raw value mapped linearly onto 0-100 (MovieLens 4.2 / 5 is 84): what the provider said. */
  normalized: number;
  /** `normalized` on the common scale (the provider's calibration): what the score uses. */
  calibrated: number;
  votes: number | null;
  /** C: the provider's prior mean for this kind, on the common scale, when the rating was scored. */
  priorMean: number;
  /** m: the votes the prior weighs as much as. */
  priorVotes: number;
}

/** Score profiles: how critics and users/audiences weigh against each other (rules.ts). */
export type ScoreProfileName = 'BALANCED' | 'CRITICS' | 'AUDIENCE';

export interface AggregateScore {
  /** The BALANCED c-rating, 0-100, rounded to one decimal. */
  value: number;
  confidence: number;
  votes: number;
  providerCount: number;
  /** The c-rating under each profile (BALANCED equals value), precomputed for ordering. */
  profiles: Record<ScoreProfileName, number>;
}

export interface AggregateResult {
  fields: CuratedFields;
  /** Which provider supplied each field. */
  provenance: Record<string, string>;
  titles: ScoredTitle[];
  genres: { name: string; confidence: number }[];
  /** Provider genre spellings no alias knows: recorded, never dropped. */
  unknownGenres: { providerKey: string; alias: string }[];
  ratings: NormalizedRating[];
  score: AggregateScore | null;
}
