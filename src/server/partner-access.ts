import type { RequestHandler, Response } from 'express';
import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { adminAccess } from '../graphql/auth.js';
import type { AnonymousAccess } from '../services/partners-env.js';
import { looksLikeApiKey, takeKeyRequest } from '../services/api-keys.js';
import type { QuotaStore, RateDecision } from '../services/rate-limit.js';

/**
 * Who may call the API and how often. A partner key (`x-api-key: <key>` or `Authorization: Bearer
 * <key>`) is checked and takes one token of its bucket per request; answers carry RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset, and past the quota 429 with Retry-After. Requests
 * without a key follow ANONYMOUS_ACCESS; the admin token is never rate limited. Cost on the hot
 * path: nothing for anonymous requests with ANONYMOUS_ACCESS=on, else a SHA-256 and one Redis
 * script call (or an in-process map).
 */

export interface PartnerAccessOptions {
  pool: pg.Pool;
  quota: QuotaStore;
  anonymous: AnonymousAccess;
  adminToken?: string;
  registry?: Registry;
}

export type AccessResult =
  | { ok: true; keyId?: string; decision?: RateDecision }
  | { ok: false; status: 401 | 429; code: string; message: string; decision?: RateDecision };

/** The presented partner key, if any: x-api-key, or a Bearer value shaped like a key (not the admin token). */
export function presentedKey(headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined }): string | undefined {
  const header = headers['x-api-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader.trim();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  return bearer && looksLikeApiKey(bearer) ? bearer : undefined;
}

export function createPartnerAccess({ pool, quota, anonymous, adminToken, registry }: PartnerAccessOptions) {
  const requests = new Counter({
    name: 'moviec_api_key_requests_total',
    help: 'Requests made with a partner API key, by key id and outcome (allowed, limited).',
    labelNames: ['key', 'outcome'] as const,
    registers: registry ? [registry] : [],
  });
  const refusedKeys = new Counter({
    name: 'moviec_api_key_refused_total',
    help: 'Requests refused for an unknown or revoked API key, or a missing one (ANONYMOUS_ACCESS=off).',
    registers: registry ? [registry] : [],
  });

  /** Decides one request (HTTP or a WebSocket connection). */
  async function check(headers: Parameters<typeof presentedKey>[0], clientAddress: string): Promise<AccessResult> {
    const key = presentedKey(headers);
    if (key === undefined) {
      if (anonymous.mode === 'on' || adminAccess(headers.authorization, adminToken) === 'granted') return { ok: true };
      if (anonymous.mode === 'off') {
        refusedKeys.inc();
        return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'This server needs a partner API key: send the header "x-api-key: <key>"' };
      }
      const decision = await quota.takeAnonymous(clientAddress, anonymous.perMinute);
      if (!decision.allowed) return { ok: false, status: 429, code: 'RATE_LIMITED', message: tooMany(decision), decision };
      return { ok: true, decision };
    }
    const taken = key.length > 128 ? ({ status: 'revoked' } as const) : await takeKeyRequest({ pool, quota }, key);
    if (taken.status !== 'ok') {
      refusedKeys.inc();
      return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'The API key is not valid: unknown or revoked' };
    }
    requests.inc({ key: taken.keyId, outcome: taken.decision.allowed ? 'allowed' : 'limited' });
    if (!taken.decision.allowed) return { ok: false, status: 429, code: 'RATE_LIMITED', message: tooMany(taken.decision), decision: taken.decision };
    return { ok: true, keyId: taken.keyId, decision: taken.decision };
  }

  const middleware: RequestHandler = (req, res, next) => {
    // Anonymous access on and no key: nothing to check or count (what check() decides, without its promise).
    if (anonymous.mode === 'on' && presentedKey(req.headers) === undefined) {
      next();
      return;
    }
    check(req.headers, req.ip ?? req.socket.remoteAddress ?? 'unknown').then(
      (result) => {
        if (result.decision) setRateHeaders(res, result.decision);
        if (result.ok) {
          if (result.keyId) res.locals.apiKeyId = result.keyId;
          next();
          return;
        }
        if (result.status === 429) res.setHeader('Retry-After', String(result.decision!.retryAfterSeconds));
        const body = req.baseUrl === '/graphql'
          ? { errors: [{ message: result.message, extensions: { code: result.code } }] }
          : { error: result.message };
        res.status(result.status).json(body);
      },
      next,
    );
  };

  return { check, middleware };
}

function tooMany(decision: RateDecision): string {
  return `Rate limit of ${decision.limit} requests per minute reached: retry in ${decision.retryAfterSeconds} s`;
}

function setRateHeaders(res: Response, decision: RateDecision): void {
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(decision.resetSeconds));
}
