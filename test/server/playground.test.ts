/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { insertMovie, startTestApi, type TestApi } from '../support/graphql-api.js';

describe('GraphiQL playground, offline', () => {
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    api = await startTestApi();
    await insertMovie(api.db.pool, { title: 'Harbor Lights', year: 1996, score: { value: 71, confidence: 0.5, votes: 10, providerCount: 1 } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api.close();
  });

  it('serves the page at GET /graphql to browsers, with every asset from this server', async () => {
    const res = await fetch(api.server.url, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<div id="graphiql">');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\/\/(unpkg|cdn|jsdelivr|esm\.sh)/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual([
      '/playground/graphiql.min.css',
      '/playground/graphiql.min.js',
      '/playground/react-dom.production.min.js',
      '/playground/react.production.min.js',
    ]);
    for (const asset of assets) {
      const file = await fetch(`${api.origin}${asset}`);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /text\/css/ : /javascript/);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(5000);
    }
    expect((await fetch(`${api.origin}/playground/../package.json`)).status).toBe(404);
    expect((await fetch(`${api.origin}/playground/secrets.js`)).status).toBe(404);
  });

  it('leaves GET /graphql with a query, or asking for JSON, to GraphQL', async () => {
    const res = await fetch(`${api.server.url}?query=${encodeURIComponent('{ genres { name } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { genres: expect.any(Array) } });
  });

  it('renders in Chromium with nothing but this server reachable, and runs a query', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    // The machine has no internet: make the browser equally blind to everything but our server.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === api.origin) return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(api.server.url);
      await page.waitForSelector('.graphiql-container', { timeout: 20_000 });
      // The schema arrives by introspection: the docs explorer lists Query's fields.
      await page.evaluate(() => {
        const button = document.querySelector<HTMLButtonElement>('[aria-label="Show Documentation Explorer"]');
        button?.click();
      });
      await page.waitForFunction(() => document.body.innerText.includes('searchMovies'), undefined, { timeout: 20_000 });
      // Run the default query (a search for "harbor") with the run button.
      await page.click('.graphiql-execute-button');
      await page.waitForFunction(() => document.body.innerText.includes('Harbor Lights'), undefined, { timeout: 20_000 });
    } finally {
      await page.close();
    }
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('playground and introspection switched off', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ playground: false, introspection: false });
  });
  afterAll(() => api.close());

  it('serves no page and refuses introspection', async () => {
    const page = await fetch(api.server.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('graphiql');
    const res = await api.gql(`{ __schema { types { name } } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await api.gql(`{ genres { name } }`)).errors).toBeUndefined();
  });
});
