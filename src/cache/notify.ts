import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { listenToChannels, notify, type ChannelListener } from '../db/listen.js';
import type { Logger } from '../logger.js';

/**
 * Movie changes told through PostgreSQL LISTEN/NOTIFY (src/db/listen.ts), for processes that keep
 * an in-process cache (no REDIS_URL): e.g. `moviec import` aggregating while `npm start` serves
 * the API.
 */
const CHANNEL = 'moviec_movies_changed';
// A NOTIFY payload holds under 8000 bytes: 150 uuids and the sender's id fit.
const IDS_PER_MESSAGE = 150;
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

export type Listener = ChannelListener;

/**
 * Calls onChange with the movies other processes changed. While the connection is lost messages
 * are missed, so after reconnecting it reports 'all'.
 */
export async function listenForMovieChanges(
  pool: pg.Pool,
  onChange: (movieIds: string[] | 'all') => void,
  logger?: Logger,
): Promise<Listener> {
  return listenToChannels(
    pool,
    [CHANNEL],
    (_channel, payload) => {
      const [sender, ids] = payload.split(' ');
      if (sender !== SENDER && ids) onChange(ids === ALL ? 'all' : ids.split(','));
    },
    { logger, onReconnect: () => onChange('all'), lostMessage: 'lost the movie change notifications; reconnecting' },
  );
}
