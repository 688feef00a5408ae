import type { Response } from 'express';

/** Aborts when the connection closes before the response was sent: the client went away. */
export function requestSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
