import { imdbAdapter } from './imdb.js';
import { movieLensAdapter } from './movielens.js';
import { rottenTomatoesAdapter } from './rottentomatoes.js';
import { tmdbAdapter } from './tmdb.js';
import type { ProviderDefinition, ProviderKey, SourceAdapter } from './types.js';

/** Every provider MovieC can import from. Adding a provider: write its module, list its adapter here. */
export const ADAPTERS: Partial<Record<ProviderKey, SourceAdapter>> = {
  imdb: imdbAdapter,
  tmdb: tmdbAdapter,
  rottentomatoes: rottenTomatoesAdapter,
  movielens: movieLensAdapter,
};

export const PROVIDER_DEFINITIONS: ProviderDefinition[] = Object.values(ADAPTERS).map((a) => a.definition);

export function getAdapter(key: string): SourceAdapter {
  const adapter = ADAPTERS[key as ProviderKey];
  if (!adapter) throw new Error(`Unknown provider "${key}"; known: ${Object.keys(ADAPTERS).join(', ')}`);
  return adapter;
}

export function getDefinition(key: string): ProviderDefinition {
  return getAdapter(key).definition;
}
