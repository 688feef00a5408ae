import type pg from 'pg';
import type { MovieCache } from '../cache/movie-cache.js';
import type { PrismaClient } from '../db/prisma.js';
import type { AdminAccess } from './auth.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives. */
export interface GraphQLContext {
  pool: pg.Pool;
  prisma: PrismaClient;
  cache: MovieCache;
  loaders: Loaders;
  admin: AdminAccess;
}

export interface GraphQLDependencies {
  pool: pg.Pool;
  prisma: PrismaClient;
  cache: MovieCache;
  admin: AdminAccess;
}

/** A fresh context per request: loaders must not share their memo between requests. */
export function createGraphQLContext({ pool, prisma, cache, admin }: GraphQLDependencies): GraphQLContext {
  return { pool, prisma, cache, admin, loaders: createLoaders(pool, cache) };
}
