import path from 'node:path';
import express, { Router, type Response } from 'express';
import type pg from 'pg';
import { posterSettings, type PosterSettings } from '../assets/settings.js';
import { imagesDir, LOCAL_POSTER_PATH } from '../assets/store.js';
import { defaultConfig } from '../config.js';
import { genresInUse } from '../db/lookups.js';
import { movieExists } from '../db/movies.js';
import { movieExtrasHandler } from './movie-extras.js';
import { WEB_ROOT } from './paths.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebOptions {
  pool: pg.Pool;
  /** Poster mirror settings (npm start: posterSettings(config)); the defaults when absent. */
  posters?: PosterSettings;
}

/**
 * The website and its assets: `/` (search) and `/movie/:id` (one movie) served from web/, the
 * JSON the movie page needs beyond GraphQL, and mirrored posters under /assets/posters.
 */
export function webRoutes({ pool, posters = posterSettings(defaultConfig()) }: WebOptions): Router {
  const router = Router();
  const pageHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(posters));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
  };
  const page = path.join(WEB_ROOT, 'index.html');

  const sendPage = (res: Response, status: number, next: (error: unknown) => void) => {
    pageHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.status(status).sendFile(page, (error) => error && next(error));
  };
  router.get('/', (_req, res, next) => sendPage(res, 200, next));
  // The same page either way (it says "Movie not found"), with the status a link checker or crawler needs.
  router.get('/movie/:id', async (req, res, next) => {
    try {
      const known = UUID.test(req.params.id) && (await movieExists(pool, req.params.id.toLowerCase()));
      sendPage(res, known ? 200 : 404, next);
    } catch (error) {
      next(error);
    }
  });
  // Genre choices for the search form: only genres some movie has, with how many.
  router.get('/genres.json', async (_req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'no-cache');
      res.json({ genres: await genresInUse(pool) });
    } catch (error) {
      next(error);
    }
  });
  router.use('/static', express.static(path.join(WEB_ROOT, 'static'), {
    fallthrough: false,
    maxAge: '10m',
    setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff'),
  }));
  router.get('/movies/:id/provenance', movieExtrasHandler(pool, posters));
  if (posters.mode === 'local') {
    router.use(LOCAL_POSTER_PATH, express.static(imagesDir(posters.dir), {
      fallthrough: false,
      immutable: true,
      maxAge: '365d',
      index: false,
      setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff'),
    }));
  }
  return router;
}

function contentSecurityPolicy(posters: PosterSettings): string {
  const mirror = posters.s3 ? ` ${new URL(posters.s3.publicUrl).origin}` : '';
  return [
    "default-src 'self'",
    `img-src 'self' https: data:${mirror}`,
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
