import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_INPUT_LIMITS, LIMIT_VARIABLES } from './limits.js';
import { SourceError } from '../errors.js';

/** One line of a text file: its 1-based number, its text (UTF-8 decoded, without the line end) and whether a newline ended it. */
export interface Line {
  line: number;
  text: string;
  terminated: boolean;
}

/**
 * The lines of one decoded chunk, by position: line `firstLine + i` is `text.slice(starts[i],
 * ends[i])` (line end and a CR before it excluded). Only the file's last line can lack its
 * newline (`lastTerminated` false, in the last batch). Readers decide about a line from its
 * position in `text` without slicing it.
 */
export interface LineBatch {
  text: string;
  starts: number[];
  ends: number[];
  firstLine: number;
  lastTerminated: boolean;
}

const CR = 13;

/**
 * Most bytes decoded into one string. A chunk (256 KB from gunzip, ./input.ts) decoded whole is a
 * string beyond V8's largest regular object (128 KB): it lands in the large-object space, which
 * only a full collection frees, so a multi-gigabyte file grew the old generation (and the
 * process's peak RSS) with its size. Strings of 64 KB die young, in scavenges.
 */
const DECODE_SLICE = 64 * 1024;

/**
 * Splits a byte stream into lines, one batch per chunk (no async step per line), holding at most
 * one partial line, bounded by `maxLineBytes` (counted in characters, never more than the bytes:
 * a longer line fails the read with the reason). The text is decoded as UTF-8 (invalid bytes
 * become U+FFFD, for the caller to reject); a UTF-8 BOM at the start and a CR before each LF are
 * dropped. The shared splitter of the line readers (./tsv.ts); input from openInput is bounded at
 * the byte level before it already (./limits.ts).
 */
export async function* readLineBatches(stream: Readable, name: string, maxLineBytes = DEFAULT_INPUT_LIMITS.maxLineBytes): AsyncGenerator<LineBatch> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  let first = true;
  const tooLong = () =>
    new SourceError(`${name}: line ${line + 1} is longer than ${maxLineBytes} bytes — not a line-oriented file, or a runaway field (${LIMIT_VARIABLES.maxLineBytes})`);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      for (let at = 0; at < chunk.length; at += DECODE_SLICE) {
        let piece = typeof chunk === 'string' ? chunk.slice(at, at + DECODE_SLICE) : decoder.write(chunk.subarray(at, at + DECODE_SLICE));
        if (first && piece.length) {
          first = false;
          if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
        }
        // `rest` holds no newline: only the new piece is searched, and a long line is joined once,
        // when its end arrives (searching rest + piece every time was quadratic in the line's length:
        // an endless 16 MiB line took 18 s of CPU to be refused).
        const firstNewline = piece.indexOf('\n');
        if (firstNewline < 0) {
          rest += piece;
          if (rest.length > maxLineBytes) throw tooLong();
          continue;
        }
        const text = rest + piece;
        const starts: number[] = [];
        const ends: number[] = [];
        let pos = 0;
        for (let newline = rest.length + firstNewline; newline >= 0; newline = text.indexOf('\n', pos)) {
          if (newline - pos > maxLineBytes) throw tooLong();
          starts.push(pos);
          ends.push(newline > pos && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline);
          pos = newline + 1;
        }
        rest = pos < text.length ? text.slice(pos) : '';
        if (rest.length > maxLineBytes) throw tooLong();
        if (starts.length) {
          yield { text, starts, ends, firstLine: line + 1, lastTerminated: true };
          line += starts.length;
        }
      }
    }
    rest += decoder.end();
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`${name}: ${(error as Error).message}`);
  }
  if (rest.length) {
    if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
    const end = rest.charCodeAt(rest.length - 1) === CR ? rest.length - 1 : rest.length;
    yield { text: rest, starts: [0], ends: [end], firstLine: line + 1, lastTerminated: false };
  }
}

/** The same lines one at a time (readers of small files). */
export async function* readLines(stream: Readable, name: string, maxLineBytes = DEFAULT_INPUT_LIMITS.maxLineBytes): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(stream, name, maxLineBytes)) {
    const last = batch.starts.length - 1;
    for (let i = 0; i <= last; i++) {
      yield { line: batch.firstLine + i, text: batch.text.slice(batch.starts[i], batch.ends[i]), terminated: i < last || batch.lastTerminated };
    }
  }
}
