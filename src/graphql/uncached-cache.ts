import { MovieCache } from '../cache/movie-cache.js';
import type { CacheStore } from '../cache/store.js';

/** A store that holds nothing: every read goes to the database. */
class NoStore implements CacheStore {
  readonly kind = 'memory';
  mget(keys: string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map(() => null));
  }
  set(): Promise<void> {
    return Promise.resolve();
  }
  bump(): Promise<void> {
    return Promise.resolve();
  }
  onReady(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let uncached: MovieCache | undefined;

/** Loaders over this read the database every time (subscription events, right after a change). */
export function uncachedMovieCache(): MovieCache {
  return (uncached ??= new MovieCache({ store: new NoStore(), ttlSeconds: 1 }));
}
