import type pg from 'pg';
import type { JobName } from '../jobs.js';

/** SQL of webhooks and their delivery log (tables webhooks, webhook_deliveries). */

type Db = pg.Pool | pg.PoolClient;

/** The task that delivers one movie's pending events to one webhook, in order. */
export const WEBHOOK_DELIVER_TASK = 'webhook-deliver' satisfies JobName;

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  minDelta: number | null;
  genres: string[];
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  createdAt: string;
}

export interface DeliveryRow {
  id: string;
  webhookId: string;
  eventId: string;
  event: string;
  movieId: string | null;
  payload: unknown;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
}

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const WEBHOOK_COLUMNS = `id::text AS id, url, events, min_delta AS "minDelta", genres, secret, enabled,
  disabled_reason AS "disabledReason", consecutive_failures AS "consecutiveFailures", ${ISO('created_at')} AS "createdAt"`;

const DELIVERY_COLUMNS = `id::text AS id, webhook_id::text AS "webhookId", event_id AS "eventId", event, movie_id AS "movieId",
  payload, status, attempts, last_error AS "lastError", last_status_code AS "lastStatusCode",
  ${ISO('created_at')} AS "createdAt", ${ISO('last_attempt_at')} AS "lastAttemptAt", ${ISO('delivered_at')} AS "deliveredAt"`;

export async function insertWebhook(
  db: Db,
  webhook: { url: string; events: string[]; minDelta: number | null; genres: string[]; secret: string },
): Promise<WebhookRow> {
  const { rows } = await db.query<WebhookRow>(
    `INSERT INTO webhooks (url, events, min_delta, genres, secret) VALUES ($1, $2, $3, $4, $5) RETURNING ${WEBHOOK_COLUMNS}`,
    [webhook.url, webhook.events, webhook.minDelta, webhook.genres, webhook.secret],
  );
  return rows[0]!;
}

export async function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return (await db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY id`)).rows;
}

export async function findWebhook(db: Db, id: string): Promise<WebhookRow | null> {
  return (await db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1::bigint`, [id])).rows[0] ?? null;
}

export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  return ((await db.query(`DELETE FROM webhooks WHERE id = $1::bigint`, [id])).rowCount ?? 0) > 0;
}

/**
 * Enables a webhook again (failure count and reason cleared) and queues delivery of whatever is
 * still pending for it, one job per movie. False when there is no such webhook.
 */
export async function enableWebhook(db: Db, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhooks SET enabled = true, disabled_reason = NULL, consecutive_failures = 0, updated_at = now() WHERE id = $1::bigint`,
    [id],
  );
  if (!rowCount) return false;
  await db.query(
    `SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
       SELECT ROW($2::text, json_build_object('webhookId', webhook_id::text, 'movieId', movie_id),
                  'webhook:' || webhook_id || ':' || coalesce(movie_id::text, '-'), NULL, NULL,
                  'webhook:' || webhook_id || ':' || coalesce(movie_id::text, '-'), NULL, NULL)::graphile_worker.job_spec
         FROM (SELECT DISTINCT webhook_id, movie_id FROM webhook_deliveries WHERE webhook_id = $1::bigint AND status = 'PENDING') pairs), true)`,
    [id, WEBHOOK_DELIVER_TASK],
  );
  return true;
}

/** The newest deliveries of a webhook first. */
export async function listDeliveries(db: Db, webhookId: string, first: number): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1::bigint ORDER BY id DESC LIMIT $2`,
    [webhookId, first],
  );
  return rows;
}

export async function findDelivery(db: Db, id: string): Promise<DeliveryRow | null> {
  return (await db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1::bigint`, [id])).rows[0] ?? null;
}

/** The oldest pending delivery of one movie (null: events not about a movie) to one webhook. */
export async function nextPendingDelivery(db: Db, webhookId: string, movieId: string | null): Promise<DeliveryRow | null> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
      WHERE webhook_id = $1::bigint AND movie_id IS NOT DISTINCT FROM $2::uuid AND status = 'PENDING'
      ORDER BY id LIMIT 1`,
    [webhookId, movieId],
  );
  return rows[0] ?? null;
}

/**
 * A copy of a delivery (same event id and body: the partner can tell it is the same event) as a
 * new PENDING delivery, and the job that sends it.
 */
export async function insertReplay(db: Db, deliveryId: string): Promise<DeliveryRow | null> {
  const { rows } = await db.query<DeliveryRow>(
    `WITH copy AS (
       INSERT INTO webhook_deliveries (webhook_id, event_id, event, movie_id, payload)
       SELECT webhook_id, event_id, event, movie_id, payload FROM webhook_deliveries WHERE id = $1::bigint
       RETURNING *
     ), job AS (
       SELECT graphile_worker.add_job($2::text, json_build_object('webhookId', webhook_id::text, 'movieId', movie_id),
                queue_name => 'webhook:' || webhook_id || ':' || coalesce(movie_id::text, '-'),
                job_key => 'webhook:' || webhook_id || ':' || coalesce(movie_id::text, '-'),
                job_key_mode => 'preserve_run_at') FROM copy
     )
     SELECT ${DELIVERY_COLUMNS} FROM copy, (SELECT count(*) FROM job) queued`,
    [deliveryId, WEBHOOK_DELIVER_TASK],
  );
  return rows[0] ?? null;
}

