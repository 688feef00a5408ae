/** Waiting for an import run and its aggregation lives in src/services/import-wait.ts (the CLI, the sample loader and the inbox share it). */
export { DatabaseUnavailableError, pendingAggregation, riding, waitForAggregation, waitForRun, type RunState } from '../services/import-wait.js';
