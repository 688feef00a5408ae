// The MovieC API (createApp: GraphQL at /graphql, REST /movies/...) for the benchmark, in processes
// of its own, with the Redis cache when REDIS_URL is given (the in-process LRU otherwise).
//   DATABASE_URL=... [REDIS_URL=...] [DATABASE_READ_URL=...] [API_PROCESSES=N] node bench/api-server.js
// With API_PROCESSES above 1, N processes (node:cluster) share one port, as N `moviec serve`
// behind a load balancer would. Prints {"port": N} once every process is listening.
import cluster from 'node:cluster';
import net from 'node:net';
import { openCache } from '../dist/cache/index.js';
import { loadConfig } from '../dist/config.js';
import { createPool } from '../dist/db/pool.js';
import { createApp } from '../dist/server/app.js';
import { admissionLimits } from '../dist/server/start.js';

const processes = Math.max(1, Number(process.env.API_PROCESSES ?? 1));

if (processes > 1 && cluster.isPrimary) {
  const port = Number(process.env.PORT) || (await freePort());
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork({ ...process.env, PORT: String(port) });
    worker.on('message', (message) => {
      if (message?.listening && ++listening === processes) process.stdout.write(`${JSON.stringify({ port, cache: message.cache, processes })}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    let left = processes;
    cluster.on('exit', () => --left === 0 && process.exit(0));
  });
} else {
  const pool = createPool(process.env.DATABASE_URL, 20);
  const readPool = process.env.DATABASE_READ_URL ? createPool(process.env.DATABASE_READ_URL, 20) : undefined;
  // As `moviec serve` opens it: following other processes' changes.
  const cache = await openCache({ redisUrl: process.env.REDIS_URL || undefined, ttlSeconds: 300, pool, listen: true });
  // Load shedding as `moviec serve` has it, from the same variables (MAX_CONCURRENT_REQUESTS, ...).
  const admission = admissionLimits(loadConfig());
  const app = await createApp({ pool, ...(readPool ? { readPool } : {}), cache, playground: false, website: false, introspection: false, admission });
  const running = await app.start(Number(process.env.PORT ?? 0), '127.0.0.1');
  if (cluster.isWorker) process.send?.({ listening: true, cache: cache.kind });
  else process.stdout.write(`${JSON.stringify({ port: running.port, cache: cache.kind, processes: 1 })}\n`);
  const stop = async () => {
    await running.close();
    await cache.close?.();
    await pool.end();
    await readPool?.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
