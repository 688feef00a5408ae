import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * One route answered without Express's router: `POST /graphql`, what partners' clients send most.
 * The same handlers run in the same order as the router would run them (request id and log line,
 * metrics timer, CORS, load shedding, partner access, the JSON body, the whole-response cache,
 * Apollo; then the 404 and error handlers), with Express's request and response methods (the
 * prototypes app.handle gives every request), but without the router's work at each of its layers
 * (path matching, URL rewriting for mounted routers and restoring it, parameter handling), about a
 * tenth of the API's CPU on a cache hit (docs/BENCHMARKS.md, issue 19). The request looks as it
 * does inside `app.use(mountPath, …)`: `baseUrl` is the mount path, `originalUrl` the URL.
 */
export function directRoute(
  app: Express,
  mountPath: string,
  handlers: readonly RequestHandler[],
  notFound: RequestHandler,
  onError: ErrorRequestHandler,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (incoming, outgoing) => {
    const req = incoming as Request;
    const res = outgoing as Response;
    // As app.handle does before its router runs.
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals = Object.create(null) as Record<string, unknown>;
    req.originalUrl = req.url;
    req.baseUrl = mountPath;
    let index = 0;
    let failed = false;
    const fail = (error: unknown) => {
      // An error handler that throws, or a second error: answer 500 if nothing was sent (Express's finalhandler).
      if (failed) {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
        return;
      }
      failed = true;
      run(() => onError(error, req, res, fail));
    };
    const next: NextFunction = (error?: unknown) => {
      // 'route' and 'router' only skip a router's remaining handlers: none here are routes.
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
        fail(error);
        return;
      }
      const handler = handlers[index++];
      run(() => (handler ?? notFound)(req, res, handler ? next : fail));
    };
    /** Calls a handler, sending what it throws or rejects with (Express 5 awaits handlers' promises too) to the error handler. */
    const run = (call: () => unknown) => {
      try {
        const result = call();
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => fail(error ?? new Error('Rejected promise')));
        }
      } catch (error) {
        fail(error);
      }
    };
    next();
  };
}
