import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (one object a line), at the configured level. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'moviec' } });
}
