import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { sharedPool } from './request-pool.js';
import { PrismaClient } from './generated/prisma/client.js';

export type { PrismaClient };

/**
 * The generated Prisma client (prisma/schema.prisma, `npm run generate`) over a pool: the typed
 * access of the data layer's row-at-a-time statements (import runs and their errors, reference
 * data, genre names, the status report). Set-based and hot-path statements stay SQL on the pool.
 *
 * Data-layer functions take the pool at their boundary, as every caller holds one, and reach the
 * client through here: it is created the first time a statement needs it, once per pool, and
 * borrows the pool's connections (PrismaPg never ends a pool it was handed). So no caller carries
 * a client, and a process that never runs such a statement never creates one.
 */
const clients = new WeakMap<pg.Pool, PrismaClient>();

export function prismaOf(given: pg.Pool): PrismaClient {
  // A request's pool (request-pool.ts) is a view of the process's pool: one client for both, not one per request.
  const pool = sharedPool(given);
  let client = clients.get(pool);
  if (!client) {
    client = new PrismaClient({ adapter: new PrismaPg(pool) });
    clients.set(pool, client);
  }
  return client;
}
