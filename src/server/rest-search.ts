import { Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import type { MovieCache } from '../cache/movie-cache.js';
import { createLoaders } from '../services/movie-loaders.js';
import { MAX_PAGE_SIZE } from '../services/pagination.js';
import { DEFAULT_PAGE_SIZE, DEFAULT_SUGGESTIONS, MAX_QUERY_LENGTH, searchMovies, suggestMovies } from '../services/movies.js';
import { GENRE_CONFIDENCE_THRESHOLD } from '../scoring/rules.js';
import { requestPool } from '../db/request-pool.js';
import { sendDomainError } from './http-errors.js';
import { requestSignal } from './request-signal.js';

const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === undefined || v === '' ? undefined : Number(v)), schema.optional());

/** A whole number the database's int4 columns can hold (larger ones would fail there as a 500). */
const int4 = () =>
  z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(-2_147_483_648, 'is out of range')
    .max(2_147_483_647, 'is out of range');

const NO_NUL = [(v: string) => !v.includes('\u0000'), { error: 'must not contain NUL characters' }] as const;

const searchParams = z.object({
  query: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`)
    .refine(...NO_NUL),
  genres: z
    .string()
    .refine(...NO_NUL)
    .optional()
    .transform((v) => (v ? v.split(',').map((g) => g.trim()).filter(Boolean) : undefined)),
  limit: optionalNumber(
    z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, `must be between 1 and ${MAX_PAGE_SIZE}`)
      .max(MAX_PAGE_SIZE, `must be between 1 and ${MAX_PAGE_SIZE}`),
  ),
  yearFrom: optionalNumber(int4()),
  yearTo: optionalNumber(int4()),
  minScore: optionalNumber(z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100')),
  minVotes: optionalNumber(int4().min(0, 'must not be negative')),
  after: z.string().refine(...NO_NUL).optional(),
  year: optionalNumber(z.number({ error: 'must be a number' }).int('must be a whole number').min(1800, 'must be between 1800 and 2200').max(2200, 'must be between 1800 and 2200')),
});

const suggestParams = z.object({
  prefix: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_QUERY_LENGTH, `must be at most ${MAX_QUERY_LENGTH} characters`)
    .refine(...NO_NUL),
  limit: optionalNumber(z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 20').max(20, 'must be between 1 and 20')),
});

/**
 * GET /movies/search?query=Q&genres=A,B&limit=N (also yearFrom, yearTo, minScore, minVotes, and
 * after=nextCursor for the next page): the search of GraphQL's searchMovies, as plain JSON.
 */
export function restSearchRoutes(pool: pg.Pool, cache: MovieCache): Router {
  const router = Router();
  router.get('/movies/search', async (req, res, next) => {
    const repeated = Object.entries(req.query).filter(([, v]) => typeof v !== 'string').map(([name]) => name);
    if (repeated.length) {
      res.status(400).json({ error: `Invalid search: give ${repeated.join(', ')} once, as plain text` });
      return;
    }
    const parsed = searchParams.safeParse(req.query);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'parameters'} ${issue.message}`);
      res.status(400).json({ error: `Invalid search: ${problems.join('; ')}` });
      return;
    }
    const { query, genres, limit, after, year, ...filter } = parsed.data;
    try {
      const ownPool = requestPool(pool, requestSignal(res));
      const connection = await searchMovies({ pool: ownPool, cache }, { query, genres, filter, year, first: limit ?? DEFAULT_PAGE_SIZE, after });
      const loaders = createLoaders(ownPool, cache);
      const [total, results] = await Promise.all([
        connection.count(),
        Promise.all(
          connection.edges.map(async ({ node }) => {
            const [genreRows, ratings] = await Promise.all([loaders.genres.load(node.id), loaders.ratings.load(node.id)]);
            return {
              id: node.id,
              title: node.title,
              year: node.year,
              genres: genreRows.filter((g) => g.confidence >= GENRE_CONFIDENCE_THRESHOLD).map((g) => g.name),
              score: node.scoreValue,
              ratings: ratings.map((r) => ({ provider: r.providerKey, kind: r.kind, normalized: r.normalized, votes: r.votes })),
            };
          }),
        ),
      ]);
      res.json({ total, results, nextCursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null });
    } catch (error) {
      if (!sendDomainError(res, error)) next(error);
    }
  });
  /** GET /movies/suggest?prefix=P[&limit=N]: autocomplete, `{ "results": [ { "id", "title", "year" } ] }`. */
  router.get('/movies/suggest', async (req, res, next) => {
    const repeated = Object.entries(req.query).filter(([, v]) => typeof v !== 'string').map(([name]) => name);
    if (repeated.length) {
      res.status(400).json({ error: `Invalid suggest: give ${repeated.join(', ')} once, as plain text` });
      return;
    }
    const parsed = suggestParams.safeParse(req.query);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'parameters'} ${issue.message}`);
      res.status(400).json({ error: `Invalid suggest: ${problems.join('; ')}` });
      return;
    }
    try {
      const movies = await suggestMovies({ pool: requestPool(pool, requestSignal(res)), cache }, { prefix: parsed.data.prefix, first: parsed.data.limit ?? DEFAULT_SUGGESTIONS });
      res.json({ results: movies.map((m) => ({ id: m.id, title: m.title, year: m.year })) });
    } catch (error) {
      if (!sendDomainError(res, error)) next(error);
    }
  });
  return router;
}
