// The MovieC API (createApp: GraphQL at /graphql, REST /movies/search) for the benchmark, in a
// process of its own, with the Redis cache when REDIS_URL is given (the in-process LRU otherwise).
//   DATABASE_URL=... [REDIS_URL=...] node bench/api-server.js
// Prints {"port": N} once listening.
import { openCache } from '../dist/cache/index.js';
import { createPool } from '../dist/db/pool.js';
import { createPrisma } from '../dist/db/prisma.js';
import { createApp } from '../dist/server/app.js';

const pool = createPool(process.env.DATABASE_URL, 20);
const prisma = createPrisma(pool);
const cache = await openCache({ redisUrl: process.env.REDIS_URL || undefined, ttlSeconds: 300, pool });
const app = await createApp({ pool, prisma, cache, playground: false, website: false, introspection: false });
const running = await app.start(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port: running.port, cache: cache.kind })}\n`);
const stop = async () => {
  await running.close();
  await cache.close?.();
  await prisma.$disconnect();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
