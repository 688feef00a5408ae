// bin/moviec.js, but on the TypeScript sources: `node --import ./test/support/ts-register.mjs test/support/moviec-source.mjs …`.
import 'reflect-metadata';

const { run } = await import('../../src/cli/index.ts');
await run();
