import path from 'node:path';
import express, { Router, type Response } from 'express';
import type pg from 'pg';
import { posterSettings, type PosterSettings } from '../assets/settings.js';
import { imagesDir, LOCAL_POSTER_PATH } from '../assets/store.js';
import { loadConfig } from '../config.js';
import { movieExtrasHandler } from './movie-extras.js';
import { WEB_ROOT } from './paths.js';

export interface WebOptions {
  pool: pg.Pool;
  /** Poster mirror settings; from the environment when absent. */
  posters?: PosterSettings;
}

/**
 * The website and its assets: `/` (search) and `/movie/:id` (one movie) served from web/, the
 * JSON the movie page needs beyond GraphQL, and mirrored posters under /assets/posters.
 */
export function webRoutes({ pool, posters = posterSettings(loadConfig()) }: WebOptions): Router {
  const router = Router();
  const pageHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(posters));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
  };
  const page = path.join(WEB_ROOT, 'index.html');

  router.get(['/', '/movie/:id'], (_req, res, next) => {
    pageHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page, (error) => error && next(error));
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
