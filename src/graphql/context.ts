import type pg from 'pg';
import type { PrismaClient } from '../db/prisma.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives. */
export interface GraphQLContext {
  pool: pg.Pool;
  prisma: PrismaClient;
  loaders: Loaders;
}

export interface GraphQLDependencies {
  pool: pg.Pool;
  prisma: PrismaClient;
}

/** A fresh context per request: loaders must not share their caches between requests. */
export function createGraphQLContext({ pool, prisma }: GraphQLDependencies): GraphQLContext {
  return { pool, prisma, loaders: createLoaders(pool) };
}
