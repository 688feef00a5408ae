#!/usr/bin/env node
// `npm start` runs this first: it compiles src/ to dist/ only when dist/ is missing or older than a
// source file (npm install already built it), so a start does not wait for tsc for nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time (ms) of the files under a folder, or of a file; 0 when absent. */
function newest(target) {
  if (!existsSync(target)) return 0;
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    latest = Math.max(latest, newest(path.join(target, entry.name)));
  }
  return latest;
}

// Written after every successful build (`npm run build` ends with --stamp): tsc leaves unchanged
// outputs untouched, so their times cannot say when the last build ran.
const stamp = path.join(root, 'dist', '.build-stamp');
if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}
const built = newest(stamp);
const sources = Math.max(
  newest(path.join(root, 'src')),
  ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((name) => newest(path.join(root, name))),
);
if (built && built >= sources) process.exit(0);
console.log(built ? 'Sources changed since the last build: compiling (npm run build)...' : 'No build yet: compiling (npm run build)...');
const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status === 0) writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.exit(result.status ?? 1);
