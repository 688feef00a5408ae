import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { defineTask, JOB } from '../jobs.js';
import type { Logger } from '../logger.js';
import type { WebhookSettings } from '../services/partners-env.js';
import { deliverPending, type DeliveryObserver } from '../services/webhooks.js';

/** `webhook-deliver`: one movie's pending deliveries to one webhook (services/webhooks.ts). */
export function webhookDeliverTask(
  pool: pg.Pool,
  logger: Logger,
  settings: () => WebhookSettings,
  observer: DeliveryObserver = {},
): Task {
  return defineTask(JOB.webhookDeliver, async ({ webhookId, movieId }, helpers) => {
    const delivered = await deliverPending({ pool, logger, settings: settings(), ...observer }, webhookId, movieId ?? null);
    logger.debug({ jobId: helpers.job.id, webhookId, movieId, delivered }, 'webhook deliveries sent');
  });
}
