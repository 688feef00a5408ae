import DataLoader from 'dataloader';
import type pg from 'pg';
import { lastRunsOfProviders, listProviders } from './data/catalogue.js';
import {
  externalIdsForMovies,
  genresForMovies,
  moviesByIds,
  ratingsForMovies,
  titlesForMovies,
} from './data/movie-details.js';
import type {
  ExternalIdRecord,
  ImportRunRecord,
  MovieGenreRecord,
  MovieRecord,
  ProviderRecord,
  RatingRecord,
  TitleRecord,
} from './data/records.js';

/**
 * Per-request loaders: every fan-out field of a page of movies costs one statement, however many
 * movies the page holds. Built fresh for each request, so nothing is cached across requests.
 */
export interface Loaders {
  movie: DataLoader<string, MovieRecord | null>;
  ratings: DataLoader<string, RatingRecord[]>;
  titles: DataLoader<string, TitleRecord[]>;
  genres: DataLoader<string, MovieGenreRecord[]>;
  externalIds: DataLoader<string, ExternalIdRecord[]>;
  lastRun: DataLoader<string, ImportRunRecord | null>;
  /** A provider by key, from one read of the (four-row) providers table per request. */
  provider(key: string): Promise<ProviderRecord>;
  /** Every provider, in key order. */
  providers(): Promise<ProviderRecord[]>;
}

export function createLoaders(pool: pg.Pool): Loaders {
  let providers: Promise<ProviderRecord[]> | undefined;
  const allProviders = () => (providers ??= listProviders(pool));
  return {
    movie: new DataLoader(async (ids) => byKey(ids, await moviesByIds(pool, ids), (m) => m.id)),
    ratings: new DataLoader(async (ids) => groupByMovie(ids, await ratingsForMovies(pool, ids))),
    titles: new DataLoader(async (ids) => groupByMovie(ids, await titlesForMovies(pool, ids))),
    genres: new DataLoader(async (ids) => groupByMovie(ids, await genresForMovies(pool, ids))),
    externalIds: new DataLoader(async (ids) => groupByMovie(ids, await externalIdsForMovies(pool, ids))),
    lastRun: new DataLoader(async (keys) => byKey(keys, await lastRunsOfProviders(pool, keys), (r) => r.providerKey)),
    providers: allProviders,
    async provider(key) {
      const found = (await allProviders()).find((p) => p.key === key);
      // Curated rows reference providers by foreign key, so this is a broken database, not bad input.
      if (!found) throw new Error(`provider "${key}" is not in the providers table`);
      return found;
    },
  };
}

function byKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): (T | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

function groupByMovie<T extends { movieId: string }>(ids: readonly string[], rows: T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.movieId);
    if (group) group.push(row);
    else groups.set(row.movieId, [row]);
  }
  return ids.map((id) => groups.get(id) ?? []);
}
