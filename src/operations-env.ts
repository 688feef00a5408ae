import { parseCronItem } from 'graphile-worker';
import { z } from 'zod';

/**
 * Environment variables of the operations features (logs, schedules, inbox, poster mirror), spread
 * into the schema of ../config.ts so that they are validated with everything else at start.
 * Cross-variable rules (a schedule needs its provider's location, S3 needs its settings) are
 * checked where the feature starts: src/schedule/schedules.ts, src/assets/settings.ts.
 */

/** A cron expression Graphile Worker accepts (five fields, e.g. `0 3 * * *`), or `off`. */
export const schedule = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    if (value === 'off') return;
    try {
      parseCronItem({ task: 'check', match: value });
    } catch (error) {
      const reason = (error as Error).message.replace(/ in parseCronItem call/, '');
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a cron expression (minute hour day month weekday, or "off"): ${reason}` });
    }
  });

export const location = z.string().trim().min(1);

export const operationsEnvShape = {
  /** json: one JSON object a line; pretty: coloured lines for people. Default: pretty on a terminal. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** The same as a switch: 1/true pretty, 0/false JSON (LOG_FORMAT wins when both are set). */
  LOG_PRETTY: z.enum(['1', '0', 'true', 'false']).optional(),

  // Each provider's settings (IMDB_BASICS_URL, …) and SCHEDULE_<PROVIDER> come from the provider
  // registry: see providerEnvShape in ../config.ts.
  SCHEDULE_POSTERS: schedule.optional(),

  INBOX_DIR: location.optional(),
  INBOX_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(2000),
  INBOX_SETTLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),

  POSTER_MIRROR: z.enum(['off', 'local', 's3']).default('off'),
  POSTER_DIR: location.optional(),
  POSTER_MAX_BYTES: z.coerce.number().int().min(1024).max(100_000_000).default(5_000_000),
  POSTER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  S3_PREFIX: z.string().regex(/^[A-Za-z0-9!_.*'()/-]*$/, 'letters, digits and !_.*\'()/- only').default('posters/'),
};
