// `npm run test:soak`: the long reliability scenarios (test/soak/**/*.soak.ts) — worker crashes
// mid-import and mid-aggregation, two workers on one database, and a 60 s load test. Same
// transform and throwaway PostgreSQL as `npm test` (jest.config.js); files run one at a time so
// load figures are not disturbed, and each is bounded in time.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/soak/**/*.soak.ts'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
