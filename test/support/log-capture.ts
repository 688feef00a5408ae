import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

/** A JSON logger whose lines a test can read back. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: () => { level: number; msg: string; [key: string]: unknown }[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger(level, { format: 'json', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string }),
  };
}
