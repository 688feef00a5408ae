import type { RequestHandler } from 'express';
import type pg from 'pg';
import { jobCountsByState } from '../db/jobs.js';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MovieCache } from '../cache/movie-cache.js';
import type { Logger } from '../logger.js';
import { deliveryCounts } from '../db/webhooks.js';

export interface AppMetrics {
  registry: Registry;
  /** Times every request, labelled by route (a fixed set, so labels stay few) and status. */
  timeRequests: RequestHandler;
  /** GET /metrics in the Prometheus text format. */
  scrape: RequestHandler;
}

// First match wins: /movies/search before /movies (which stands for /movies/:id).
const ROUTES = ['/graphql', '/movies/search', '/movies/suggest', '/movies/by', '/movies', '/healthz', '/readyz', '/metrics', '/playground'];

/** Prometheus metrics of one API process: HTTP, cache, and the job queue read at scrape time. */
export function createMetrics(pool: pg.Pool, cache: MovieCache, logger?: Logger): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'moviec_' });
  for (const metric of cache.metrics.all) registry.registerMetric(metric);

  const durations = new Histogram({
    name: 'moviec_http_request_duration_seconds',
    help: 'HTTP request durations, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'moviec_jobs',
    help: 'Jobs in the worker queue (graphile_worker.jobs) by task and state: queued, running, or failed (out of attempts or last attempt failed).',
    labelNames: ['task', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const row of await jobCountsByState(pool)) this.set({ task: row.task, state: row.state }, row.n);
      } catch (error) {
        logger?.warn({ err: error }, 'metrics: could not count jobs');
      }
    },
  });

  new Gauge({
    name: 'moviec_webhook_deliveries',
    help: 'Webhook deliveries by webhook id and status (PENDING, DELIVERED, FAILED), from the delivery log.',
    labelNames: ['webhook', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const row of await deliveryCounts(pool)) this.set({ webhook: row.webhookId, status: row.status }, row.n);
      } catch (error) {
        logger?.warn({ err: error }, 'metrics: could not count webhook deliveries');
      }
    },
  });

  return {
    registry,
    timeRequests(req, res, next) {
      const end = durations.startTimer({ method: req.method });
      res.once('finish', () => end({ route: routeOf(req.originalUrl), status: String(res.statusCode) }));
      next();
    },
    async scrape(_req, res) {
      res.type(registry.contentType).send(await registry.metrics());
    },
  };
}

function routeOf(url: string): string {
  const path = url.split('?')[0]!;
  return ROUTES.find((route) => path === route || path.startsWith(`${route}/`)) ?? 'other';
}

