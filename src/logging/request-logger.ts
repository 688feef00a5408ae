import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** A caller's own request id is kept when it looks like one (so ids follow a request across services). */
const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives every HTTP request an id (X-Request-Id, taken from the request when valid; also in
 * `res.locals.requestId`), a child logger in `res.locals.log`, and one log line when the response
 * is finished: method, path, status, duration. That line is at `debug` (a website visit is dozens of
 * requests, which at `info` would scroll start-up and imports off a terminal); a 5xx at `error`, but
 * a 503 (load shed with Retry-After, or cancelled: the API working as designed) at `warn`. Headers and query strings are not logged, so
 * tokens in them cannot leak.
 */
export function requestLogger(logger: Logger | undefined): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    if (!logger) return next();
    const log = logger.child({ reqId: requestId });
    res.locals.log = log;
    const started = process.hrtime.bigint();
    // Read now: routers mounted on a path (e.g. /static) shorten req.path while they handle it.
    const { method, path } = req;
    res.once('finish', () => {
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      const fields = { method, path, status: res.statusCode, durationMs };
      if (res.statusCode === 503) log.warn(fields, 'request refused: overloaded or cancelled (503)');
      else if (res.statusCode >= 500) log.error(fields, 'request failed');
      else log.debug(fields, 'request');
    });
    next();
  };
}
