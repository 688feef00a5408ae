import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startInbox, type Inbox } from './watcher.js';

/** The inbox of INBOX_DIR, in the worker process (`moviec worker`, `npm start`); null when unset. */
export async function startConfiguredInbox({ pool, logger, config }: { pool: pg.Pool; logger: Logger; config: Config }): Promise<Inbox | null> {
  if (!config.INBOX_DIR) return null;
  return startInbox({ dir: config.INBOX_DIR, pool, logger, pollMs: config.INBOX_POLL_MS, settleMs: config.INBOX_SETTLE_MS });
}
