// Deterministic benchmark inputs: IMDb files (scripts/generate-imdb.js) and Rotten Tomatoes and
// MovieLens files that overlap them. RT rows share no id with IMDb (matched by title + year, as in
// real life); MovieLens rows carry the IMDb id in links.csv. Streamed, in constant memory.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { generateImdb, generateTitles } from '../scripts/generate-imdb.js';

/** A line writer with backpressure, in 64 KB chunks. */
function sink(file) {
  const out = createWriteStream(file);
  let buffer = '';
  return {
    async line(text) {
      buffer += `${text}\n`;
      if (buffer.length >= 65_536) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    },
    async end() {
      out.end(buffer);
      await once(out, 'finish');
    },
  };
}

const csv = (value) => (value === null || value === undefined ? '' : /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));

const RT_HEADER = [
  'rotten_tomatoes_link', 'movie_title', 'movie_info', 'genres', 'original_release_date', 'runtime',
  'tomatometer_rating', 'tomatometer_count', 'audience_rating', 'audience_count',
];
const RT_GENRES = { Action: 'Action & Adventure', Adventure: 'Action & Adventure', Comedy: 'Comedy', Drama: 'Drama', Horror: 'Horror', 'Sci-Fi': 'Science Fiction & Fantasy', Fantasy: 'Science Fiction & Fantasy', Documentary: 'Documentary', Romance: 'Romance', Mystery: 'Mystery & Suspense', Thriller: 'Mystery & Suspense', Animation: 'Animation' };

/**
 * Writes bench inputs for `size` IMDb titles (title.basics lines) under `dir`: imdb/ (the real dump's
 * mix of title types unless `shape` is 'classic', gzipped like the real dump unless `gzip` is false),
 * rottentomatoes/ (every 10th movie with a year, title + year only) and movielens/ (every 5th movie or `movieLensMovies` of them,
 * with its tconst in links.csv, and `movieLensRatings` ratings spread over them). Returns the paths
 * and row counts.
 */
export async function generateBenchInputs(dir, size, seed = 1, { shape = 'real', gzip = true, movieLensRatings = size, movieLensMovies = 0 } = {}) {
  const imdbDir = path.join(dir, 'imdb');
  const rtDir = path.join(dir, 'rottentomatoes');
  const mlDir = path.join(dir, 'movielens');
  await Promise.all([mkdir(rtDir, { recursive: true }), mkdir(mlDir, { recursive: true })]);
  const imdb = await generateImdb({ out: imdbDir, count: size, seed, shape, gzip });

  const rt = sink(path.join(rtDir, 'rotten_tomatoes_movies.csv'));
  const mlMovies = sink(path.join(mlDir, 'movies.csv'));
  const mlLinks = sink(path.join(mlDir, 'links.csv'));
  await rt.line(RT_HEADER.join(','));
  await mlMovies.line('movieId,title,genres');
  await mlLinks.line('movieId,imdbId,tmdbId');
  let movieIndex = 0;
  let rtRows = 0;
  let mlCount = 0;
  // Every 5th movie, or as many as asked for (ml-32m: 87k), spread over the movies.
  const mlStep = movieLensMovies > 0 ? Math.max(1, Math.floor(imdb.movies / movieLensMovies)) : 5;
  const mlMax = movieLensMovies > 0 ? movieLensMovies : Infinity;
  for (const t of generateTitles({ count: size, seed, shape })) {
    if (t.titleType !== 'movie') continue;
    movieIndex++;
    const rating = t.rating?.averageRating ?? 6;
    if (movieIndex % 10 === 3 && t.startYear !== null) {
      rtRows++;
      const genres = [...new Set(t.genres.map((g) => RT_GENRES[g] ?? g))].join(', ');
      const critics = Math.min(100, Math.max(0, Math.round(rating * 10 + ((movieIndex * 7) % 21) - 10)));
      await rt.line([
        `m/bench_${t.tconst}`, t.primaryTitle, `A film of ${t.startYear}.`, genres, `${t.startYear}-06-15`,
        t.runtimeMinutes === null ? '' : `${t.runtimeMinutes}.0`, `${critics}.0`, `${20 + (movieIndex % 180)}.0`,
        `${Math.min(100, Math.round(rating * 9 + 5))}.0`, `${100 + ((movieIndex * 37) % 50_000)}.0`,
      ].map(csv).join(','));
    }
    if ((movieIndex - 1) % mlStep === 0 && mlCount < mlMax) {
      mlCount++;
      const title = t.startYear === null ? t.primaryTitle : `${t.primaryTitle} (${t.startYear})`;
      await mlMovies.line(`${mlCount},${csv(title)},${t.genres.length ? t.genres.join('|') : '(no genres listed)'}`);
      await mlLinks.line(`${mlCount},${t.tconst.slice(2)},${mlCount % 50 === 0 ? '' : 200_000 + mlCount}`);
    }
  }
  await Promise.all([rt.end(), mlMovies.end(), mlLinks.end()]);

  // ratings.csv: `movieLensRatings` ratings by users of 50 ratings each, skewed towards low movie ids.
  const mlRatings = sink(path.join(mlDir, 'ratings.csv'));
  await mlRatings.line('userId,movieId,rating,timestamp');
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < movieLensRatings; i++) {
    const movieId = 1 + Math.floor(random() * random() * mlCount);
    const halves = 1 + Math.floor(random() * 10);
    await mlRatings.line(`${1 + Math.floor(i / 50)},${movieId},${(halves / 2).toFixed(1)},${946_684_800 + i}`);
  }
  await mlRatings.end();

  return {
    imdb: { basics: imdb.files.basics, ratings: imdb.files.ratings, titles: imdb.titles, movies: imdb.movies, ratingRows: imdb.ratings },
    rottentomatoes: { file: path.join(rtDir, 'rotten_tomatoes_movies.csv'), rows: rtRows },
    movielens: { dir: mlDir, movies: mlCount, ratings: movieLensRatings },
  };
}
