import cliProgress from 'cli-progress';
import { onInputProgress, type InputProgress } from '../workers/import-progress.js';
import { RateMeter } from './rate-meter.js';
import { formatBytes, formatCount, formatDuration } from './units.js';
import type { RunState } from './wait.js';

/** What the display shows at one moment: a fraction (then a bar) only when the size is known. */
export interface ProgressView {
  label: string;
  fraction: number | null;
  detail: string;
}

export interface ImportProgressOptions {
  /** Where the bar is drawn (default stderr, so stdout keeps the results). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Bars on a terminal, plain lines otherwise; default: whether the stream is a terminal. */
  interactive?: boolean;
  /** Plain mode: a line at each phase change and at most this often in between. */
  plainEveryMs?: number;
  print?: (line: string) => void;
  now?: () => number;
}

type Phase = 'queued' | 'reading' | 'merging' | 'matching' | 'aggregating';

/**
 * Progress of `moviec import`, which runs its import itself: the phases as they happen (reading,
 * merging, matching, aggregating); while reading, the current file's bytes read (compressed bytes
 * for a gzipped file), percentage, byte rate and ETA when its size is known, and rows read with
 * their rate; then the aggregation jobs left. A run followed in another process (taken over by
 * a worker) shows rows from the run's rows_read. On a terminal a bar; otherwise plain lines for
 * logs, one at each phase and at most every `plainEveryMs` in between.
 */
export class ImportProgress {
  readonly interactive: boolean;
  private phase: Phase = 'queued';
  private rows = 0;
  private readonly rowRate = new RateMeter();
  private input: { index: number; done: number; total: number | null } | null = null;
  private readonly byteRate = new RateMeter();
  private aggregation = { total: 0, pending: 0 };
  private readonly jobRate = new RateMeter();
  private readonly started: number;
  private bar: cliProgress.SingleBar | null = null;
  private lastPlain = { at: 0, phase: '' };
  private readonly stopListening: () => void;

  constructor(
    private readonly runId: string,
    private readonly options: ImportProgressOptions = {},
  ) {
    const stream = options.stream ?? process.stderr;
    this.interactive = options.interactive ?? Boolean(stream.isTTY);
    this.started = this.now();
    this.stopListening = onInputProgress(runId, (progress) => this.onInput(progress));
  }

  onRun(run: RunState): void {
    if (run.status === 'RUNNING' && this.phase === 'queued') this.phase = 'reading';
    this.rows = run.rows_read;
    if (run.status === 'RUNNING') this.rowRate.add(run.rows_read, this.now());
    this.render();
  }

  /** A step of the import this process runs (services/import.ts executeImport). */
  onPhase(phase: 'reading' | 'merging' | 'matching'): void {
    this.phase = phase;
    this.render();
  }

  /** Rows read so far by the import this process runs. */
  onRows(rows: number): void {
    if (this.phase === 'queued') this.phase = 'reading';
    this.rows = rows;
    this.rowRate.add(rows, this.now());
    this.render();
  }

  onInput({ done, total }: InputProgress): void {
    if (this.phase === 'queued') this.phase = 'reading';
    const previous = this.input;
    const next = !previous || done < previous.done || total !== previous.total;
    this.input = { index: next ? (previous?.index ?? 0) + 1 : previous.index, done, total };
    if (next) this.byteRate.reset();
    this.byteRate.add(done, this.now());
    this.render();
  }

  onAggregation(pending: number): void {
    if (this.phase !== 'aggregating') {
      this.phase = 'aggregating';
      this.aggregation.total = 0;
    }
    this.aggregation.total = Math.max(this.aggregation.total, pending);
    this.aggregation.pending = pending;
    this.jobRate.add(this.aggregation.total - pending, this.now());
    this.render();
  }

  view(): ProgressView {
    const run = `run ${this.runId}`;
    if (this.phase === 'queued') return { label: run, fraction: null, detail: 'queued, waiting for a worker' };
    if (this.phase === 'aggregating') {
      const { total, pending } = this.aggregation;
      const done = total - pending;
      const eta = this.jobRate.secondsUntil(total);
      return {
        label: `${run} aggregating`,
        fraction: total > 0 ? done / total : 1,
        detail: [`${formatCount(done)}/${formatCount(total)} jobs`, eta === null ? null : `ETA ${formatDuration(eta)}`]
          .filter(Boolean)
          .join(' | '),
      };
    }
    if (this.phase === 'merging' || this.phase === 'matching') {
      const elapsed = `${formatDuration((this.now() - this.started) / 1000)} elapsed`;
      return { label: `${run} ${this.phase}`, fraction: null, detail: `${formatCount(this.rows)} rows read | ${elapsed}` };
    }
    const rowsPerSecond = this.rowRate.perSecond();
    const parts = [`${formatCount(this.rows)} rows`, rowsPerSecond === null ? null : `${formatCount(rowsPerSecond)} rows/s`];
    const input = this.input;
    if (input?.total) {
      const eta = this.byteRate.secondsUntil(input.total);
      const bytesPerSecond = this.byteRate.perSecond();
      parts.unshift(
        `file ${input.index}: ${formatBytes(input.done)}/${formatBytes(input.total)}`,
        bytesPerSecond === null ? null : `${formatBytes(bytesPerSecond)}/s`,
      );
      parts.push(eta === null ? null : `ETA ${formatDuration(eta)}`);
      return { label: `${run} reading`, fraction: Math.min(1, input.done / input.total), detail: parts.filter(Boolean).join(' | ') };
    }
    if (input) {
      const bytesPerSecond = this.byteRate.perSecond();
      parts.unshift(`file ${input.index}: ${formatBytes(input.done)} read`, bytesPerSecond === null ? null : `${formatBytes(bytesPerSecond)}/s`);
    }
    parts.push(`${formatDuration((this.now() - this.started) / 1000)} elapsed`);
    return { label: `${run} reading`, fraction: null, detail: parts.filter(Boolean).join(' | ') };
  }

  /** Removes the bar (the caller prints the outcome) and stops listening. */
  stop(): void {
    this.stopListening();
    this.bar?.stop();
    this.bar = null;
  }

  private render(): void {
    if (this.interactive) this.renderBar();
    else this.renderPlain();
  }

  private renderBar(): void {
    const view = this.view();
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar({
        stream: this.options.stream ?? process.stderr,
        format: (options, params, payload: { view: ProgressView }) => {
          const { label, fraction, detail } = payload.view;
          if (fraction === null) return `${label} | ${detail}`;
          const bar = cliProgress.Format.BarFormat(params.progress, options);
          return `${label} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% | ${detail}`;
        },
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        linewrap: true,
        fps: 5,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(1000, 0, { view });
    }
    this.bar.update(Math.round((view.fraction ?? 0) * 1000), { view });
  }

  private renderPlain(): void {
    const at = this.now();
    const every = this.options.plainEveryMs ?? 10_000;
    // A line at each phase and at each new input file, and at most every `every` ms in between.
    const step = `${this.phase} ${this.input?.index ?? 0}`;
    if (this.lastPlain.phase === step && at - this.lastPlain.at < every) return;
    this.lastPlain = { at, phase: step };
    const { label, fraction, detail } = this.view();
    const percent = fraction === null ? '' : ` ${Math.floor(fraction * 100)}% |`;
    (this.options.print ?? console.log)(`${label}:${percent} ${detail}`);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
