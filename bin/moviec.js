#!/usr/bin/env node
// The `moviec` command. The TypeScript sources are compiled to dist/ on `npm install`.
import { readFileSync } from 'node:fs';

// `moviec --version` answers before anything else is loaded (the CLI loads every provider module).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  process.exit(0);
}
await import('reflect-metadata');
const { run } = await import('../dist/cli/index.js');
await run();
