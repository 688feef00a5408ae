import type { Readable } from 'node:stream';
import { DEFAULT_INPUT_LIMITS, LIMIT_VARIABLES } from './limits.js';
import { SourceError } from '../errors.js';

/** One line of a text file: its 1-based number, its text (UTF-8 decoded, without the line end) and whether a newline ended it. */
export interface Line {
  line: number;
  text: string;
  terminated: boolean;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines at the byte level, holding at most one line (bounded by
 * `maxLineBytes`: a longer line fails the read with the reason, after reading no more than the
 * bound). Each line is decoded as UTF-8 (invalid bytes become U+FFFD, for the caller to reject);
 * a UTF-8 BOM at the start and a CR before each LF are dropped. The shared splitter of the line
 * readers (./tsv.ts); input from openInput is bounded before it already (./limits.ts).
 */
export async function* readLines(stream: Readable, name: string, maxLineBytes = DEFAULT_INPUT_LIMITS.maxLineBytes): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let line = 0;
  const decode = (buffer: Buffer, end: number): string => {
    let stop = end;
    if (stop > 0 && buffer[stop - 1] === CR) stop--;
    let text = buffer.toString('utf8', 0, stop);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text;
  };
  const tooLong = () =>
    new SourceError(`${name}: line ${line + 1} is longer than ${maxLineBytes} bytes — not a line-oriented file, or a runaway field (${LIMIT_VARIABLES.maxLineBytes})`);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
        if (partBytes + at - start > maxLineBytes) throw tooLong();
        let whole: Buffer;
        if (parts.length) {
          parts.push(chunk.subarray(start, at));
          whole = Buffer.concat(parts);
          parts = [];
          partBytes = 0;
        } else {
          whole = chunk.subarray(start, at);
        }
        line++;
        yield { line, text: decode(whole, whole.length), terminated: true };
        start = at + 1;
      }
      if (start < chunk.length) {
        partBytes += chunk.length - start;
        if (partBytes > maxLineBytes) throw tooLong();
        parts.push(chunk.subarray(start));
      }
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`${name}: ${(error as Error).message}`);
  }
  if (parts.length) {
    const whole = Buffer.concat(parts);
    line++;
    yield { line, text: decode(whole, whole.length), terminated: false };
  }
}
