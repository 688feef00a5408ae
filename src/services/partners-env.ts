import { z } from 'zod';

/**
 * ANONYMOUS_ACCESS: `on` (requests without a key are served without limit), `off` (a partner key
 * is required), or `rate:N/min` (requests without a key share N per minute per client address).
 */
export type AnonymousAccess = { mode: 'on' } | { mode: 'off' } | { mode: 'rate'; perMinute: number };

const anonymousAccess = z
  .string()
  .trim()
  .regex(/^(on|off|rate:\d+\/min)$/, { error: 'must be on, off or rate:N/min (e.g. rate:60/min)' })
  .transform((value): AnonymousAccess => {
    if (value === 'on' || value === 'off') return { mode: value };
    const perMinute = Number(/^rate:(\d+)\/min$/.exec(value)![1]);
    return { mode: 'rate', perMinute };
  })
  .refine((access) => access.mode !== 'rate' || (access.perMinute >= 1 && access.perMinute <= 1_000_000), {
    error: 'the rate must be between 1 and 1000000 per minute',
  });

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** Environment variables of partner keys and webhooks, spread into ../config.ts. */
export const partnersEnvShape = {
  ANONYMOUS_ACCESS: anonymousAccess.default({ mode: 'on' }),
  /** Webhook URLs may point at loopback and private addresses (local development and tests only). */
  WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  /** How long one delivery may take before it counts as failed. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** First retry delay; each further retry waits twice as long (capped at one hour). */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  /** Attempts per delivery before it is marked FAILED. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Consecutive failed attempts after which a webhook is disabled. */
  WEBHOOK_DISABLE_AFTER: z.coerce.number().int().min(1).max(10_000).default(20),
};

/** The delivery settings the worker and `moviec webhooks test` use. */
export interface WebhookSettings {
  allowPrivate: boolean;
  /** https only (NODE_ENV=production). */
  requireHttps: boolean;
  timeoutMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  disableAfter: number;
}

export function webhookSettings(config: {
  NODE_ENV: string;
  WEBHOOK_ALLOW_PRIVATE: boolean;
  WEBHOOK_TIMEOUT_MS: number;
  WEBHOOK_RETRY_BASE_MS: number;
  WEBHOOK_MAX_ATTEMPTS: number;
  WEBHOOK_DISABLE_AFTER: number;
}): WebhookSettings {
  return {
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    requireHttps: config.NODE_ENV === 'production',
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    disableAfter: config.WEBHOOK_DISABLE_AFTER,
  };
}
