import type { Runtime } from '../runtime.js';
import { createApp, type RunningServer } from './app.js';

/** The API of `npm start` and `moviec serve`, on the configured PORT and HOST. */
export async function startApi(runtime: Runtime): Promise<RunningServer> {
  const { start } = await createApp({
    pool: runtime.pool,
    prisma: runtime.prisma,
    logger: runtime.logger,
    debug: runtime.config.NODE_ENV === 'development',
  });
  const server = await start(runtime.config.PORT, runtime.config.HOST);
  runtime.logger.info({ url: server.url }, 'API listening');
  return server;
}
