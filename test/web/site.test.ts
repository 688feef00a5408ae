/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

/** Screenshots of each page, for people to look at (git-ignored; CI keeps them as artifacts). */
const ARTIFACTS = path.resolve('test-artifacts');

describe('the website, in headless Chromium', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let northernLights: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    api = await startTestApi();
    northernLights = await insertMovie(api.db.pool, {
      title: 'Northern Lights',
      originalTitle: 'Nordlys',
      year: 2003,
      runtimeMinutes: 104,
      overview: 'Two strangers cross the Arctic in winter.',
      score: { value: 74.3, confidence: 0.95, votes: 4200, providerCount: 2 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 7.7, rawScale: '1-10', normalized: 74.1, votes: 4000 },
        { provider: 'rottentomatoes', kind: 'critics', rawValue: 88, rawScale: '0-100%', normalized: 80, votes: 200 },
      ],
      titles: [
        { provider: 'imdb', title: 'Northern Lights', score: 0.56 },
        { provider: 'rottentomatoes', title: 'Northern Lights', score: 0.44 },
      ],
      genres: [{ name: 'Drama', confidence: 1 }, { name: 'Romance', confidence: 0.5 }],
      externalIds: [{ provider: 'imdb', externalId: 'tt0100001' }, { provider: 'rottentomatoes', externalId: 'm/northern_lights' }],
    });
    await api.db.pool.query(
      `UPDATE movies SET provenance = '{"title":"imdb","originalTitle":"imdb","year":"imdb","runtimeMinutes":"rottentomatoes"}' WHERE id = $1`,
      [northernLights],
    );
    await insertMovie(api.db.pool, {
      title: 'Northern Exposure',
      year: 1995,
      score: { value: 61.2, confidence: 0.6, votes: 300, providerCount: 1 },
      ratings: [{ provider: 'imdb', kind: 'users', rawValue: 6.5, rawScale: '1-10', normalized: 61.2, votes: 300 }],
      genres: [{ name: 'Comedy', confidence: 1 }],
    });
    await insertMovie(api.db.pool, { title: '<img src=x onerror="window.hacked=1"> Desert Cross', year: 2004, genres: [{ name: 'Western', confidence: 1 }] });

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('lists the top rated movies at /, with the c-rating and each provider\'s rating', async () => {
    await page.goto(`${api.origin}/`);
    await page.waitForSelector('#results');
    expect(await page.textContent('h1')).toBe('Top rated movies');
    const titles = await page.locator('.result-title a').allTextContents();
    expect(titles).toEqual(['Northern Lights', 'Northern Exposure', '<img src=x onerror="window.hacked=1"> Desert Cross']);
    expect(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-home.png'), fullPage: true });
  });

  it('searches titles and shows the per-provider breakdown', async () => {
    await page.fill('input[name=q]', 'northern');
    await page.press('input[name=q]', 'Enter');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('for “northern”'));
    expect(await page.textContent('h1')).toBe('2 results for “northern”');
    expect(new URL(page.url()).search).toBe('?q=northern');
    const first = page.locator('.result').first();
    expect(await first.locator('.c-rating').textContent()).toBe('74');
    expect(await first.locator('.breakdown li').allTextContents()).toEqual([
      'IMDb users74 · 7.7 / 10 · 4,000 votes',
      'Rotten Tomatoes critics80 · 88 % · 200 votes',
    ]);
    expect(await first.locator('.genres').textContent()).toBe('Drama · Romance');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-search.png'), fullPage: true });
  });

  it('filters the results by genre', async () => {
    await page.selectOption('select[name=genre]', 'Comedy');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('in Comedy'));
    expect(await page.textContent('h1')).toBe('1 result for “northern” in Comedy');
    expect(await page.locator('.result-title a').allTextContents()).toEqual(['Northern Exposure']);
    expect(new URL(page.url()).search).toBe('?q=northern&genre=Comedy');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-search-genre.png'), fullPage: true });
    await page.selectOption('select[name=genre]', '');
    await page.waitForFunction(() => document.querySelectorAll('.result').length === 2);
  });

  it('opens a movie page with titles, genres with confidence, ratings and provenance', async () => {
    await page.click('text=Northern Lights');
    await page.waitForSelector('#movie');
    expect(new URL(page.url()).pathname).toBe(`/movie/${northernLights}`);
    expect(await page.title()).toBe('Northern Lights – MovieC');
    expect(await page.textContent('#movie h1')).toBe('Northern Lights');
    expect(await page.textContent('.facts')).toBe('2003 · 104 min');
    expect(await page.textContent('.score-box .c-rating')).toBe('74');
    expect(await page.textContent('.score-box p')).toContain('c-rating from 2 providers, 4,200 votes');

    const rows = (selector: string) => page.locator(`${selector} tbody tr`).evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
    expect(await rows('#ratings')).toEqual([
      ['IMDb users', '7.7 / 10', '74.1', '4,000'],
      ['Rotten Tomatoes critics', '88 %', '80.0', '200'],
    ]);
    expect(await rows('#titles')).toEqual([['IMDb', 'Northern Lights', '0.56'], ['Rotten Tomatoes', 'Northern Lights', '0.44']]);
    expect(await page.locator('#genres li').allTextContents()).toEqual(['Drama100 %', 'Romance50 %']);
    expect(await rows('#provenance')).toEqual([
      ['Title', 'IMDb'], ['Original title', 'IMDb'], ['Year', 'IMDb'], ['Runtime', 'Rotten Tomatoes'],
    ]);
    expect(await page.locator('#ids a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual([
      'https://www.imdb.com/title/tt0100001/',
      'https://www.rottentomatoes.com/m/northern_lights',
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-movie.png'), fullPage: true });
  });

  it('goes back to the search with the browser history, and says when a movie does not exist', async () => {
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === '2 results for “northern”');
    expect(await page.inputValue('input[name=q]')).toBe('northern');
    // An unknown movie is HTTP 404 (for crawlers and link checkers); Chromium reports any 404 as a
    // console error, so this page is opened apart from the one whose errors are collected.
    const missing = await browser.newPage();
    const response = await missing.goto(`${api.origin}/movie/00000000-0000-4000-8000-000000000000`);
    expect(response?.status()).toBe(404);
    await missing.waitForFunction(() => document.querySelector('h1')?.textContent === 'Movie not found');
    await missing.close();
  });

  it('sends a content security policy and ran without browser errors', async () => {
    const response = await fetch(`${api.origin}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(browserErrors).toEqual([]);
  });
});
