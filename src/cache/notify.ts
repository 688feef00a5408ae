import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { listen, notify, unlisten } from '../db/notifications.js';
import type { Logger } from '../logger.js';

/**
 * Movie changes told through PostgreSQL LISTEN/NOTIFY, for processes that keep an in-process
 * cache (no REDIS_URL): e.g. `moviec import` aggregating while `npm start` serves the API.
 */
const CHANNEL = 'moviec_movies_changed';
// A NOTIFY payload holds under 8000 bytes: 150 uuids and the sender's id fit.
const IDS_PER_MESSAGE = 150;
const RECONNECT_MS = 1000;
/** The payload's ids when every movie may have changed. */
const ALL = '*';

/** This process, so that it can ignore its own messages. */
const SENDER = randomUUID();

/**
 * Tells listening processes which movies changed ('all': any may have). Listeners ignore messages
 * of their own process, unless `sender` names another (a hand-over that every cache must hear).
 */
export async function publishMovieChanges(pool: pg.Pool, movieIds: string[] | 'all', sender = SENDER): Promise<void> {
  if (movieIds === 'all') {
    await notify(pool, CHANNEL, `${sender} ${ALL}`);
    return;
  }
  for (let i = 0; i < movieIds.length; i += IDS_PER_MESSAGE) {
    await notify(pool, CHANNEL, `${sender} ${movieIds.slice(i, i + IDS_PER_MESSAGE).join(',')}`);
  }
}

export interface Listener {
  close(): Promise<void>;
}

/**
 * Calls onChange with the movies other processes changed. While the connection is lost messages
 * are missed, so after reconnecting it reports 'all'.
 */
export async function listenForMovieChanges(
  pool: pg.Pool,
  onChange: (movieIds: string[] | 'all') => void,
  logger?: Logger,
): Promise<Listener> {
  let client: pg.PoolClient | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (afterLoss: boolean): Promise<void> => {
    try {
      const connected = await pool.connect();
      connected.on('notification', (message) => {
        if (message.channel !== CHANNEL || !message.payload) return;
        const [sender, ids] = message.payload.split(' ');
        if (sender !== SENDER && ids) onChange(ids === ALL ? 'all' : ids.split(','));
      });
      connected.on('error', (error) => lost(connected, error));
      await listen(connected, CHANNEL);
      client = connected;
      if (afterLoss) onChange('all');
    } catch (error) {
      if (afterLoss) retry(error);
      else throw error;
    }
  };
  const lost = (lostClient: pg.PoolClient, error: Error) => {
    if (client !== lostClient) return;
    client = null;
    lostClient.release(error);
    retry(error);
  };
  const retry = (error: unknown) => {
    if (closed) return;
    logger?.warn({ err: error }, 'lost the movie change notifications; reconnecting');
    timer = setTimeout(() => void connect(true), RECONNECT_MS);
  };

  await connect(false);
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      if (!current) return;
      await unlisten(current, CHANNEL).catch(() => undefined);
      current.release();
    },
  };
}
