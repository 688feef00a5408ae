import { Router, type Request, type Response, type NextFunction } from 'express';
import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import { createLoaders } from '../services/movie-loaders.js';
import { movieDetailByExternalId, movieDetailById, type MovieDetail } from '../services/movie-detail.js';
import { sendDomainError } from './http-errors.js';
import { setCacheHeaders } from './http-cache.js';

export interface RestMovieOptions {
  pool: pg.Pool;
  cache: MovieCache;
  /** max-age of the answers' Cache-Control. */
  maxAgeSeconds: number;
}

/**
 * One GET for one movie: `GET /movies/:id` and `GET /movies/by/:provider/:externalId` (provider in
 * any spelling: imdb, IMDB, rottentomatoes, ROTTEN_TOMATOES), the movie with its c-rating and
 * per-provider ratings as JSON (services/movie-detail.ts, the loaders and cache GraphQL uses), with
 * an ETag and Cache-Control (304 on a matching If-None-Match); 404 `{"error"}` for an unknown
 * movie, 400 for a malformed id or an unknown provider.
 */
export function restMovieRoutes({ pool, cache, maxAgeSeconds }: RestMovieOptions): Router {
  const router = Router();
  const answer = (load: (req: Request) => Promise<MovieDetail | null>) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const movie = await load(req);
      if (!movie) {
        res.setHeader('Cache-Control', 'no-store');
        res.status(404).json({ error: 'no such movie' });
        return;
      }
      setCacheHeaders(res, req.headers, maxAgeSeconds);
      res.json(movie);
    } catch (error) {
      res.setHeader('Cache-Control', 'no-store');
      if (!sendDomainError(res, error)) next(error);
    }
  };
  router.get(
    '/movies/by/:provider/:externalId',
    answer((req) => movieDetailByExternalId(createLoaders(pool, cache), String(req.params.provider), String(req.params.externalId))),
  );
  router.get('/movies/:id', answer((req) => movieDetailById(createLoaders(pool, cache), String(req.params.id))));
  return router;
}