/** A delivery made outside the queue (`moviec webhooks test`), recorded with its outcome. */
export async function insertSentDelivery(
  db: Db,
  delivery: { webhookId: string; eventId: string; event: string; payload: unknown; ok: boolean; statusCode: number | null; error: string | null },
): Promise<DeliveryRow> {
  const { rows } = await db.query<DeliveryRow>(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, status, attempts, last_error, last_status_code, last_attempt_at, delivered_at)
     VALUES ($1::bigint, $2::uuid, $3, $4::jsonb, $5, 1, $6, $7, now(), CASE WHEN $5 = 'DELIVERED' THEN now() END)
     RETURNING ${DELIVERY_COLUMNS}`,
    [delivery.webhookId, delivery.eventId, delivery.event, JSON.stringify(delivery.payload), delivery.ok ? 'DELIVERED' : 'FAILED', delivery.error, delivery.statusCode],
  );
  return rows[0]!;
}

export async function markDelivered(db: Db, deliveryId: string, webhookId: string, statusCode: number): Promise<void> {
  await db.query(
    `WITH d AS (
       UPDATE webhook_deliveries SET status = 'DELIVERED', attempts = attempts + 1, last_status_code = $2, last_error = NULL,
              last_attempt_at = now(), delivered_at = now()
        WHERE id = $1::bigint
     )
     UPDATE webhooks SET consecutive_failures = 0 WHERE id = $3::bigint AND consecutive_failures <> 0`,
    [deliveryId, statusCode, webhookId],
  );
}

export interface FailureOutcome {
  attempts: number;
  /** The delivery is out of attempts (FAILED). */
  gaveUp: boolean;
  /** The webhook was disabled by this failure. */
  disabled: boolean;
}

/**
 * Records a failed attempt: the delivery's attempt count and error (FAILED once out of attempts),
 * and the webhook's consecutive failures (disabled, with the reason, once they reach disableAfter).
 */
export async function markFailed(
  db: Db,
  deliveryId: string,
  webhookId: string,
  failure: { error: string; statusCode: number | null; maxAttempts: number; disableAfter: number },
): Promise<FailureOutcome> {
  const { rows } = await db.query<{ attempts: number; status: string; disabled: boolean }>(
    `WITH d AS (
       UPDATE webhook_deliveries
          SET attempts = attempts + 1, last_error = $2, last_status_code = $3, last_attempt_at = now(),
              status = CASE WHEN attempts + 1 >= $4 THEN 'FAILED' ELSE 'PENDING' END
        WHERE id = $1::bigint
       RETURNING attempts, status
     ), w AS (
       UPDATE webhooks
          SET consecutive_failures = consecutive_failures + 1,
              enabled = enabled AND consecutive_failures + 1 < $6,
              disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= $6
                THEN format('disabled after %s consecutive failed deliveries; last error: %s', consecutive_failures + 1, $2)
                ELSE disabled_reason END,
              updated_at = now()
        WHERE id = $5::bigint
       RETURNING (NOT enabled AND consecutive_failures = $6) AS disabled
     )
     SELECT d.attempts, d.status, coalesce((SELECT disabled FROM w), false) AS disabled FROM d`,
    [deliveryId, failure.error, failure.statusCode, failure.maxAttempts, webhookId, failure.disableAfter],
  );
  const row = rows[0];
  return { attempts: row?.attempts ?? 0, gaveUp: row?.status === 'FAILED', disabled: row?.disabled ?? false };
}

/** Queues the delivery job of (webhook, movie) again, at runAt (a retry after backoff). */
export async function scheduleDelivery(db: Db, webhookId: string, movieId: string | null, delayMs: number): Promise<void> {
  const key = `webhook:${webhookId}:${movieId ?? '-'}`;
  await db.query(
    `SELECT graphile_worker.add_job($1::text, json_build_object('webhookId', $2::text, 'movieId', $3::uuid),
              queue_name => $4, job_key => $4, run_at => now() + make_interval(secs => $5::float8 / 1000))`,
    [WEBHOOK_DELIVER_TASK, webhookId, movieId, key, delayMs],
  );
}

/** Per webhook and status, the number of deliveries (for /metrics). */
export async function deliveryCounts(db: Db): Promise<{ webhookId: string; status: string; n: number }[]> {
  const { rows } = await db.query<{ webhookId: string; status: string; n: number }>(
    `SELECT webhook_id::text AS "webhookId", status, count(*)::int AS n FROM webhook_deliveries GROUP BY 1, 2`,
  );
  return rows;
}
