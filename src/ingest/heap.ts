import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Keeps a long import's heap near its live size (issue 18 point 3: peak RSS flat from 1M to 13.5M
 * lines). Reading a dump allocates gigabytes that die young, and a steady trickle that outlives
 * young-generation collections (staged COPY text waiting for the batch in flight); V8 then lets the
 * old generation grow to several times the live data (~60 MB) before a full collection, more the
 * longer the run: the real dump's import peaked at 333 MB where 1M lines peaked at 244 MB. A full
 * collection every second of reading (tens of milliseconds each) keeps it where 1M lines leave it
 * (every 3 s, MovieLens at ml-32m's size still peaked at 322 MB while reading links.csv and
 * movies.csv: 1 s, 299 MB). Staged text no longer lives on the heap (staging.ts CopyText), so what
 * remains between collections is the input's own garbage. Node exposes `gc` only behind a flag: it is set at run time and the function taken
 * from a new context, so the process's own global scope is left as it was.
 */
export class HeapKeeper {
  private static collect: (() => void) | null | undefined;
  private last = Date.now();

  constructor(private readonly everyMs = 1000) {}

  /** A full collection when the last one is everyMs old (called as the input is read). */
  tick(): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    HeapKeeper.gc()?.();
  }

  /**
   * A full collection now: after a phase whose garbage the next phase would otherwise carry (the
   * read input, before a long merge and the aggregation that `moviec import` runs in the same process).
   */
  static collectNow(): void {
    HeapKeeper.gc()?.();
  }

  private static gc(): (() => void) | null {
    if (HeapKeeper.collect === undefined) {
      try {
        v8.setFlagsFromString('--expose-gc');
        HeapKeeper.collect = vm.runInNewContext('gc') as () => void;
      } catch {
        HeapKeeper.collect = null;
      }
    }
    return HeapKeeper.collect;
  }
}
