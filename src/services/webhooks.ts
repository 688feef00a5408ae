import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import got from 'got';
import type pg from 'pg';
import * as db from '../db/webhooks.js';
import type { DeliveryRow, WebhookRow } from '../db/webhooks.js';
import type { Logger } from '../logger.js';
import { invalidInput, notFoundError } from './partner-errors.js';
import type { WebhookSettings } from './partners-env.js';
import { SIGNATURE_HEADER, sign } from './webhook-signature.js';
import { isPrivateAddress, publicOnlyLookup, validateWebhookUrl } from './webhook-url.js';

/**
 * Webhooks: partners registered by an admin are told when movies change. Aggregation records the
 * deliveries and queues their jobs in its own transaction (moviec_movie_events); the worker's
 * `webhook-deliver` task sends them (deliverPending), one movie's events to one webhook in order,
 * at least once, retried with exponential backoff; a webhook failing too often is disabled with
 * the reason kept.
 */

export const WEBHOOK_EVENTS = ['movie.score_changed', 'movie.match_changed', 'movie.created'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookFilter {
  /** Smallest |score change| delivered for movie.score_changed. */
  minDelta?: number | null;
  /** Only movies with one of these genres (canonical names). */
  genres?: string[] | null;
}

export interface WebhookDependencies {
  pool: pg.Pool;
  settings: WebhookSettings;
  logger?: Logger;
}

const MAX_GENRES = 50;
const MAX_ERROR_LENGTH = 500;
const MAX_RETRY_DELAY_MS = 3_600_000;
const USER_AGENT = 'MovieC-Webhooks/1';

export async function createWebhook(
  { pool, settings }: WebhookDependencies,
  input: { url: string; events: WebhookEventName[]; filter?: WebhookFilter | null },
): Promise<WebhookRow> {
  const url = await validateWebhookUrl(input.url, settings);
  const events = [...new Set(input.events)];
  if (events.length === 0) throw invalidInput('Name at least one event', 'events');
  const minDelta = input.filter?.minDelta ?? null;
  if (minDelta !== null && (!Number.isFinite(minDelta) || minDelta < 0 || minDelta > 100)) {
    throw invalidInput('filter.minDelta must be between 0 and 100 (score points)', 'filter');
  }
  const genres = [...new Set((input.filter?.genres ?? []).map((g) => g.trim()).filter(Boolean))];
  if (genres.length > MAX_GENRES || genres.some((g) => g.length > 100)) throw invalidInput(`filter.genres: at most ${MAX_GENRES} names`, 'filter');
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  return db.insertWebhook(pool, { url: url.toString(), events, minDelta, genres, secret });
}

export const listWebhooks = ({ pool }: Pick<WebhookDependencies, 'pool'>) => db.listWebhooks(pool);

export async function requireWebhook(pool: pg.Pool, id: string): Promise<WebhookRow> {
  const webhook = /^\d{1,18}$/.test(id) ? await db.findWebhook(pool, id) : null;
  if (!webhook) throw notFoundError(`No webhook with id ${id}`);
  return webhook;
}

export async function deleteWebhook({ pool }: Pick<WebhookDependencies, 'pool'>, id: string): Promise<boolean> {
  return /^\d{1,18}$/.test(id) && (await db.deleteWebhook(pool, id));
}

/** Enables a (disabled) webhook again and sends what is still pending for it. */
export async function enableWebhook({ pool }: Pick<WebhookDependencies, 'pool'>, id: string): Promise<WebhookRow> {
  await requireWebhook(pool, id);
  await db.enableWebhook(pool, id);
  return requireWebhook(pool, id);
}

export async function webhookDeliveries({ pool }: Pick<WebhookDependencies, 'pool'>, webhookId: string, first: number): Promise<DeliveryRow[]> {
  if (!Number.isInteger(first) || first < 1 || first > 500) throw invalidInput('first must be between 1 and 500', 'first');
  await requireWebhook(pool, webhookId);
  return db.listDeliveries(pool, webhookId, first);
}

/** Sends a delivery again, as a new delivery of the same event (same MovieC-Event-Id and body). */
export async function replayDelivery({ pool }: Pick<WebhookDependencies, 'pool'>, deliveryId: string): Promise<DeliveryRow> {
  const replay = /^\d{1,18}$/.test(deliveryId) ? await db.insertReplay(pool, deliveryId) : null;
  if (!replay) throw notFoundError(`No webhook delivery with id ${deliveryId}`);
  return replay;
}

/** `moviec webhooks test`: sends a signed webhook.test event now and records it in the log. */
export async function testWebhook(deps: WebhookDependencies, id: string): Promise<DeliveryRow> {
  const webhook = await requireWebhook(deps.pool, id);
  const eventId = randomUUID();
  const payload = { id: eventId, type: 'webhook.test', createdAt: new Date().toISOString(), data: { webhookId: webhook.id } };
  const outcome = await send(deps.settings, webhook, { id: 'test', eventId, event: 'webhook.test', payload });
  return db.insertSentDelivery(deps.pool, {
    webhookId: webhook.id,
    eventId,
    event: 'webhook.test',
    payload,
    ok: outcome.ok,
    statusCode: outcome.statusCode,
    error: outcome.error,
  });
}

interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** One signed POST. Any 2xx is success; anything else (status, timeout, refused address) a failure. */
async function send(
  settings: WebhookSettings,
  webhook: WebhookRow,
  delivery: Pick<DeliveryRow, 'id' | 'eventId' | 'event' | 'payload'>,
): Promise<SendOutcome> {
  const body = JSON.stringify(delivery.payload);
  const host = new URL(webhook.url).hostname.replace(/^\[|\]$/g, '');
  if (!settings.allowPrivate && isIP(host) && isPrivateAddress(host)) {
    return { ok: false, statusCode: null, error: `${host} is a loopback or private address` };
  }
  try {
    const response = await got.post(webhook.url, {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        [SIGNATURE_HEADER]: sign(webhook.secret, body, Math.floor(Date.now() / 1000)),
        'MovieC-Event-Id': delivery.eventId,
        'MovieC-Event': delivery.event,
        'MovieC-Delivery': delivery.id,
      },
      timeout: { request: settings.timeoutMs },
      retry: { limit: 0 },
      followRedirect: false,
      throwHttpErrors: false,
      ...(settings.allowPrivate ? {} : { dnsLookup: publicOnlyLookup }),
    });
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, statusCode: response.statusCode, error: null };
    return { ok: false, statusCode: response.statusCode, error: `HTTP ${response.statusCode}` };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = code === 'ETIMEDOUT' ? `timed out after ${settings.timeoutMs} ms` : `${code ?? 'error'}: ${(error as Error).message}`;
    return { ok: false, statusCode: null, error: message.slice(0, MAX_ERROR_LENGTH) };
  }
}

