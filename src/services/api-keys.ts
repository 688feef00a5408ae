import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import * as db from '../db/api-keys.js';
import type { ApiKeyRow } from '../db/api-keys.js';
import { invalidInput, notFoundError } from './partner-errors.js';
import type { QuotaStore } from './rate-limit.js';

/**
 * Partner API keys: created by an admin (the key is shown once; only its SHA-256 is stored),
 * each with a name and a quota in requests per minute; revoked keys are refused by every API
 * process from the next request on.
 */

export interface ApiKeyDependencies {
  pool: pg.Pool;
  /** The rate-limit store of this process (API) or of the CLI (with REDIS_URL), told of revocations. */
  quota?: QuotaStore;
}

/** Keys look like `mck_<43 characters>`; the prefix tells them apart from the admin token. */
export const KEY_PREFIX = 'mck_';
export const MAX_REQUESTS_PER_MINUTE = 1_000_000;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && value.length <= 128;
}

export interface CreatedKey extends ApiKeyRow {
  /** The key itself: shown this once. */
  key: string;
}

export async function createApiKey({ pool }: ApiKeyDependencies, input: { name: string; requestsPerMinute: number }): Promise<CreatedKey> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw invalidInput('name must be 1 to 100 characters', 'name');
  if (!Number.isInteger(input.requestsPerMinute) || input.requestsPerMinute < 1 || input.requestsPerMinute > MAX_REQUESTS_PER_MINUTE) {
    throw invalidInput(`requestsPerMinute must be a whole number from 1 to ${MAX_REQUESTS_PER_MINUTE}`, 'requestsPerMinute');
  }
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db.insertApiKey(pool, { name, keyHash: hashKey(key), keyPrefix: key.slice(0, 12), requestsPerMinute: input.requestsPerMinute });
  return { ...row, key };
}

export const listApiKeys = ({ pool }: ApiKeyDependencies) => db.listApiKeys(pool);

async function requireKey(pool: pg.Pool, id: string): Promise<ApiKeyRow> {
  const row = /^\d{1,18}$/.test(id) ? await db.findApiKey(pool, id) : null;
  if (!row) throw notFoundError(`No API key with id ${id}`);
  return row;
}

/** Revokes a key everywhere: in the database, in the shared store (Redis), and in processes listening. */
export async function revokeApiKey({ pool, quota }: ApiKeyDependencies, id: string): Promise<ApiKeyRow> {
  await requireKey(pool, id);
  const revoked = await db.revokeApiKey(pool, id);
  if (revoked) {
    await quota?.revoke(revoked.keyHash);
    await db.notifyKeyRevoked(pool, revoked.keyHash);
  }
  return requireKey(pool, id);
}

export interface ApiKeyUsage {
  id: string;
  name: string;
  requestsToday: number;
  limitPerMinute: number;
  revoked: boolean;
}

export async function apiKeyUsage({ pool, quota }: ApiKeyDependencies, id: string): Promise<ApiKeyUsage> {
  const row = await requireKey(pool, id);
  return {
    id: row.id,
    name: row.name,
    requestsToday: quota ? await quota.usageToday(row.id) : 0,
    limitPerMinute: row.requestsPerMinute,
    revoked: row.revokedAt !== null,
  };
}

/**
 * Checks a presented key and takes one request of its quota. The store answers from its record
 * of the key; a key it does not know yet is looked up in the database once and remembered.
 */
export async function takeKeyRequest({ pool, quota }: Required<ApiKeyDependencies>, key: string) {
  const keyHash = hashKey(key);
  const first = await quota.takeKey(keyHash);
  if (first.status !== 'unknown') return first;
  const row = await db.findApiKeyByHash(pool, keyHash);
  await quota.rememberKey(keyHash, row && !row.revokedAt ? { id: row.id, name: row.name, requestsPerMinute: row.requestsPerMinute } : 'revoked');
  const second = await quota.takeKey(keyHash);
  return second.status === 'unknown' ? ({ status: 'revoked' } as const) : second;
}

export { type ApiKeyRow } from '../db/api-keys.js';
