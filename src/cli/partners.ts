import { InvalidArgumentError, type Command } from 'commander';
import type { Runtime } from '../runtime.js';
import type { QuotaStore } from '../services/rate-limit.js';

// The services are imported when a command runs (see index.ts: `moviec --help` stays fast).
const keyService = () => import('../services/api-keys.js');
const webhookService = () => import('../services/webhooks.js');
const table = async () => (await import('./table.js')).formatTable;

/** The largest quota a key may have (services/api-keys.ts MAX_REQUESTS_PER_MINUTE). */
const MAX_REQUESTS_PER_MINUTE = 1_000_000;

/**
 * `moviec keys create|list|revoke` and `moviec webhooks list|test`: partner administration from
 * the command line (the same services as the admin GraphQL operations).
 */

type WithRuntime = (action: (runtime: Runtime) => Promise<number | void>, logLevel?: string) => Promise<void>;

const quota = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REQUESTS_PER_MINUTE) {
    throw new InvalidArgumentError(`expected requests per minute from 1 to ${MAX_REQUESTS_PER_MINUTE}`);
  }
  return n;
};

const id = (value: string) => {
  if (!/^\d{1,18}$/.test(value)) throw new InvalidArgumentError('expected an id (a number)');
  return value;
};

/** With REDIS_URL, revocations and usage go through the store the API processes share. */
async function withQuota<T>(runtime: Runtime, work: (store: QuotaStore | undefined) => Promise<T>): Promise<T> {
  const { RedisQuotaStore } = await import('../services/rate-limit.js');
  const store = runtime.config.REDIS_URL ? new RedisQuotaStore(runtime.config.REDIS_URL, 'moviec:', runtime.logger) : undefined;
  try {
    await store?.connected();
    return await work(store);
  } finally {
    await store?.close();
  }
}

export function addPartnerCommands(program: Command, withRuntime: WithRuntime): void {
  const keys = program.command('keys').description('partner API keys: create, list, revoke');
  keys
    .command('create')
    .description('create a key (printed once: only its hash is stored)')
    .requiredOption('--name <name>', 'who the key is for')
    .option('--rpm <n>', 'quota in requests per minute', quota, 600)
    .action((options: { name: string; rpm: number }) =>
      withRuntime(async ({ pool }) => {
        const { createApiKey } = await keyService();
        const created = await createApiKey({ pool }, { name: options.name, requestsPerMinute: options.rpm });
        console.log(`API key ${created.id} "${created.name}" (${created.requestsPerMinute} requests per minute):`);
        console.log(created.key);
        console.log('Keep it now: it is not shown again. Send it as "x-api-key: <key>" or "Authorization: Bearer <key>".');
      }, 'warn'),
    );
  keys
    .command('list')
    .description('every key with its quota, state and requests today')
    .action(() =>
      withRuntime(async (runtime) => {
        const { apiKeyUsage, listApiKeys } = await keyService();
        const formatTable = await table();
        const rows = await listApiKeys(runtime);
        await withQuota(runtime, async (store) => {
          const lines = await Promise.all(
            rows.map(async (k) => ({
              id: k.id,
              name: k.name,
              key: `${k.keyPrefix}…`,
              per_minute: k.requestsPerMinute,
              today: store ? (await apiKeyUsage({ pool: runtime.pool, quota: store }, k.id)).requestsToday : null,
              state: k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
            })),
          );
          console.log(lines.length ? formatTable(lines) : 'No API keys yet: moviec keys create --name <partner>');
        });
      }, 'warn'),
    );
  keys
    .command('revoke <id>')
    .description('revoke a key: every API process refuses it from the next request on')
    .action((keyId: string) =>
      withRuntime(async (runtime) => {
        id(keyId);
        const { revokeApiKey } = await keyService();
        const row = await withQuota(runtime, (store) => revokeApiKey({ pool: runtime.pool, ...(store ? { quota: store } : {}) }, keyId));
        console.log(`API key ${row.id} "${row.name}" revoked at ${row.revokedAt}.`);
      }, 'warn'),
    );

  const webhooks = program.command('webhooks').description('partner webhooks: list, test');
  webhooks
    .command('list')
    .description('every webhook with its events, filter, state and deliveries')
    .action(() =>
      withRuntime(async ({ pool }) => {
        const { listWebhooks } = await webhookService();
        const formatTable = await table();
        const rows = await listWebhooks({ pool });
        const lines = rows.map((w) => ({
          id: w.id,
          url: w.url,
          events: w.events.join(','),
          filter: [w.minDelta !== null ? `minDelta ${w.minDelta}` : '', w.genres.length ? `genres ${w.genres.join('|')}` : ''].filter(Boolean).join('; '),
          state: w.enabled ? 'enabled' : `DISABLED: ${w.disabledReason ?? ''}`,
          failures: w.consecutiveFailures,
        }));
        console.log(lines.length ? formatTable(lines, { maxCellWidth: 80 }) : 'No webhooks yet (createWebhook, admin GraphQL).');
      }, 'warn'),
    );
  webhooks
    .command('test <id>')
    .description('send a signed webhook.test event to the webhook now and print the outcome')
    .action((webhookId: string) =>
      withRuntime(async ({ pool, config }) => {
        id(webhookId);
        const { testWebhook } = await webhookService();
        const { webhookSettings } = await import('../services/partners-env.js');
        const delivery = await testWebhook({ pool, settings: webhookSettings(config) }, webhookId);
        if (delivery.status === 'DELIVERED') {
          console.log(`Webhook ${webhookId}: test event ${delivery.eventId} delivered (HTTP ${delivery.lastStatusCode}).`);
          return 0;
        }
        console.error(`Webhook ${webhookId}: test event ${delivery.eventId} failed: ${delivery.lastError ?? 'unknown error'}`);
        return 1;
      }, 'warn'),
    );
}
