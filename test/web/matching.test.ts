/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ensureProviders, insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

// The movie page says how each provider's record was matched, corrections included (issue 14).
describe('the movie page, how each provider was matched', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let movieId: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    await ensureProviders(api.db.pool, ['tmdb', 'rottentomatoes', 'movielens']);
    movieId = await insertMovie(api.db.pool, {
      title: 'Frozen',
      year: 2013,
      externalIds: [
        { provider: 'imdb', externalId: 'tt2294629' },
        { provider: 'rottentomatoes', externalId: 'm/frozen_2013' },
        { provider: 'movielens', externalId: '106696' },
      ],
    });
    await api.db.pool.query(
      `UPDATE provider_records SET match_method = 'title_year', match_confidence = 0.93,
              match_reason = '"Frozen" (2013): title equal ("Frozen" ~ "Frozen"), year 2013, director Chris Buck agrees'
        WHERE external_id = 'm/frozen_2013'`,
    );
    await api.db.pool.query(`UPDATE provider_records SET match_method = 'imdb_id', match_confidence = 1, imdb_id = 'tt2294629', tmdb_id = '109445' WHERE external_id = '106696'`);
    await api.db.pool.query(`UPDATE provider_records SET match_method = 'manual', match_confidence = 1, match_reason = 'confirmed by an admin' WHERE external_id = 'tt2294629'`);
    await api.db.pool.query(
      `INSERT INTO match_corrections (provider_key, external_id, movie_id, kind) VALUES ('tmdb', '86320', $1, 'REJECT')`, [movieId],
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('lists every id with its method, confidence and reason, the TMDB id MovieLens links to included, and rejected records', async () => {
    await page.goto(`${api.origin}/movie/${movieId}`);
    await page.waitForSelector('#matching tbody tr');
    const rows = await page.locator('#matching tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td, i) => (i === 4 ? /\d/.test(td.textContent ?? '') : td.textContent?.trim()))));
    expect(rows).toEqual([
      ['IMDb', 'tt2294629', 'corrected by an administrator', '100 %', true, 'confirmed by an admin'],
      ['MovieLens', '106696', 'shared id', '100 %', true, ''],
      ['Rotten Tomatoes', 'm/frozen_2013', 'title and year', '93 %', true, '"Frozen" (2013): title equal ("Frozen" ~ "Frozen"), year 2013, director Chris Buck agrees'],
      ['TMDB', '109445', 'shared id', '100 %', true, ''],
      ['TMDB', '86320', 'rejected by an administrator', '–', true, 'never matched to this movie again'],
    ]);
    expect(browserErrors).toEqual([]);
  });
});
