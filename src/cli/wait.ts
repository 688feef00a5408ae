/** Waiting for an import run and its aggregation: src/services/import-wait.ts (the CLI, the sample loader and the inbox share it). */
export * from '../services/import-wait.js';
