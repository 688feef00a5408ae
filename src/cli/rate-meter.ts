/**
 * Rate of a growing count over a sliding time window, so that a rate and an ETA follow the
 * recent pace rather than the average since the start.
 */
export class RateMeter {
  private samples: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  add(value: number, at: number): void {
    const last = this.samples.at(-1);
    if (last && value < last.value) this.samples = []; // a new input started from 0
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
  }

  /** Units per second; null until two samples at least a second apart are seen. */
  perSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 1000) return null;
    return ((last.value - first.value) * 1000) / (last.at - first.at);
  }

  /** Seconds until `total` at the current rate; null when unknown or stalled. */
  secondsUntil(total: number): number | null {
    const rate = this.perSecond();
    const last = this.samples.at(-1);
    if (!rate || rate <= 0 || !last) return null;
    return Math.max(0, (total - last.value) / rate);
  }

  reset(): void {
    this.samples = [];
  }
}
