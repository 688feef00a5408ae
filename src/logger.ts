import pretty from 'pino-pretty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACT_PATHS, REDACTED, redactLogLine } from './logging/secrets.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** Default: pretty when stdout is a terminal and JSON otherwise (entry points pass defaultFormat(config)). */
  format?: LogFormat;
  /** Where log lines go; stdout by default. */
  destination?: DestinationStream & NodeJS.WritableStream;
}

/**
 * JSON logs on stdout (one object a line), at the configured level; coloured lines for people on
 * a terminal. Credentials are redacted by key and URL passwords masked wherever they appear. The
 * level and format come from the configuration, which entry points read (src/config.ts).
 */
export function createLogger(level = 'info', options: LoggerOptions = {}): Logger {
  const format = options.format ?? defaultFormat({});
  const settings = {
    level,
    base: { service: 'moviec' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError },
    hooks: { streamWrite: redactLogLine },
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

/**
 * pino's error serializer, without what a client library attaches that may hold a secret: an
 * ioredis error's `command.args` (AUTH's password) and a got error's request options (headers).
 */
function serializeError(error: unknown): unknown {
  const out = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  const command = out.command as { name?: unknown; args?: unknown } | undefined;
  if (command && typeof command === 'object' && 'args' in command) out.command = { ...command, args: REDACTED };
  delete out.options;
  return out;
}

/** LOG_FORMAT, else LOG_PRETTY (1/true: pretty, 0/false: JSON), else pretty on a terminal only. */
export function defaultFormat(
  env: { LOG_FORMAT?: string | undefined; LOG_PRETTY?: string | undefined },
  terminal = Boolean(process.stdout.isTTY),
): LogFormat {
  const configured = env.LOG_FORMAT;
  if (configured === 'json' || configured === 'pretty') return configured;
  const pretty = env.LOG_PRETTY?.toLowerCase();
  if (pretty === '1' || pretty === 'true') return 'pretty';
  if (pretty === '0' || pretty === 'false') return 'json';
  return terminal ? 'pretty' : 'json';
}
