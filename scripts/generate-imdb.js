#!/usr/bin/env node
// Deterministic generator of IMDb-format dataset files (title.basics.tsv and title.ratings.tsv),
// for the bundled sample data, tests and benchmarks. Plain ESM, Node built-ins only.
//
//   node scripts/generate-imdb.js --out DIR --count N [--seed S] [--gzip] [--shape classic|real]
//
// The same seed and count always give byte-identical .tsv files. Only integer and basic IEEE
// arithmetic feeds the output (no Math.random, no clock, no locale), so they are identical on every
// platform and Node version; `--gzip` output additionally depends on Node's bundled zlib.
//
// Two shapes. `classic` (the default: the bundled sample data, tests and soaks are made with it) writes
// about 80% movies. `real` writes the real dump's mix (what `npm run bench` uses): ~6% `movie`, ~75%
// `tvEpisode`, the rest `short`, `video`, `tvSeries`, `tvMovie`, `tvMiniSeries`, `tvSpecial`,
// `videoGame`, `tvShort`, `tvPilot`; ratings for ~13% of titles (about half the movies, 8% of
// episodes) with heavy-tailed vote counts from 5 to millions (median ~10-15); ~1% adult titles.
//
// What the rows look like (the quirks of the real datasets an importer must cope with):
// - classic: about 80% titleType `movie`; the rest `short`, `tvSeries` and `tvEpisode`, which MovieC skips;
// - a few `\N` years, runtimes and genres; `endYear` only on some TV series;
// - genres from IMDb's own list (Sci-Fi, Film-Noir, …), 1–3 per title, alphabetical like IMDb's;
// - titles built from word lists ("The Silent Harbor", "Midnight in Lisbon"); ~10% of movies have an
//   accented foreign originalTitle ("Le Château des Ombres"), a few are known by it as primaryTitle;
// - a few exact remakes: a movie with an earlier row's title, its year 5-40 years away;
// - ratings for ~90% of titles (of every type, as in the real file), averageRating with one decimal
//   from 1.0 to 10.0, and skewed vote counts: some 5–50, most in the thousands, a few over a million.
import { once } from 'node:events';
import { createWriteStream, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

export const BASICS_HEADER = 'tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres';
export const RATINGS_HEADER = 'tconst\taverageRating\tnumVotes';
const NULL = '\\N';
const LAST_YEAR = 2025;

// ---------------------------------------------------------------------------------------------
// Seeded PRNG: the seed string is hashed (cyrb128) into the 128-bit state of sfc32.

function cyrb128(text) {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A random source: `next()` is uniform in [0, 1), the helpers build on it. */
export function createRandom(seed) {
  let [a, b, c, d] = cyrb128(`imdb:${seed}`);
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const result = (t + d) | 0;
    c = (c + result) | 0;
    return (result >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // let the hashed state mix
  return {
    next,
    /** Integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** Roughly normal with mean 0 and standard deviation 1 (Irwin–Hall of 12 uniforms). */
    normal: () => {
      let sum = 0;
      for (let i = 0; i < 12; i++) sum += next();
      return sum - 6;
    },
  };
}

/** A chooser of one of `entries` ([value, weight] pairs) with probability proportional to its weight. */
function weighted(entries) {
  const values = entries.map(([value]) => value);
  const bounds = [];
  let total = 0;
  for (const [, weight] of entries) bounds.push((total += weight));
  return (random) => {
    const r = random.next() * total;
    let i = 0;
    while (i < bounds.length - 1 && r >= bounds[i]) i++;
    return values[i];
  };
}

// ---------------------------------------------------------------------------------------------
// Word lists.

const ADJECTIVES = [
  'Silent', 'Broken', 'Hidden', 'Crimson', 'Last', 'Golden', 'Forgotten', 'Endless', 'Frozen', 'Burning',
  'Distant', 'Hollow', 'Quiet', 'Wild', 'Velvet', 'Iron', 'Paper', 'Glass', 'Electric', 'Lonely', 'Secret',
  'Savage', 'Northern', 'Blue', 'Scarlet', 'Little', 'Lost', 'Black', 'Invisible', 'Sleeping', 'Dark',
  'Bright', 'Restless', 'Perfect', 'Final', 'Second', 'Wandering', 'Painted', 'Shattered', 'Tender',
];
const NOUNS = [
  'Harbor', 'River', 'Garden', 'Kingdom', 'Signal', 'Mirror', 'Horizon', 'Orchard', 'Lighthouse', 'Frontier',
  'Station', 'Empire', 'Shadow', 'Summer', 'Winter', 'Promise', 'Witness', 'Voyage', 'Machine', 'Island',
  'Letter', 'Road', 'Storm', 'Circus', 'Hotel', 'Detective', 'Stranger', 'Prophet', 'Dancer', 'Game',
  'Heart', 'Valley', 'Dream', 'Bridge', 'Fire', 'Crown', 'Forest', 'Tide', 'House', 'Mountain', 'Code',
  'Secret', 'Ghost', 'Orbit', 'Saint', 'Thief', 'Violin', 'Engine', 'Sky', 'Witness',
];
const PLACES = [
  'Lisbon', 'Vienna', 'Cairo', 'Tokyo', 'Havana', 'Marseille', 'Prague', 'Istanbul', 'Buenos Aires', 'Montreal',
  'Naples', 'Berlin', 'Shanghai', 'Bombay', 'Dublin', 'Oslo', 'Reykjavik', 'Casablanca', 'Paris', 'Tangier',
  'the Desert', 'the City', 'the North', 'Paradise', 'Brooklyn', 'Texas', 'Kyoto', 'Seville', 'Alaska', 'Mars',
];
const TIMES = ['Midnight', 'Sunday', 'Dawn', 'December', 'Summer', 'Tomorrow', 'Yesterday', 'Winter', 'Night', 'Autumn'];
const NAMES = [
  'Anna', 'Marcus', 'Eleanor', 'Tomas', 'Lucia', 'Henry', 'Mei', 'Omar', 'Ingrid', 'Jack', 'Rosa', 'Felix',
  'Nadia', 'Victor', 'Clara', 'Sam', 'Leila', 'Hugo', 'Maya', 'Otto', 'Grace', 'Ravi', 'June', 'Pablo',
];
const NUMERALS = ['II', 'III', '2', '3', 'Part II'];

const englishPattern = weighted([
  [(r) => `The ${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`, 8],
  [(r) => `${r.pick(TIMES)} in ${r.pick(PLACES)}`, 3],
  [(r) => `The ${r.pick(NOUNS)} of ${r.pick(PLACES)}`, 3],
  [(r) => `${r.pick(NAMES)} and the ${r.pick(NOUNS)}`, 2],
  [(r) => `${r.pick(NAMES)} & ${r.pick(NAMES)}`, 1],
  [(r) => `${r.pick(ADJECTIVES)} ${plural(r.pick(NOUNS))}`, 3],
  [(r) => `${withArticle(r.pick(NOUNS))} for ${r.pick(NAMES)}`, 2],
  [(r) => `${r.pick(NAMES)}'s ${r.pick(NOUNS)}`, 2],
  [(r) => `Return to ${r.pick(PLACES)}`, 1],
  [(r) => `${r.pick(NOUNS)}: The ${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`, 2],
  [(r) => `${r.pick(ADJECTIVES)}`, 1],
  [(r) => `The ${r.pick(NOUNS)}`, 1],
  [(r) => `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)} ${r.pick(NUMERALS)}`, 1],
]);

// Accented foreign titles: a head phrase with its article, and a complement that fits any head.
const FOREIGN = {
  fr: {
    heads: ['Le Château', 'La Forêt', "L'Été", 'Le Rêve', 'La Fenêtre', 'Les Mémoires', 'La Rivière', 'Le Théâtre', 'La Légende', "L'Étrangère"],
    tails: ['des Ombres', 'de Minuit', 'du Silence', "d'Hélène", 'sans Fin', 'de Lisbonne', 'des Âmes', 'à Marseille'],
  },
  es: {
    heads: ['El Corazón', 'La Canción', 'El Jardín', 'La Estación', 'El Último Tren', 'La Niña', 'El Día', 'La Búsqueda'],
    tails: ['del Puerto', 'de Medianoche', 'sin Nombre', 'de Lisboa', 'en Otoño', 'del Río', 'de Mamá'],
  },
  de: {
    heads: ['Die Brücke', 'Das Mädchen', 'Der Frühling', 'Die Straße', 'Das Schloss', 'Die Träumer', 'Der Fährmann'],
    tails: ['am Fluss', 'im Schnee', 'aus Köln', 'über Berlin', 'der Nacht', 'ohne Namen'],
  },
  it: {
    heads: ['La Città', 'Il Silenzio', 'La Verità', "L'Età", 'Il Perché', 'La Libertà', 'Il Caffè'],
    tails: ['di Mezzanotte', 'del Porto', 'senza Nome', 'di Napoli', 'di Sempre', 'a Roma'],
  },
  pt: {
    heads: ['O Coração', 'A Canção', 'A Estação', 'O Pássaro', 'A Ilusão', 'O Irmão', 'A Solidão'],
    tails: ['do Porto', 'de Lisboa', 'sem Fim', 'da Meia-Noite', 'do Sertão', 'de São Paulo'],
  },
};
const LANGUAGES = Object.keys(FOREIGN);

// IMDb's genre list with rough frequencies among movies. Adult titles are left out.
const MOVIE_GENRES = [
  ['Drama', 30], ['Comedy', 18], ['Action', 9], ['Romance', 8], ['Thriller', 8], ['Crime', 7], ['Horror', 6],
  ['Documentary', 6], ['Adventure', 5], ['Mystery', 4], ['Family', 3], ['Fantasy', 3], ['Sci-Fi', 3],
  ['Biography', 3], ['History', 2], ['Music', 2], ['War', 2], ['Animation', 2], ['Musical', 1],
  ['Western', 1], ['Sport', 1], ['Film-Noir', 0.5], ['News', 0.2],
];
const movieGenre = weighted(MOVIE_GENRES);
const tvGenre = weighted([...MOVIE_GENRES, ['Reality-TV', 4], ['Talk-Show', 2], ['Game-Show', 2]]);
const genreCount = weighted([[1, 35], [2, 35], [3, 30]]);

const titleType = weighted([['movie', 80], ['short', 8], ['tvSeries', 5], ['tvEpisode', 7]]);

// The real title.basics mix (2024: ~11.9M rows), and the share of each type that title.ratings rates.
const REAL_TYPES = [
  ['tvEpisode', 75], ['short', 8.8], ['movie', 6], ['video', 2.6], ['tvSeries', 2.4], ['tvMovie', 1.3],
  ['tvMiniSeries', 0.55], ['tvSpecial', 0.45], ['videoGame', 0.35], ['tvShort', 0.1], ['tvPilot', 0.01],
];
const realTitleType = weighted(REAL_TYPES);
const REAL_RATED = {
  movie: 0.5, tvEpisode: 0.08, short: 0.15, video: 0.2, tvSeries: 0.45, tvMovie: 0.4,
  tvMiniSeries: 0.4, tvSpecial: 0.3, videoGame: 0.35, tvShort: 0.2, tvPilot: 0.1,
};
export const SHAPES = ['classic', 'real'];

// ---------------------------------------------------------------------------------------------
// Rows.

/**
 * The titles of a dataset in tconst order, generated lazily (constant memory for any count).
 * Each is `{ tconst, titleType, primaryTitle, originalTitle, isAdult, startYear, endYear,
 * runtimeMinutes, genres, rating }` with `null` for `\N`, `genres` an array (empty for `\N`) and
 * `rating` `{ averageRating, numVotes }` or null.
 */
export function* generateTitles({ count, seed = 1, shape = 'classic' }) {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a whole number, got ${count}`);
  if (!SHAPES.includes(shape)) throw new RangeError(`shape must be one of ${SHAPES.join(', ')}, got ${shape}`);
  const random = createRandom(String(seed));
  const movies = new MovieTitles();
  const real = shape === 'real';
  let number = 10_000;
  for (let i = 0; i < count; i++) {
    // The real dump's tconsts are dense (tt0000001 … tt3xxxxxxx); the classic shape's are sparser.
    number += real ? random.int(1, 4) : random.int(1, 20);
    const type = real ? realTitleType(random) : titleType(random);
    const title = type === 'movie' ? movie(random, movies) : other(random, type);
    yield {
      tconst: `tt${String(number).padStart(7, '0')}`,
      titleType: type,
      primaryTitle: title.primaryTitle,
      originalTitle: title.originalTitle,
      isAdult: real && random.chance(0.01) ? 1 : 0,
      startYear: title.startYear,
      endYear: title.endYear ?? null,
      runtimeMinutes: title.runtimeMinutes,
      genres: title.genres,
      rating: real ? (random.chance(REAL_RATED[type]) ? realRating(random, type) : null) : random.chance(0.9) ? rating(random) : null,
    };
  }
}

/**
 * Movie titles seen so far, in bounded memory: a window of recent titles that new ones avoid (so
 * that same-titled movies are deliberate remakes, at least in small datasets; large ones repeat
 * titles now and then, as the real one does), and a pool of earlier movies to remake.
 */
class MovieTitles {
  static WINDOW = 4_000;
  static POOL = 500;
  recent = new Set();
  ring = []; // the recent titles in a ring buffer; `next` is the oldest once it is full
  next = 0;
  pool = [];

  /** A title from `make` that is not among the recent ones, if a few tries find one. */
  fresh(make) {
    let title = make();
    for (let tries = 0; tries < 8 && this.recent.has(title); tries++) title = make();
    return title;
  }

  takeFromPool(random) {
    const index = random.int(0, this.pool.length - 1);
    const [taken] = this.pool.splice(index, 1);
    return taken;
  }

  remember(random, primaryTitle, startYear) {
    if (!this.recent.has(primaryTitle)) {
      this.recent.add(primaryTitle);
      if (this.ring.length < MovieTitles.WINDOW) {
        this.ring.push(primaryTitle);
      } else {
        this.recent.delete(this.ring[this.next]);
        this.ring[this.next] = primaryTitle;
        this.next = (this.next + 1) % MovieTitles.WINDOW;
      }
    }
    if (startYear === null) return;
    if (this.pool.length < MovieTitles.POOL) this.pool.push({ primaryTitle, startYear });
    else this.pool[random.int(0, MovieTitles.POOL - 1)] = { primaryTitle, startYear };
  }
}

function movie(random, movies) {
  const startYear = random.chance(0.03) ? null : year(random);
  const runtimeMinutes = random.chance(0.06)
    ? null
    : random.chance(0.04) ? random.int(150, 240) : Math.max(60, Math.round(105 + random.normal() * 16));
  const genres = random.chance(0.03) ? [] : genreList(random, movieGenre);

  const kind = random.next();
  if (kind < 0.015 && startYear !== null && movies.pool.length) {
    // An exact remake of an earlier movie, 5-40 years apart; each movie is remade at most once.
    const { primaryTitle, startYear: firstYear } = movies.takeFromPool(random);
    const gap = random.int(5, 40);
    const remakeYear = firstYear + gap <= LAST_YEAR ? firstYear + gap : Math.max(1915, firstYear - gap);
    return { primaryTitle, originalTitle: primaryTitle, startYear: remakeYear, runtimeMinutes, genres };
  }
  let primaryTitle;
  let originalTitle;
  if (kind < 0.045) {
    // Known internationally by its original, accented title.
    primaryTitle = originalTitle = movies.fresh(() => foreignTitle(random));
  } else if (kind < 0.145) {
    primaryTitle = movies.fresh(() => englishTitle(random));
    originalTitle = foreignTitle(random);
  } else {
    primaryTitle = originalTitle = movies.fresh(() => englishTitle(random));
  }
  movies.remember(random, primaryTitle, startYear);
  return { primaryTitle, originalTitle, startYear, runtimeMinutes, genres };
}

function other(random, type) {
  const startYear = random.chance(0.06) ? null : year(random);
  let primaryTitle = englishTitle(random);
  let runtimeMinutes;
  let genres = random.chance(0.05) ? [] : genreList(random, tvGenre);
  let endYear = null;
  if (type === 'short') {
    runtimeMinutes = random.chance(0.1) ? null : random.int(3, 40);
    if (!genres.includes('Short')) genres = ['Short', ...genres.slice(0, 2)].sort(byCodeUnits);
  } else if (type === 'tvSeries') {
    runtimeMinutes = random.chance(0.3) ? null : random.pick([22, 25, 30, 44, 45, 50, 60]);
    if (startYear !== null && random.chance(0.5)) endYear = Math.min(LAST_YEAR, startYear + random.int(0, 9));
  } else {
    runtimeMinutes = random.chance(0.3) ? null : random.int(20, 65);
    if (random.chance(0.6)) primaryTitle = `Episode #${random.int(1, 12)}.${random.int(1, 24)}`;
  }
  return { primaryTitle, originalTitle: primaryTitle, startYear, endYear, runtimeMinutes, genres };
}

function year(random) {
  const u = random.next();
  return LAST_YEAR - Math.floor(105 * u * u); // 1921-2025, most of them recent
}

function genreList(random, genre) {
  const wanted = genreCount(random);
  const genres = [];
  for (let attempts = 0; genres.length < wanted && attempts < 10; attempts++) {
    const next = genre(random);
    if (!genres.includes(next)) genres.push(next);
  }
  return genres.sort(byCodeUnits);
}

function englishTitle(random) {
  return englishPattern(random)(random);
}

function foreignTitle(random) {
  const { heads, tails } = FOREIGN[random.pick(LANGUAGES)];
  return random.chance(0.1) ? random.pick(heads) : `${random.pick(heads)} ${random.pick(tails)}`;
}

function rating(random) {
  const average = Math.min(10, Math.max(1, 6.4 + random.normal() * 1.25));
  const tier = random.next();
  const skew = random.next() * random.next(); // favours the low end of each band
  let numVotes;
  if (tier < 0.2) numVotes = 5 + Math.floor(46 * skew); // 5-50
  else if (tier < 0.45) numVotes = 51 + Math.floor(949 * skew); // 51-999
  else if (tier < 0.9) numVotes = 1_000 + Math.floor(49_000 * skew); // thousands
  else if (tier < 0.992) numVotes = 50_000 + Math.floor(950_000 * skew); // up to a million
  else numVotes = 1_000_000 + Math.floor(2_000_000 * skew); // a few blockbusters
  return { averageRating: Math.round(average * 10) / 10, numVotes };
}

/**
 * A rating as the real title.ratings has them: averages around 6.9, and votes from a Pareto tail
 * from 5 (median ~10-15; movies and series, with the heavier tail, reach millions: ~1 in 4,000 rated
 * movies is over a million, as in the real file; other titles ~1 in 200,000).
 */
function realRating(random, type) {
  const average = Math.min(10, Math.max(1, 6.9 + random.normal() * 1.3));
  const popular = type === 'movie' || type === 'tvSeries' || type === 'tvMiniSeries';
  const u = 1 - random.next(); // (0, 1]
  const numVotes = Math.min(3_000_000, Math.floor(5 * u ** (popular ? -1.45 : -1.0)));
  return { averageRating: Math.round(average * 10) / 10, numVotes };
}

function withArticle(noun) {
  return /^[AEIOU]/.test(noun) ? `An ${noun}` : `A ${noun}`;
}

function plural(noun) {
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/f$/.test(noun)) return `${noun.slice(0, -1)}ves`;
  if (/(s|sh|ch|x)$/.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

function byCodeUnits(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A title as a title.basics.tsv line (with its newline). */
export function formatBasics(t) {
  const field = (value) => (value === null || value === undefined ? NULL : String(value));
  return `${t.tconst}\t${t.titleType}\t${t.primaryTitle}\t${t.originalTitle}\t${t.isAdult}\t${field(t.startYear)}\t` +
    `${field(t.endYear)}\t${field(t.runtimeMinutes)}\t${t.genres.length ? t.genres.join(',') : NULL}\n`;
}

/** A title's rating as a title.ratings.tsv line (with its newline); '' when it has none. */
export function formatRating(t) {
  return t.rating ? `${t.tconst}\t${t.rating.averageRating.toFixed(1)}\t${t.rating.numVotes}\n` : '';
}

// ---------------------------------------------------------------------------------------------
// Files.

/** A write stream to `file`, gzipped on the way when asked, with backpressure-aware writes. */
function openSink(file, gzip) {
  const output = createWriteStream(file);
  const head = gzip ? createGzip() : output;
  const done = gzip ? pipeline(head, output) : finished(output);
  done.catch(() => undefined); // observed when awaited in end(); a failure also rejects write()
  return {
    async write(chunk) {
      if (head.destroyed) await done;
      if (!head.write(chunk)) await once(head, 'drain');
    },
    async end() {
      head.end();
      await done;
    },
  };
}

/**
 * Writes `title.basics.tsv` and `title.ratings.tsv` (`.tsv.gz` with `gzip`) of `count` titles into
 * `out`, streamed. Resolves to the file paths and counts.
 */
export async function generateImdb({ out, count, seed = 1, gzip = false, shape = 'classic' }) {
  await mkdir(out, { recursive: true });
  const extension = gzip ? '.tsv.gz' : '.tsv';
  const files = { basics: path.join(out, `title.basics${extension}`), ratings: path.join(out, `title.ratings${extension}`) };
  const basics = openSink(files.basics, gzip);
  const ratings = openSink(files.ratings, gzip);
  const counts = { titles: 0, movies: 0, ratings: 0 };
  let basicsChunk = `${BASICS_HEADER}\n`;
  let ratingsChunk = `${RATINGS_HEADER}\n`;
  let failure;
  try {
    for (const title of generateTitles({ count, seed, shape })) {
      counts.titles++;
      if (title.titleType === 'movie') counts.movies++;
      if (title.rating) counts.ratings++;
      basicsChunk += formatBasics(title);
      ratingsChunk += formatRating(title);
      if (basicsChunk.length >= 65_536) {
        await basics.write(basicsChunk);
        await ratings.write(ratingsChunk);
        basicsChunk = ratingsChunk = '';
      }
    }
    await basics.write(basicsChunk);
    await ratings.write(ratingsChunk);
  } catch (error) {
    failure = error;
  }
  const closed = await Promise.allSettled([basics.end(), ratings.end()]);
  if (failure) throw failure;
  for (const result of closed) if (result.status === 'rejected') throw result.reason;
  return { files, ...counts };
}

// ---------------------------------------------------------------------------------------------
// Command line.

const USAGE = 'usage: node scripts/generate-imdb.js --out DIR --count N [--seed S] [--gzip] [--shape classic|real]';

async function cli(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        count: { type: 'string' },
        seed: { type: 'string', default: '1' },
        gzip: { type: 'boolean', default: false },
        shape: { type: 'string', default: 'classic' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = Number(values.count);
  if (!values.out || !/^\d+$/.test(values.count ?? '') || !Number.isSafeInteger(count)) {
    console.error(`--out and --count (a whole number) are required\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  if (!SHAPES.includes(values.shape)) {
    console.error(`--shape must be one of ${SHAPES.join(', ')}\n${USAGE}`);
    return 2;
  }
  const result = await generateImdb({ out: values.out, count, seed: values.seed, gzip: values.gzip, shape: values.shape });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${result.titles} titles (${result.movies} movies) and ${result.ratings} ratings, seed ${values.seed}, in ${seconds}s:\n` +
      `  ${result.files.basics}\n  ${result.files.ratings}`,
  );
  return 0;
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  cli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`generate-imdb: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
