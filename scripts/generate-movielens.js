#!/usr/bin/env node
// Deterministic generator of MovieLens-format files (movies.csv, links.csv, ratings.csv) of any
// size, for benchmarks and the memory check of the MovieLens adapter. Plain ESM, Node built-ins only.
//
//   node scripts/generate-movielens.js --out DIR --movies N --ratings M [--seed S]
//
// ratings.csv is written as MovieLens writes it: sorted by userId, half stars from 0.5 to 5.0 with
// one decimal, Unix timestamps; popular films get far more ratings than obscure ones.
import { once } from 'node:events';
import { createWriteStream, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** mulberry32: a small seeded PRNG, so the same arguments always give the same files. */
function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes lines to a file in 64 KB chunks, waiting when the stream is full. */
async function writeLines(file, lines) {
  const out = createWriteStream(file);
  let buffer = '';
  for (const line of lines) {
    buffer += `${line}\n`;
    if (buffer.length >= 65536) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

const WORDS = ['Silent', 'Harbor', 'Midnight', 'Lisbon', 'Iron', 'Valley', 'Paper', 'Moon', 'Last', 'Train', 'Crimson', 'Tide'];
const GENRES = ['Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Horror', 'Sci-Fi', 'Thriller'];

function* movieLines(count, random) {
  yield 'movieId,title,genres';
  for (let id = 1; id <= count; id++) {
    const words = `${WORDS[Math.floor(random() * WORDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]}`;
    const title = random() < 0.1 ? `"${words}, The (${1920 + Math.floor(random() * 105)})"` : `${words} ${id} (${1920 + Math.floor(random() * 105)})`;
    const genres = random() < 0.01 ? '(no genres listed)' : [...new Set([0, 1].map(() => GENRES[Math.floor(random() * GENRES.length)]))].join('|');
    yield `${id},${title},${genres}`;
  }
}

function* linkLines(count) {
  yield 'movieId,imdbId,tmdbId';
  for (let id = 1; id <= count; id++) yield `${id},${9_000_000 + id},${id % 50 === 0 ? '' : 100_000 + id}`;
}

function* ratingLines(movies, ratings, random) {
  yield 'userId,movieId,rating,timestamp';
  let user = 1;
  for (let i = 0; i < ratings; i++) {
    if (random() < 0.01) user++;
    // Skewed popularity: squaring a uniform draw favours low movie ids.
    const movieId = 1 + Math.floor(random() * random() * movies);
    const halves = 1 + Math.floor(random() * 10);
    yield `${user},${movieId},${(halves / 2).toFixed(1)},${946_684_800 + Math.floor(random() * 800_000_000)}`;
  }
}

export async function generateMovieLens({ out, movies, ratings, seed = 1 }) {
  await mkdir(out, { recursive: true });
  const random = createRandom(seed);
  await writeLines(path.join(out, 'movies.csv'), movieLines(movies, random));
  await writeLines(path.join(out, 'links.csv'), linkLines(movies));
  await writeLines(path.join(out, 'ratings.csv'), ratingLines(movies, ratings, random));
  return { movies, ratings, dir: out };
}

const USAGE = 'usage: node scripts/generate-movielens.js --out DIR --movies N --ratings M [--seed S]';

async function cli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, movies: { type: 'string' }, ratings: { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  const [movies, ratings, seed] = [values.movies, values.ratings, values.seed].map(Number);
  if (!values.out || !Number.isSafeInteger(movies) || !Number.isSafeInteger(ratings) || !Number.isSafeInteger(seed) || movies < 1) {
    console.error(USAGE);
    return 2;
  }
  const started = performance.now();
  await generateMovieLens({ out: values.out, movies, ratings, seed });
  console.log(`${movies} movies and ${ratings} ratings in ${values.out} (${((performance.now() - started) / 1000).toFixed(1)}s)`);
  return 0;
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`generate-movielens: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
