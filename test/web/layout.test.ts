/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

/**
 * The website as people use it, on a 390 px phone and a 1280 px screen: no horizontal scroll,
 * paging, genre choices with counts, empty states, the keyboard, an accessible c-rating, HTTP 404
 * for an unknown movie, a retried request, and axe-core finding no serious or critical violation.
 * Screenshots of each page and size go to test-artifacts/ (git-ignored; CI keeps them).
 */
const ARTIFACTS = path.resolve('test-artifacts');
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 900 },
] as const;

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

describe('the website at 390 px and 1280 px, in headless Chromium', () => {
  let api: TestApi;
  let browser: Browser;
  let longTitled: string;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    api = await startTestApi();
    longTitled = await insertMovie(api.db.pool, {
      title: 'The Extraordinarily Long-Winded Chronicles of Harbour Lights and the Lighthouse Keepers',
      originalTitle: 'Les Chroniques extraordinairement bavardes des feux du port',
      year: 2001,
      runtimeMinutes: 131,
      overview: 'A keeper keeps the light; the town keeps its secrets.',
      score: { value: 58.4, confidence: 0.9, votes: 1_234_567, providerCount: 3 },
      ratings: [
        { provider: 'imdb', kind: 'users', rawValue: 6.1, rawScale: '1-10', normalized: 56.7, votes: 1_200_000 },
        { provider: 'rottentomatoes', kind: 'critics', rawValue: 64, rawScale: '0-100%', normalized: 64, votes: 180 },
        { provider: 'rottentomatoes', kind: 'audience', rawValue: 58, rawScale: '0-100%', normalized: 58, votes: 25_000 },
        { provider: 'movielens', kind: 'users', rawValue: 3.1, rawScale: '0.5-5', normalized: 52.3, votes: 9_367 },
      ],
      titles: [
        { provider: 'imdb', title: 'The Extraordinarily Long-Winded Chronicles of Harbour Lights and the Lighthouse Keepers', score: 0.5 },
        { provider: 'rottentomatoes', title: 'Harbour Lights (Les Chroniques extraordinairement bavardes des feux du port)', score: 0.3 },
      ],
      genres: [{ name: 'Drama', confidence: 1 }, { name: 'Mystery', confidence: 0.42 }, { name: 'Science Fiction', confidence: 0.1 }],
      externalIds: [{ provider: 'imdb', externalId: 'tt0100999' }],
    });
    // 24 more Drama movies: two pages of the top rated list.
    for (let i = 1; i <= 24; i += 1) {
      await insertMovie(api.db.pool, {
        title: `Quiet Drama ${String(i).padStart(2, '0')}`,
        year: 1990 + i,
        score: { value: 40 + i, confidence: 0.5, votes: 100 * i, providerCount: 1 },
        ratings: [{ provider: 'imdb', kind: 'users', rawValue: 5 + i / 10, rawScale: '1-10', normalized: 40 + i, votes: 100 * i }],
        genres: [{ name: 'Drama', confidence: 1 }],
      });
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /** A page whose browser errors are collected; axe is injected past the site's CSP (test only). */
  async function open(width: number, height: number): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    return { context, page, errors };
  }

  async function expectNoHorizontalScroll(page: Page) {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  }

  async function expectNoSeriousAxeViolations(page: Page) {
    await page.addScriptTag({ path: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  }

  it.each(SIZES)('$name ($width px): home, search and movie pages fit, read well and pass axe', async ({ name, width, height }) => {
    const { context, page, errors } = await open(width, height);
    try {
      await page.goto(`${api.origin}/`);
      await page.waitForSelector('#results');
      expect(await page.locator('.result').count()).toBe(20);
      // The score's accessible name says what the number is.
      expect(await page.getByRole('img', { name: 'c-rating 64 of 100' }).count()).toBe(1);
      await expectNoHorizontalScroll(page);
      await expectNoSeriousAxeViolations(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `web-${name}-home.png`), fullPage: true });

      // Paging: the second page joins the first, and the button goes when nothing follows.
      await page.click('#more-results');
      await page.waitForFunction(() => document.querySelectorAll('.result').length === 25);
      expect(await page.isHidden('#more-results')).toBe(true);
      expect(await page.textContent('#results-status')).toBe('Showing 25 of 25');

      await page.fill('input[name=q]', 'harbour lights');
      await page.press('input[name=q]', 'Enter');
      await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('harbour lights'));
      expect(await page.locator('.result-title a').first().textContent()).toContain('Harbour Lights');
      expect(await page.locator('.result').first().locator('.breakdown li').count()).toBe(4);
      await expectNoHorizontalScroll(page);
      await expectNoSeriousAxeViolations(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `web-${name}-search.png`), fullPage: true });

      await page.goto(`${api.origin}/movie/${longTitled}`);
      await page.waitForSelector('#movie');
      expect(await page.getByRole('img', { name: 'c-rating 58 of 100' }).count()).toBe(1);
      await expectNoHorizontalScroll(page);
      await expectNoSeriousAxeViolations(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `web-${name}-movie.png`), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('offers only genres that have movies, with their counts; an empty genre says so', async () => {
    const { context, page } = await open(1280, 900);
    try {
      await page.goto(`${api.origin}/`);
      await page.waitForSelector('#results');
      const options = await page.locator('select[name=genre] option').allTextContents();
      expect(options).toEqual(['All genres', 'Drama (25)', 'Mystery (1)', 'Science Fiction (1)']);
      await page.goto(`${api.origin}/?genre=Western`);
      await page.waitForSelector('#results');
      expect(await page.textContent('#results')).toBe('No movies in Western yet.');
      await page.goto(`${api.origin}/?q=zzzzqqqq`);
      await page.waitForSelector('#results');
      expect(await page.textContent('#results')).toBe('No movie title contains that text.');
    } finally {
      await context.close();
    }
  });

  it('keyboard: arrow keys move through the genres without searching; Enter applies the choice', async () => {
    const { context, page } = await open(1280, 900);
    try {
      await page.goto(`${api.origin}/`);
      await page.waitForSelector('#results');
      await page.focus('select[name=genre]');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(new URL(page.url()).search).toBe('');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.location.search === '?genre=Mystery');
      await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Top rated Mystery movies');
    } finally {
      await context.close();
    }
  });

  it('answers 404 for an unknown movie page, and retries a failed request', async () => {
    const missing = await fetch(`${api.origin}/movie/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<main id="main"');
    expect((await fetch(`${api.origin}/movie/not-a-uuid`)).status).toBe(404);
    expect((await fetch(`${api.origin}/movie/${longTitled}`)).status).toBe(200);

    const { context, page } = await open(390, 844);
    try {
      // The first GraphQL request fails at the network; the page tries again and shows the results.
      let failed = 0;
      await page.route('**/graphql', async (route) => {
        if (failed === 0) {
          failed += 1;
          await route.abort('connectionreset');
        } else {
          await route.continue();
        }
      });
      await page.goto(`${api.origin}/`);
      await page.waitForSelector('#results');
      expect(failed).toBe(1);
      expect(await page.locator('.result').count()).toBe(20);
    } finally {
      await context.close();
    }
  });
});
