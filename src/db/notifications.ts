import type pg from 'pg';

/** PostgreSQL LISTEN/NOTIFY (src/cache/notify.ts tells other processes which movies changed through it). */

export async function notify(db: pg.Pool, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

/** `channel` must be a plain identifier (it cannot be a parameter). */
export async function listen(client: pg.PoolClient, channel: string): Promise<void> {
  await client.query(`LISTEN ${identifier(channel)}`);
}

export async function unlisten(client: pg.PoolClient, channel: string): Promise<void> {
  await client.query(`UNLISTEN ${identifier(channel)}`);
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a channel name: ${JSON.stringify(name)}`);
  return name;
}
