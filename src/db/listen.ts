import type pg from 'pg';
import type { Logger } from '../logger.js';

/**
 * PostgreSQL LISTEN/NOTIFY, the one home of its SQL: `notify` sends, `listenToChannels` keeps one
 * connection LISTENing on some channels, reconnecting after a loss (messages sent meanwhile are
 * missed; onReconnect lets the caller make up for it).
 */
export interface ChannelListener {
  close(): Promise<void>;
}

const RECONNECT_MS = 1000;

export async function notify(db: pg.Pool | pg.PoolClient, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

export async function listenToChannels(
  pool: pg.Pool,
  channels: string[],
  onMessage: (channel: string, payload: string) => void,
  options: { logger?: Logger; onReconnect?: () => void; lostMessage?: string } = {},
): Promise<ChannelListener> {
  let client: pg.PoolClient | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (afterLoss: boolean): Promise<void> => {
    try {
      const connected = await pool.connect();
      connected.on('notification', (message) => {
        if (channels.includes(message.channel)) onMessage(message.channel, message.payload ?? '');
      });
      connected.on('error', (error) => lost(connected, error));
      for (const channel of channels) await connected.query(`LISTEN ${connected.escapeIdentifier(channel)}`);
      if (closed) {
        connected.release();
        return;
      }
      client = connected;
      if (afterLoss) options.onReconnect?.();
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
    options.logger?.warn({ err: error, channels }, options.lostMessage ?? 'lost a LISTEN connection; reconnecting');
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
      await current.query('UNLISTEN *').catch(() => undefined);
      current.release();
    },
  };
}
