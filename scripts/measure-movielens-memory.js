#!/usr/bin/env node
// Shows that the MovieLens adapter's memory grows with the number of movies, not of rating rows:
// generates MovieLens files with the same movies and growing ratings.csv files, reads each
// through the adapter in a fresh process, and prints peak RSS and throughput.
//
//   node scripts/measure-movielens-memory.js [--movies N] [--ratings 500000,5000000] [--keep]
//
// The adapter is transpiled from src/ with @swc/core (a dev dependency), so no build is needed.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateMovieLens } from './generate-movielens.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside node_modules so the transpiled files resolve got and csv-parse like src/ does.
const BUILD = path.join(ROOT, 'node_modules', '.cache', 'moviec-measure');

async function transpileSources() {
  const { transformFile } = await import('@swc/core');
  const from = path.join(ROOT, 'src', 'sources');
  const to = path.join(BUILD, 'sources');
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).filter((n) => n.endsWith('.ts'))) {
    const { code } = await transformFile(path.join(from, name), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    });
    await writeFile(path.join(to, name.replace(/\.ts$/, '.js')), code);
  }
  await writeFile(path.join(BUILD, 'package.json'), '{ "type": "module" }\n');
  return path.join(to, 'movielens.js');
}

/** Child process: reads `dir` through the adapter and prints one JSON line of measurements. */
async function measure(adapterFile, dir) {
  const { movieLensAdapter } = await import(pathToFileURL(adapterFile).href);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const counts = { record: 0, rating: 0, reject: 0, skip: 0 };
  const started = performance.now();
  for await (const item of movieLensAdapter.read({ dir }, {})) counts[item.type]++;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  // resourceUsage().maxRSS is in kilobytes and covers the whole process, sampled or not.
  const maxRss = process.resourceUsage().maxRSS * 1024;
  global.gc?.();
  const retained = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ baseline, peak: Math.max(peak, maxRss), retained, seconds, counts }));
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  const { values } = parseArgs({
    options: {
      movies: { type: 'string', default: '60000' },
      ratings: { type: 'string', default: '500000,5000000' },
      keep: { type: 'boolean', default: false },
      child: { type: 'string' },
      adapter: { type: 'string' },
    },
  });
  if (values.child) return measure(values.adapter, values.child);

  const movies = Number(values.movies);
  const adapterFile = await transpileSources();
  const work = await mkdtemp(path.join(os.tmpdir(), 'moviec-movielens-'));
  const results = [];
  try {
    for (const ratings of values.ratings.split(',').map(Number)) {
      const dir = path.join(work, String(ratings));
      await generateMovieLens({ out: dir, movies, ratings, seed: 7 });
      const size = (await stat(path.join(dir, 'ratings.csv'))).size;
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', fileURLToPath(import.meta.url), '--child', dir, '--adapter', adapterFile],
        { encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(child.stderr);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
      results.push({ ratings, size, ...result });
      console.log(
        `${ratings.toLocaleString('en')} rating rows (${mb(size)}), ${movies.toLocaleString('en')} movies: ` +
          `peak RSS ${mb(result.peak)} (${mb(result.baseline)} after start-up), heap after GC ${mb(result.retained)}, ` +
          `${result.seconds.toFixed(1)}s, ` +
          `${Math.round(ratings / result.seconds).toLocaleString('en')} rows/s, ${result.counts.rating} mean ratings`,
      );
      if (!values.keep) await rm(dir, { recursive: true, force: true });
    }
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
    else console.log(`files kept in ${work}`);
  }
}

main().catch((error) => {
  console.error(`measure-movielens-memory: ${error.stack ?? error}`);
  process.exitCode = 1;
});
