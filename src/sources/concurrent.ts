type Settled<R> = { slot: number } & ({ ok: true; value: R } | { ok: false; error: unknown });

/**
 * Applies `fn` to the items of `source` with at most `limit` calls in flight, yielding results as
 * they finish (not in source order). The first error, from `fn` or from the source, ends the
 * iteration and is thrown; calls still in flight are left to settle on their own.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  // Settled, not raw, promises: a call failing while the source is awaited must not surface as an
  // unhandled rejection.
  const running = new Map<number, Promise<Settled<R>>>();
  let nextSlot = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && running.size < limit) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const slot = nextSlot++;
        running.set(
          slot,
          fn(next.value).then(
            (value): Settled<R> => ({ slot, ok: true, value }),
            (error: unknown): Settled<R> => ({ slot, ok: false, error }),
          ),
        );
      }
      if (running.size === 0) return;
      const settled = await Promise.race(running.values());
      running.delete(settled.slot);
      if (!settled.ok) throw settled.error;
      yield settled.value;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}

/** The items of `source` without repeats. */
export async function* unique<T>(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  const seen = new Set<T>();
  for await (const item of source) {
    if (seen.has(item)) continue;
    seen.add(item);
    yield item;
  }
}
