import { EventEmitter } from 'node:events';

/**
 * Byte progress of the import runs this process executes, for a progress display in the same
 * process (`moviec import` works the queue itself). Other processes see only the run's rows_read.
 */
export interface InputProgress {
  runId: string;
  /** Read so far of the current input: bytes for a file (an adapter with several files starts each at 0). */
  done: number;
  /** The current input's size when known. */
  total: number | null;
}

const events = new EventEmitter();
events.setMaxListeners(0);

export function reportInputProgress(runId: string, done: number, total: number | null): void {
  if (events.listenerCount(runId) > 0) events.emit(runId, { runId, done, total } satisfies InputProgress);
}

/** Listens to one run's progress; returns the function that stops listening. */
export function onInputProgress(runId: string, listener: (progress: InputProgress) => void): () => void {
  events.on(runId, listener);
  return () => events.off(runId, listener);
}
