import pretty from 'pino-pretty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACT_PATHS, REDACTED, scrubUrlCredentials } from './logging/secrets.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** Default: LOG_FORMAT, else pretty when stdout is a terminal and JSON otherwise. */
  format?: LogFormat;
  /** Where log lines go; stdout by default. */
  destination?: DestinationStream & NodeJS.WritableStream;
}

/**
 * JSON logs on stdout (one object a line), at the configured level; coloured lines for people on
 * a terminal. Credentials are redacted by key and URL passwords masked wherever they appear.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const format = options.format ?? defaultFormat();
  const settings = {
    level,
    base: { service: 'moviec' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: { streamWrite: scrubUrlCredentials },
  };
  if (format === 'pretty') {
    const stream = pretty({
      colorize: options.destination ? false : pretty.isColorSupported,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      sync: true,
      ...(options.destination ? { destination: options.destination } : {}),
    });
    return pino(settings, stream);
  }
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

function defaultFormat(): LogFormat {
  const configured = process.env.LOG_FORMAT;
  if (configured === 'json' || configured === 'pretty') return configured;
  return process.stdout.isTTY ? 'pretty' : 'json';
}