/** Retry n (1-based) waits base * 2^(n-1), at most an hour. */
export function retryDelayMs(settings: Pick<WebhookSettings, 'retryBaseMs'>, attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, settings.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryObserver {
  /** After each attempt: for metrics. */
  onAttempt?: (webhookId: string, outcome: 'delivered' | 'failed') => void;
}

/**
 * The `webhook-deliver` job: sends one movie's pending deliveries to one webhook, oldest first.
 * The first failure stops the run (later events wait, so the partner sees them in order) and
 * queues the same job again after the backoff; a delivery out of attempts is marked FAILED and
 * the next one goes on. Returns how many were delivered.
 */
export async function deliverPending(
  deps: WebhookDependencies & DeliveryObserver,
  webhookId: string,
  movieId: string | null,
): Promise<number> {
  const { pool, settings, logger } = deps;
  let delivered = 0;
  for (;;) {
    const webhook = await db.findWebhook(pool, webhookId);
    if (!webhook?.enabled) return delivered; // enableWebhook queues what is still pending
    const delivery = await db.nextPendingDelivery(pool, webhookId, movieId);
    if (!delivery) return delivered;
    const outcome = await send(settings, webhook, delivery);
    if (outcome.ok) {
      await db.markDelivered(pool, delivery.id, webhookId, outcome.statusCode!);
      deps.onAttempt?.(webhookId, 'delivered');
      delivered++;
      continue;
    }
    deps.onAttempt?.(webhookId, 'failed');
    const failure = await db.markFailed(pool, delivery.id, webhookId, {
      error: outcome.error ?? 'failed',
      statusCode: outcome.statusCode,
      maxAttempts: settings.maxAttempts,
      disableAfter: settings.disableAfter,
    });
    logger?.info({ webhookId, deliveryId: delivery.id, attempts: failure.attempts, error: outcome.error }, 'webhook delivery failed');
    if (failure.disabled) {
      logger?.warn({ webhookId, error: outcome.error }, 'webhook disabled after repeated failures');
      return delivered;
    }
    if (failure.gaveUp) continue;
    await db.scheduleDelivery(pool, webhookId, movieId, retryDelayMs(settings, failure.attempts));
    return delivered;
  }
}

export { type DeliveryRow, type WebhookRow } from '../db/webhooks.js';
