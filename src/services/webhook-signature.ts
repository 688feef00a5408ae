import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The MovieC-Signature header of a webhook delivery, Stripe's scheme: `t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. The timestamp is signed too, so a
 * receiver can refuse old deliveries (replays of a captured request).
 */
export const SIGNATURE_HEADER = 'MovieC-Signature';

export function sign(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** What a partner does on receipt (the README shows the same in a few lines). */
export function verify(secret: string, body: string, header: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, body, timestamp).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
