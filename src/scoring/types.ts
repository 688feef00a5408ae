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
  normalized: number;
  votes: number | null;
}

export interface AggregateScore {
  value: number;
  confidence: number;
  votes: number;
  providerCount: number;
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
