import type { RequestHandler, Response } from 'express';

/** How many requests are worked on at once, and how many may wait for a turn, and for how long. */
export interface AdmissionLimits {
  /** Requests handled at the same time; more wait in the queue. */
  maxInFlight: number;
  /** Requests waiting for a turn; beyond it, 503 at once. */
  maxQueue: number;
  /** Longest wait for a turn; past it, 503. */
  maxWaitMs: number;
  /** Retry-After of the 503 answers, in seconds. */
  retryAfterSeconds: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 32, maxQueue: 256, maxWaitMs: 500, retryAfterSeconds: 1 };

export interface Admission {
  middleware: RequestHandler;
  /** In flight and waiting right now (metrics, tests). */
  stats(): { inFlight: number; queued: number; shed: number };
}

interface Waiting {
  admit(): void;
  timer: NodeJS.Timeout;
}

/**
 * Load shedding in front of the request handlers: at most maxInFlight requests are worked on, up to
 * maxQueue more wait (first come, first served) for at most maxWaitMs, and anything beyond is
 * answered at once `503 {"error": …}` with `Retry-After` — an overloaded API says so quickly instead
 * of letting every client time out. A client that leaves while waiting frees its place. One counter
 * and one array: no cost per field, nothing per request beyond two listeners.
 */
export function admissionControl(limits: AdmissionLimits = DEFAULT_ADMISSION): Admission {
  let inFlight = 0;
  let shed = 0;
  const queue: Waiting[] = [];

  const refuse = (res: Response) => {
    shed += 1;
    if (res.headersSent || res.destroyed) return;
    res.setHeader('Retry-After', String(limits.retryAfterSeconds));
    res.status(503).json({ error: 'the API is overloaded; retry after the Retry-After seconds' });
  };

  const next = () => {
    const waiting = queue.shift();
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.admit();
    }
  };

  const middleware: RequestHandler = (_req, res, proceed) => {
    const start = () => {
      inFlight += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        inFlight -= 1;
        next();
      };
      res.once('finish', release);
      res.once('close', release);
      proceed();
    };
    if (inFlight < limits.maxInFlight) return start();
    if (queue.length >= limits.maxQueue) return refuse(res);
    const waiting: Waiting = {
      admit: () => {
        res.off('close', gone);
        if (res.destroyed) return next();
        start();
      },
      timer: setTimeout(() => {
        remove();
        refuse(res);
      }, limits.maxWaitMs),
    };
    const remove = () => {
      const index = queue.indexOf(waiting);
      if (index >= 0) queue.splice(index, 1);
      res.off('close', gone);
    };
    const gone = () => {
      clearTimeout(waiting.timer);
      remove();
    };
    res.once('close', gone);
    queue.push(waiting);
  };

  return { middleware, stats: () => ({ inFlight, queued: queue.length, shed }) };
}
