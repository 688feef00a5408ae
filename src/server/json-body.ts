import express, { type RequestHandler } from 'express';

/**
 * The JSON body of a GraphQL request, as `express.json({ limit })` reads it, with a shorter way for
 * what API clients send: a POST with `Content-Type: application/json` (charset utf-8 or none), a
 * Content-Length within the limit and no Content-Encoding. Its bytes are read and parsed here,
 * with body-parser's rules (a byte-order mark dropped, an empty body read as `{}`, strict: only an
 * object or an array) and its errors (the same `status` and `type`, which the error handler
 * answers by: 400 "malformed JSON body"); everything else (another type or charset, compressed,
 * chunked, over the limit) goes to express.json itself. body-parser's content-type matching,
 * charset lookup and stream plumbing were ~5 % of the API's CPU on a computed answer
 * (docs/BENCHMARKS.md, issue 19).
 */
export function jsonBody(limit: string): RequestHandler {
  const general = express.json({ limit });
  const maxBytes = byteCount(limit);
  return (req, res, next) => {
    const { headers } = req;
    const type = headers['content-type'];
    const declared = headers['content-length'];
    if (
      req.method !== 'POST' ||
      maxBytes === null ||
      declared === undefined ||
      headers['content-encoding'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      type === undefined ||
      !PLAIN_JSON.has(type.toLowerCase()) ||
      req.readableEnded
    ) {
      void general(req, res, next);
      return;
    }
    const length = Number(declared);
    if (!Number.isInteger(length) || length <= 0 || length > maxBytes) {
      void general(req, res, next);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      if (received !== length) {
        next(bodyError(400, 'request size did not match content length', 'request.size.invalid'));
        return;
      }
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
      // As iconv-lite's decoding in body-parser: a byte-order mark is not part of the text.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try {
        (req as { body?: unknown }).body = parseStrict(text);
      } catch (error) {
        next(bodyError(400, error instanceof Error ? error.message : 'malformed JSON', 'entity.parse.failed'));
        return;
      }
      next();
    };
    const onError = () => {
      done();
      next(bodyError(400, 'request aborted', 'request.aborted'));
    };
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  };
}

/** Space, tab, line feed, carriage return: what may come before a JSON text. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** body-parser's strict JSON: an empty body is `{}`; else only an object or an array. */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  let i = 0;
  while (i < text.length && JSON_WHITESPACE.has(text.charCodeAt(i))) i++;
  const first = text[i];
  if (first !== '{' && first !== '[') throw new SyntaxError(`Unexpected token ${first ? JSON.stringify(first) : 'end of input'}: only an object or an array`);
  return JSON.parse(text) as unknown;
}

/** An error as body-parser gives it (http-errors' fields that the error handler reads). */
function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

/** The bytes a limit in express's syntax (`100kb`, `1mb`, `512`) stands for; null when not understood here. */
export function byteCount(limit: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!match) return null;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  return Math.floor(Number(match[1]) * unit);
}
