/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { importSamplesIfEmpty } from '../../src/catalogue/sample.js';
import { createLogger } from '../../src/logger.js';
import { GENRE_CONFIDENCE_THRESHOLD } from '../../src/scoring/rules.js';
import { startWorker } from '../../src/workers/runner.js';
import { CHROMIUM_ARGS, launchChromium } from '../support/browser.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';

const ARTIFACTS = path.resolve('test-artifacts');
const PROVIDER_NAMES: Record<string, string> = { imdb: 'IMDb', movielens: 'MovieLens', rottentomatoes: 'Rotten Tomatoes', tmdb: 'TMDB' };
const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface SampleMovie {
  id: string;
  title: string;
  score_value: number;
  ratings: { provider: string; kind: string; normalized: number }[];
  titles: number;
  genres: { name: string; confidence: number }[];
  provenance: Record<string, string>;
}

/**
 * The website over data that went through the real pipeline: the bundled samples (IMDb, MovieLens,
 * Rotten Tomatoes) imported by the worker exactly as `npm start` does on an empty database, then
 * searched and opened in headless Chromium. Expectations are read from the curated tables.
 */
describe('the website over the imported sample data, in headless Chromium', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let movie: SampleMovie;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    api = await startTestApi();
    const logger = createLogger('silent');
    const worker = await startWorker({ pool: api.db.pool, logger, concurrency: 2 });
    try {
      expect(await importSamplesIfEmpty(api.db.pool, logger)).toBe(true);
    } finally {
      await worker.stop();
    }
    // A movie every sample provider rates, whose title is unique enough to search for.
    const { rows } = await api.db.pool.query<SampleMovie>(
      `SELECT m.id, m.title, m.score_value, m.provenance,
              (SELECT json_agg(json_build_object('provider', r.provider_key, 'kind', r.kind, 'normalized', r.normalized))
                 FROM ratings r WHERE r.movie_id = m.id) AS ratings,
              (SELECT count(*)::int FROM movie_titles t WHERE t.movie_id = m.id) AS titles,
              (SELECT json_agg(json_build_object('name', g.name, 'confidence', mg.confidence) ORDER BY g.name)
                 FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = m.id AND mg.confidence >= $1) AS genres
         FROM movies m
        WHERE EXISTS (SELECT 1 FROM movie_genres mg WHERE mg.movie_id = m.id AND mg.confidence >= $1)
        ORDER BY (SELECT count(DISTINCT provider_key) FROM ratings r WHERE r.movie_id = m.id) DESC,
                 (SELECT count(*) FROM ratings r WHERE r.movie_id = m.id) DESC, m.score_value DESC, m.id
        LIMIT 1`,
      // The genres a movie shows: those at the confidence threshold or above (the others are candidates only).
      [GENRE_CONFIDENCE_THRESHOLD],
    );
    movie = rows[0]!;
    // The samples overlap: this movie has ratings from at least two of the three providers.
    expect(new Set(movie.ratings.map((r) => r.provider)).size).toBeGreaterThanOrEqual(2);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('runs Chromium headless with the switches CI expects and a fresh profile folder', async () => {
    const versionPage = await browser.newPage();
    try {
      await versionPage.goto('chrome://version');
      const commandLine = (await versionPage.textContent('#command_line')) ?? '';
      for (const flag of CHROMIUM_ARGS) expect(commandLine).toContain(flag);
      expect(commandLine).toMatch(/--user-data-dir=\S*playwright_chromiumdev_profile-\w+/);
    } finally {
      await versionPage.close();
    }
  });

  it('finds a sample movie by its title, with its c-rating and one chip per provider rating', async () => {
    await page.goto(`${api.origin}/`);
    await page.waitForSelector('#results');
    expect(await page.locator('.result').count()).toBe(20); // the top 20 of a few hundred movies
    await page.fill('input[name=q]', movie.title);
    await page.press('input[name=q]', 'Enter');
    await page.waitForFunction((title) => document.querySelector('h1')?.textContent?.endsWith(`for “${title}”`), movie.title);
    const result = page.locator(`.result[data-movie-id="${movie.id}"]`);
    expect(await result.locator('.result-title a').textContent()).toBe(movie.title);
    expect(await result.locator('.c-rating').textContent()).toBe(number(movie.score_value));
    const chips = await result.locator('.breakdown li').evaluateAll((items) =>
      items.map((li) => [li.querySelector('.chip-label')?.textContent, li.querySelector('strong')?.textContent]));
    expect(chips.sort()).toEqual(
      movie.ratings.map((r) => [`${PROVIDER_NAMES[r.provider]} ${r.kind}`, number(r.normalized)]).sort(),
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-sample-search.png'), fullPage: true });
  });

  it('filters the top rated sample movies by genre', async () => {
    const genre = movie.genres[0]!.name;
    await page.goto(`${api.origin}/`);
    await page.waitForSelector('#results');
    await page.selectOption('select[name=genre]', genre);
    await page.waitForFunction((g) => document.querySelector('h1')?.textContent === `Top rated ${g} movies`, genre);
    const genreLines = await page.locator('.result .genres').allTextContents();
    expect(genreLines.length).toBeGreaterThan(0);
    for (const line of genreLines) expect(line.split(' · ')).toContain(genre);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-sample-genre.png'), fullPage: true });
  });

  it('opens the movie page: the rating of every provider, titles, genres with confidence, provenance', async () => {
    await page.goto(`${api.origin}/?q=${encodeURIComponent(movie.title)}`);
    await page.click(`.result[data-movie-id="${movie.id}"] .result-title a`);
    await page.waitForSelector('#movie');
    expect(new URL(page.url()).pathname).toBe(`/movie/${movie.id}`);
    expect(await page.textContent('#movie h1')).toBe(movie.title);
    expect(await page.textContent('.score-box .c-rating')).toBe(number(movie.score_value));
    const providers = new Set(movie.ratings.map((r) => r.provider)).size;
    expect(await page.textContent('.score-box p')).toContain(`c-rating from ${providers} providers`);

    const cells = (selector: string) => page.locator(`${selector} tbody tr`).evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    const ratings = await cells('#ratings');
    expect(ratings.map(([label, , normalized]) => [label, normalized]).sort()).toEqual(
      movie.ratings.map((r) => [`${PROVIDER_NAMES[r.provider]} ${r.kind}`, number(r.normalized, 1)]).sort(),
    );
    expect(await cells('#titles')).toHaveLength(movie.titles);
    expect(await page.locator('#genres li').allTextContents()).toEqual(
      movie.genres.map((g) => `${g.name}${number(g.confidence * 100)} %`),
    );
    const provenance = Object.fromEntries(await cells('#provenance'));
    expect(provenance.Title).toBe(PROVIDER_NAMES[movie.provenance.title!]);
    expect(Object.keys(provenance)).toHaveLength(Object.keys(movie.provenance).length);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-sample-movie.png'), fullPage: true });
    expect(browserErrors).toEqual([]);
  });
});
