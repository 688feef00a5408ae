/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { SAMPLES } from '../../src/catalogue/sample.js';
import { scheduleFreshness } from '../../src/server/app.js';
import { launchChromium } from '../support/browser.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { drainJobs, queueImport } from '../support/pipeline.js';

/** The movie page's "How this score is computed" panel, its profile switch and freshness, in Chromium. */
describe('the website explains the c-rating', () => {
  const DAY = 24 * 3_600_000;
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let movieId: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    api = await startTestApi({ freshness: scheduleFreshness({ imdb: DAY, movielens: DAY, rottentomatoes: DAY }) });
    for (const { provider, location } of SAMPLES) {
      await queueImport(api.db.pool, provider, location, 'cli');
      await drainJobs(api.db.pool);
    }
    // A movie rated by users and by critics, so that the profiles differ.
    const { rows } = await api.db.pool.query(
      `SELECT m.id FROM movies m
         JOIN provider_records pr ON pr.movie_id = m.id
        WHERE m.score_critics <> m.score_audience
        GROUP BY m.id HAVING count(*) FILTER (WHERE pr.provider_key = 'rottentomatoes') > 0
                        AND count(*) FILTER (WHERE pr.provider_key = 'movielens') > 0 ORDER BY m.id LIMIT 1`,
    );
    movieId = rows[0].id;
    // Rotten Tomatoes was last read three days ago: past its daily refresh interval.
    await api.db.pool.query(
      `UPDATE provider_records SET last_seen_at = now() - interval '3 days 1 minute' WHERE movie_id = $1 AND provider_key = 'rottentomatoes'`,
      [movieId],
    );
    // Its last full file too (a full snapshot dates every record it kept: providers.snapshot_seen_at).
    await api.db.pool.query(`UPDATE providers SET snapshot_seen_at = now() - interval '3 days 1 minute' WHERE key = 'rottentomatoes'`);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await api.close();
  });

  it('shows each rating’s contribution adding up to the score, switches profile, and says how fresh each provider is', async () => {
    const explained = async (profile: string) =>
      (await api.gql(`query($id: ID!, $p: ScoreProfile) { movie(id: $id) { score(profile: $p) { value explanation { contributions { contribution } } } } }`, {
        id: movieId, p: profile,
      })).data.movie.score;
    const balanced = await explained('BALANCED');
    const critics = await explained('CRITICS');
    expect(critics.value).not.toBe(balanced.value);

    await page.goto(`${api.origin}/movie/${movieId}`);
    await page.waitForSelector('#score-explained table.explanation');
    expect(await page.textContent('#score-explained h2')).toBe('How this score is computed');
    expect(await page.textContent('[data-testid=explained-value]')).toBe(balanced.value.toFixed(1));
    expect(await page.locator('#score-explained tbody tr').count()).toBe(balanced.explanation.contributions.length);
    const shown = (await page.locator('#score-explained td.contribution').allTextContents()).map(Number);
    expect(shown.reduce((a, b) => a + b, 0)).toBeCloseTo(balanced.value, 6);
    expect(await page.textContent('#score-explained .freshness li[data-provider=ROTTEN_TOMATOES]')).toBe('Rotten Tomatoes · updated 3 days ago · stale');
    // MovieLens dates its rating itself (the movie's newest ratings.csv timestamp): shown beside when MovieC read it.
    const { data } = await api.gql(`query($id: ID!) { movie(id: $id) { ratings { provider { key } sourceUpdatedAt } } }`, { id: movieId });
    const dated = data.movie.ratings.find((r: { provider: { key: string } }) => r.provider.key === 'MOVIELENS').sourceUpdatedAt;
    expect(dated).toMatch(/^\d{4}-\d\d-\d\dT/);
    const day = new Date(dated).toLocaleDateString('en-GB', { timeZone: 'UTC' });
    expect(await page.textContent('#score-explained .freshness li[data-provider=MOVIELENS]')).toMatch(
      new RegExp(`^MovieLens · updated [^(]+ \\(the provider's own date: ${day.replace(/\//g, '\\/')}\\)$`),
    );

    await page.check('input[name=score-profile][value=CRITICS]');
    await page.waitForFunction(
      (value) => document.querySelector('[data-testid=explained-value]')?.textContent === value,
      critics.value.toFixed(1),
    );
    expect(browserErrors).toEqual([]);
  });
});
