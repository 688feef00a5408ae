import type { RequestHandler, Response } from 'express';

/** How many requests are worked on at once, and how many may wait for a turn, and for how long. */
export interface AdmissionLimits {
  /** Requests handled at the same time; more wait in the queue. */
  maxInFlight: number;
  /** Requests waiting for a turn; beyond it, 503 at once. */
  maxQueue: number;
  /** Longest wait for a turn; past it, 503. */
  maxWaitMs: number;
  /**
   * Wait for a turn that a standing queue (one not empty once in STANDING_QUEUE_MS) allows: past it a
   * request is refused when its turn comes, or at once when the queue's oldest already waited longer
   * (CoDel: a burst may wait up to maxWaitMs, lasting overload answers quickly instead); 0: off.
   */
  queueTargetMs: number;
  /** Retry-After of the 503 answers, in seconds. */
  retryAfterSeconds: number;
  /**
   * Event-loop lag (ms) from which new requests are refused before any work is done on them, while
   * all maxInFlight slots are taken: at a lag L above it the share (L - max) / max of them is 503
   * (all of them from twice the limit); 0: off.
   * Off unless given: the API of `npm start` and `moviec serve` passes MAX_EVENT_LOOP_LAG_MS (100).
   */
  maxEventLoopLagMs: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxInFlight: 32, maxQueue: 256, maxWaitMs: 500, queueTargetMs: 50, retryAfterSeconds: 1, maxEventLoopLagMs: 0 };

/** A queue that has not been empty for this long is overload, not a burst (CoDel's interval). */
export const STANDING_QUEUE_MS = 100;

/** How late the event loop runs right now, in milliseconds. */
export interface LagProbe {
  lagMs(): number;
  close(): void;
}

/**
 * Event-loop lag from a timer every `intervalMs` (unref'd: it keeps no process alive): how late it
 * fired, taken at once when it grows and let go gradually (x0.7 a tick) when it falls; while an
 * iteration of the loop is still running, how late the next tick already is counts too. One timer
 * per app, nothing per request.
 */
export function eventLoopLag(intervalMs = 25): LagProbe {
  let expected = performance.now() + intervalMs;
  let smoothed = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = Math.max(0, now - expected);
    expected = now + intervalMs;
    smoothed = lag >= smoothed ? lag : smoothed * 0.7 + lag * 0.3;
  }, intervalMs);
  timer.unref();
  return {
    lagMs: () => Math.max(smoothed, performance.now() - expected),
    close: () => clearInterval(timer),
  };
}

export interface Admission {
  middleware: RequestHandler;
  /** In flight and waiting right now, and refused so far (metrics, tests). */
  stats(): { inFlight: number; queued: number; shed: number };
  /** Stops the lag probe. */
  close(): void;
}

interface Waiting {
  admit(): void;
  refuse(): void;
  timer: NodeJS.Timeout;
  /** The clock (ms) when it started waiting. */
  since: number;
}

/**
 * Load shedding in front of the request handlers: at most maxInFlight requests are worked on, up to
 * maxQueue more wait (first come, first served) for at most maxWaitMs, and anything beyond is
 * answered at once `503 {"error": …}` with `Retry-After` — an overloaded API says so quickly instead
 * of letting every client time out. A client that leaves while waiting frees its place. When the
 * queue stands (not empty once in STANDING_QUEUE_MS), whoever waited past queueTargetMs is refused
 * (CoDel), so that under lasting overload the answered requests wait little and the refused ones
 * learn it soon. One counter and one array: no cost per field, nothing per request beyond two
 * listeners.
 *
 * The queue only sees requests Node has read. When the CPU is the bottleneck, the requests that wait
 * are elsewhere: in sockets the event loop has not come back to, and in connections not yet accepted
 * (libuv accepts one connection per loop iteration, so with iterations of 100+ ms a burst of 200 new
 * connections waits seconds in the kernel's accept queue, unseen). Their wait is the loop's lag, so
 * while every slot is taken and the lag is past maxEventLoopLagMs, a growing share of new requests
 * is refused at once, which shortens the iterations again. The share is spread evenly (every n-th request), not drawn at random.
 */
export function admissionControl(
  limits: AdmissionLimits = DEFAULT_ADMISSION,
  probe?: LagProbe,
  clock: () => number = () => performance.now(),
): Admission {
  let inFlight = 0;
  let shed = 0;
  const queue: Waiting[] = [];
  const lag = limits.maxEventLoopLagMs > 0 ? (probe ?? eventLoopLag()) : undefined;
  let refusals = 0;
  /** Whether the loop's lag asks to refuse this request (error diffusion: a share s refuses s of them). */
  const tooLate = () => {
    if (!lag) return false;
    const share = Math.min(1, (lag.lagMs() - limits.maxEventLoopLagMs) / limits.maxEventLoopLagMs);
    if (share <= 0) {
      refusals = 0;
      return false;
    }
    refusals += share;
    if (refusals < 1) return false;
    refusals -= 1;
    return true;
  };

  const refuse = (res: Response) => {
    shed += 1;
    if (res.headersSent || res.destroyed) return;
    res.setHeader('Retry-After', String(limits.retryAfterSeconds));
    res.status(503).json({ error: 'the API is overloaded; retry after the Retry-After seconds' });
  };

  /** The last moment the queue was seen empty. */
  let emptyAt = clock();
  /** Whether the queue stands (overload) and `waited` ms is past the target. */
  const overdue = (now: number, waited: number) =>
    limits.queueTargetMs > 0 && now - emptyAt > STANDING_QUEUE_MS && waited > limits.queueTargetMs;

  const next = () => {
    for (;;) {
      const waiting = queue.shift();
      if (!waiting) {
        emptyAt = clock();
        return;
      }
      clearTimeout(waiting.timer);
      const now = clock();
      if (queue.length === 0) emptyAt = now;
      else if (overdue(now, now - waiting.since)) {
        waiting.refuse();
        continue;
      }
      waiting.admit();
      return;
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
    // Lag counts only while every slot is taken: then it is of the API's own making; a lone request
    // on a machine busy with other processes is served.
    if (tooLate()) return refuse(res);
    if (queue.length >= limits.maxQueue) return refuse(res);
    const now = clock();
    if (queue.length === 0) emptyAt = now;
    else if (overdue(now, now - queue[0]!.since)) return refuse(res);
    const waiting: Waiting = {
      admit: () => {
        res.off('close', gone);
        if (res.destroyed) return next();
        start();
      },
      refuse: () => {
        res.off('close', gone);
        refuse(res);
      },
      timer: setTimeout(() => {
        remove();
        refuse(res);
      }, limits.maxWaitMs),
      since: now,
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

  return { middleware, stats: () => ({ inFlight, queued: queue.length, shed }), close: () => lag?.close() };
}
