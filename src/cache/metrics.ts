import { Counter, type Metric } from 'prom-client';

/** Cache counters; registered by the HTTP app on its /metrics registry. */
export interface CacheMetrics {
  hits: Counter<'kind'>;
  misses: Counter<'kind'>;
  errors: Counter<'operation'>;
  all: Metric[];
}

export function createCacheMetrics(): CacheMetrics {
  const hits = new Counter({ name: 'moviec_cache_hits_total', help: 'Cache lookups answered from the cache, by kind of entry.', labelNames: ['kind'] as const, registers: [] });
  const misses = new Counter({ name: 'moviec_cache_misses_total', help: 'Cache lookups answered from the database, by kind of entry.', labelNames: ['kind'] as const, registers: [] });
  const errors = new Counter({
    name: 'moviec_cache_errors_total',
    help: 'Cache operations that failed (store unreachable or slow); the request was answered from the database.',
    labelNames: ['operation'] as const,
    registers: [],
  });
  return { hits, misses, errors, all: [hits, misses, errors] };
}
