import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, run, type Runner } from 'graphile-worker';
import { createLogger } from '../../src/logger.js';
import { queueImport } from '../../src/services/import.js';
import { verify } from '../../src/services/webhook-signature.js';
import { isPrivateAddress, validateWebhookUrl } from '../../src/services/webhook-url.js';
import type { WebhookSettings } from '../../src/services/partners-env.js';
import { createTaskList } from '../../src/workers/tasks.js';
import { webhookDeliverTask } from '../../src/workers/webhook-task.js';
import { WEBHOOK_DELIVER_TASK } from '../../src/db/webhooks.js';
import { startTestApi, type TestApi } from '../support/graphql-api.js';
import { basicsTsv, ratingsTsv, tempDir, writeFiles } from '../support/imdb-files.js';
import { runJobsOnce } from '../support/jobs.js';
import { spawnMoviec, waitFor } from '../support/reliability.js';

const ADMIN = 'partners-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const quiet = new Logger(() => () => undefined);
const silent = createLogger('silent');

const SETTINGS: WebhookSettings = {
  allowPrivate: true,
  requireHttps: false,
  timeoutMs: 400,
  retryBaseMs: 20,
  maxAttempts: 6,
  disableAfter: 4,
};

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** What the receiver answered: a status, or 'hung' (never answered). */
  answer: number | 'hung';
}

/**
 * A partner's endpoint: records every request, and answers from a script per path: the next
 * entries of `script[path]` (a status, or 'hang' to never answer), 200 once the script is used up.
 */
class Receiver {
  readonly received: Received[] = [];
  readonly script = new Map<string, (number | 'hang')[]>();
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const next = this.script.get(path)?.shift() ?? 200;
        this.received.push({ path, headers: req.headers, body, answer: next === 'hang' ? 'hung' : next });
        if (next === 'hang') return;
        res.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'ok' : 'nope');
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  accepted(path: string) {
    return this.received.filter((r) => r.path === path && r.answer === 200);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('webhooks: signed deliveries of movie events', () => {
  let api: TestApi;
  let receiver: Receiver;
  let files: Record<string, string>;
  let runner: Runner | undefined;

  /** Runs the import and the aggregation it queues, but no delivery: those wait for startDelivering. */
  async function importAndAggregate(basics: string, ratings: string): Promise<void> {
    await queueImport(api.db.pool, 'imdb', { basics, ratings }, 'cli');
    const { [WEBHOOK_DELIVER_TASK]: _deliver, ...pipeline } = createTaskList({ pool: api.db.pool, logger: silent });
    await runJobsOnce(api.db.pool, pipeline);
  }

  async function startDelivering(): Promise<void> {
    await stopDelivering();
    runner = await run({
      pgPool: api.db.pool,
      taskList: { [WEBHOOK_DELIVER_TASK]: webhookDeliverTask(api.db.pool, silent, () => SETTINGS) },
      concurrency: 4,
      pollInterval: 50,
      noHandleSignals: true,
      logger: quiet,
    });
  }

  async function stopDelivering(): Promise<void> {
    await runner?.stop();
    runner = undefined;
  }

  async function createWebhook(path: string, events: string[], filter?: Record<string, unknown>) {
    const res = await api.gql(
      `mutation ($url: String!, $events: [WebhookEvent!]!, $filter: WebhookFilterInput) {
         createWebhook(url: $url, events: $events, filter: $filter) { id url events secret enabled filter { minDelta genres } }
       }`,
      { url: `${receiver.url}${path}`, events, filter },
      admin,
    );
    expect(res.errors).toBeUndefined();
    return res.data.createWebhook as { id: string; secret: string; events: string[] };
  }

  async function deliveries(webhookId: string) {
    const res = await api.gql(
      `query ($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { id eventId event movieId status attempts lastError lastStatusCode deliveredAt payload } }`,
      { id: webhookId },
      admin,
    );
    expect(res.errors).toBeUndefined();
    return res.data.webhookDeliveries as {
      id: string; eventId: string; event: string; movieId: string; status: string; attempts: number; lastError: string | null; payload: string;
    }[];
  }

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    api = await startTestApi({ adminToken: ADMIN, webhooks: SETTINGS });
    files = await writeFiles(await tempDir(), {
      'basics.tsv': basicsTsv([
        { tconst: 'tt0300001', title: 'Harbor Lights', year: 2001, genres: ['Drama'] },
        { tconst: 'tt0300002', title: 'Desert Wind', year: 2002, genres: ['Western'] },
      ]),
      'ratings-1.tsv': ratingsTsv([['tt0300001', 6.0, 5000], ['tt0300002', 7.0, 5000]]),
      'ratings-2.tsv': ratingsTsv([['tt0300001', 8.5, 9000], ['tt0300002', 7.1, 5000]]),
      'ratings-3.tsv': ratingsTsv([['tt0300001', 5.0, 9000], ['tt0300002', 7.1, 5000]]),
    });
  });
  afterAll(async () => {
    await stopDelivering();
    await api.close();
    await receiver.close();
  });

  it('refuses URLs that are not http(s), carry credentials, or reach loopback and private addresses', async () => {
    const strict = { allowPrivate: false, requireHttps: true };
    await expect(validateWebhookUrl('http://partner.example/hook', strict)).rejects.toThrow(/must use https/);
    await expect(validateWebhookUrl('https://user:pw@partner.example/hook', strict)).rejects.toThrow(/credentials/);
    await expect(validateWebhookUrl('ftp://partner.example/hook', { ...strict, requireHttps: false })).rejects.toThrow(/http or https/);
    for (const url of ['https://127.0.0.1/h', 'https://10.1.2.3/h', 'https://[::1]/h', 'https://169.254.169.254/latest', 'https://localhost/h']) {
      await expect(validateWebhookUrl(url, strict)).rejects.toThrow(/loopback or private/);
    }
    expect(['192.168.1.1', '172.20.0.1', '::ffff:127.0.0.1', 'fd00::1', '0.0.0.0'].every(isPrivateAddress)).toBe(true);
    expect(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'].some(isPrivateAddress)).toBe(false);
    // IPv6 forms that reach a private IPv4 address or are not public unicast, and the URL spellings of some.
    const refused = [
      '::', '::1', '::ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:a9fe:a9fe', '::127.0.0.1', '::ffff:0:8.8.8.8', // mapped (any spelling), compatible, translated
      '2002:7f00:1::', '2002:c0a8:101::1', '2002:a00:1:1::5', // 6to4 embedding 127.0.0.1, 192.168.1.1, 10.0.0.1
      '64:ff9b::a00:1', '64:ff9b::10.0.0.1', '64:ff9b::8.8.8.8', '64:ff9b:1::1', // NAT64
      '2001:db8::1', '2001:db8:ffff::', '3fff::1', // documentation
      '2001::1', '2001:2::1', '2001:10::1', '100::1', '5f00::1', 'fec0::1', 'fe80::1%eth0', 'ff02::1', // Teredo, benchmarking, ORCHID, discard, SRv6, site-local, zone, multicast
      '192.0.2.10', '198.51.100.7', '203.0.113.99', '192.88.99.1', '255.255.255.255', 'not-an-address',
    ];
    expect(refused.filter((a) => !isPrivateAddress(a))).toEqual([]);
    expect(['::ffff:8.8.8.8', '::ffff:808:808', '2002:808:808::1', '2001:4860:4860::8888', '2a00:1450:4001:82a::200e', '1.1.1.1'].filter(isPrivateAddress)).toEqual([]);
    for (const url of ['https://[::ffff:127.0.0.1]/h', 'https://[::ffff:7f00:1]/h', 'https://[2002:7f00:1::]/h', 'https://[2001:db8::1]/h', 'https://[64:ff9b::a9fe:a9fe]/h']) {
      await expect(validateWebhookUrl(url, strict)).rejects.toThrow(/loopback or private/);
    }
    // Through the API (this server allows private addresses for the test, but not other schemes).
    const res = await api.gql(`mutation { createWebhook(url: "file:///etc/passwd", events: [MOVIE_CREATED]) { id } }`, {}, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await api.gql(`mutation { createWebhook(url: "${receiver.url}/x", events: [MOVIE_CREATED]) { id } }`);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('delivers movie.created and movie.score_changed signed, per movie in order, retrying 500s and timeouts', async () => {
    const all = await createWebhook('/all', ['MOVIE_CREATED', 'SCORE_CHANGED', 'MATCH_CHANGED']);
    const bigMoves = await createWebhook('/big', ['SCORE_CHANGED'], { minDelta: 10 });
    const westerns = await createWebhook('/westerns', ['MOVIE_CREATED'], { genres: ['Western'] });
    expect(all.secret).toMatch(/^whsec_/);

    // Two changes to each movie before anything is sent: created, then the score moves.
    await importAndAggregate(files['basics.tsv']!, files['ratings-1.tsv']!);
    await importAndAggregate(files['basics.tsv']!, files['ratings-2.tsv']!);
    // The partner fails its first request (500) and hangs on the second (a timeout).
    receiver.script.set('/all', [500, 'hang']);
    await startDelivering();
    await waitFor(async () => {
      const log = await deliveries(all.id);
      return log.length === 4 && log.every((d) => d.status === 'DELIVERED');
    }, 15_000, 'the four deliveries of /all');
    await waitFor(() => receiver.accepted('/big').length === 1 && receiver.accepted('/westerns').length === 1, 15_000, 'the filtered webhooks');

    // Every request is signed over its timestamp and body with the webhook's secret.
    for (const request of receiver.received) {
      const secret = request.path === '/all' ? all.secret : request.path === '/big' ? bigMoves.secret : westerns.secret;
      expect(verify(secret, request.body, String(request.headers['moviec-signature']))).toBe(true);
      expect(verify('whsec_wrong', request.body, String(request.headers['moviec-signature']))).toBe(false);
      expect(request.headers['content-type']).toBe('application/json');
      expect(JSON.parse(request.body).id).toBe(request.headers['moviec-event-id']);
    }

    // Per movie, the partner accepted the events in the order they happened, each once.
    const accepted = receiver.accepted('/all').map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> });
    expect(new Set(accepted.map((e) => e.id)).size).toBe(4);
    const byMovie = new Map<string, string[]>();
    for (const event of accepted) byMovie.set(event.data.title as string, [...(byMovie.get(event.data.title as string) ?? []), event.type]);
    expect(Object.fromEntries(byMovie)).toEqual({
      'Harbor Lights': ['movie.created', 'movie.score_changed'],
      'Desert Wind': ['movie.created', 'movie.score_changed'],
    });
    const harbor = accepted.find((e) => e.type === 'movie.score_changed' && e.data.title === 'Harbor Lights')!;
    const score = harbor.data.score as { old: number; new: number; delta: number };
    expect(score.new).toBeGreaterThan(score.old);
    expect(score.delta).toBeCloseTo(score.new - score.old, 1);
    expect(harbor.data.genres).toEqual(['Drama']);

    // The 500 and the timeout were retried with the same event id; the log tells.
    const failedFirst = receiver.received.filter((r) => r.path === '/all' && r.answer !== 200);
    expect(failedFirst.map((r) => r.answer)).toEqual([500, 'hung']);
    const log = await deliveries(all.id);
    expect(log.reduce((n, d) => n + d.attempts, 0)).toBe(6);
    const retried = log.filter((d) => d.attempts > 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    for (const d of retried) {
      expect(receiver.received.filter((r) => r.path === '/all' && r.headers['moviec-event-id'] === d.eventId).length).toBe(d.attempts);
    }

    // minDelta 10 passes Harbor Lights' big move only; the genre filter passes the western only.
    expect(JSON.parse(receiver.accepted('/big')[0]!.body).data.title).toBe('Harbor Lights');
    expect(JSON.parse(receiver.accepted('/westerns')[0]!.body).data.title).toBe('Desert Wind');
    await stopDelivering();
  });

  it('replays a delivery with the same event id, as a new entry of the log', async () => {
    const [webhook] = (await api.gql(`{ webhooks { id url } }`, {}, admin)).data.webhooks as { id: string }[];
    const [latest] = await deliveries(webhook!.id);
    const before = receiver.received.length;
    const res = await api.gql(`mutation ($id: ID!) { replayWebhookDelivery(id: $id) { id eventId status } }`, { id: latest!.id }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data.replayWebhookDelivery).toEqual({ id: expect.any(String), eventId: latest!.eventId, status: 'PENDING' });
    await startDelivering();
    await waitFor(async () => (await deliveries(webhook!.id))[0]!.status === 'DELIVERED', 15_000, 'the replay');
    await stopDelivering();
    const again = receiver.received.slice(before);
    expect(again).toHaveLength(1);
    expect(again[0]!.headers['moviec-event-id']).toBe(latest!.eventId);
    expect(again[0]!.body).toBe(receiver.received.find((r) => r.path === again[0]!.path && r.headers['moviec-event-id'] === latest!.eventId && r !== again[0])!.body);
    const missing = await api.gql(`mutation { replayWebhookDelivery(id: "999999") { id } }`, {}, admin);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('disables a webhook after repeated failures, keeps the reason, and sends what waited once enabled again', async () => {
    const { rows } = await api.db.pool.query(`UPDATE webhooks SET enabled = false`);
    expect(rows).toBeDefined();
    const failing = await createWebhook('/down', ['SCORE_CHANGED']);
    receiver.script.set('/down', Array(20).fill(503));
    await importAndAggregate(files['basics.tsv']!, files['ratings-3.tsv']!);
    await startDelivering();
    const disabled = await waitFor(async () => {
      const res = await api.gql(`{ webhooks { id enabled disabledReason consecutiveFailures } }`, {}, admin);
      return (res.data.webhooks as { id: string; enabled: boolean; disabledReason: string | null; consecutiveFailures: number }[])
        .find((w) => w.id === failing.id && !w.enabled);
    }, 15_000, 'the webhook to be disabled');
    expect(disabled.disabledReason).toBe('disabled after 4 consecutive failed deliveries; last error: HTTP 503');
    expect(disabled.consecutiveFailures).toBe(4);
    expect(receiver.received.filter((r) => r.path === '/down')).toHaveLength(4);
    expect((await deliveries(failing.id)).map((d) => [d.status, d.lastError])).toEqual([['PENDING', 'HTTP 503']]);

    receiver.script.set('/down', []);
    const enabled = await api.gql(`mutation ($id: ID!) { enableWebhook(id: $id) { enabled disabledReason } }`, { id: failing.id }, admin);
    expect(enabled.data.enableWebhook).toEqual({ enabled: true, disabledReason: null });
    await waitFor(async () => (await deliveries(failing.id))[0]!.status === 'DELIVERED', 15_000, 'the waiting delivery');
    await stopDelivering();
    const body = JSON.parse(receiver.accepted('/down')[0]!.body);
    expect(body).toMatchObject({ type: 'movie.score_changed', data: { title: 'Harbor Lights' } });
    expect(body.data.score.delta).toBeLessThan(0);
  });

  it('testWebhook sends a signed webhook.test event now and logs it', async () => {
    const hook = await createWebhook('/ping', ['MOVIE_CREATED']);
    const res = await api.gql(`mutation ($id: ID!) { testWebhook(id: $id) { event status attempts lastStatusCode } }`, { id: hook.id }, admin);
    expect(res.data.testWebhook).toEqual({ event: 'webhook.test', status: 'DELIVERED', attempts: 1, lastStatusCode: 200 });
    const ping = receiver.accepted('/ping')[0]!;
    expect(verify(hook.secret, ping.body, String(ping.headers['moviec-signature']))).toBe(true);
  });

  it('moviec webhooks list and test, as real processes: the table, then a signed test event and its outcome', async () => {
    const hook = await createWebhook('/cli', ['SCORE_CHANGED'], { minDelta: 2.5 });
    const env = { DATABASE_URL: api.db.url, WEBHOOK_ALLOW_PRIVATE: '1', LOG_LEVEL: 'warn' };
    const listed = spawnMoviec(['webhooks', 'list'], env);
    expect(await listed.exited).toBe(0);
    expect(listed.output()).toMatch(new RegExp(`${hook.id}\\s+${receiver.url}/cli\\s+movie\\.score_changed\\s+minDelta 2\\.5\\s+enabled`));

    const tested = spawnMoviec(['webhooks', 'test', hook.id], env);
    expect(await tested.exited).toBe(0);
    expect(tested.output()).toMatch(new RegExp(`Webhook ${hook.id}: test event \\S+ delivered \\(HTTP 200\\)\\.`));
    const sent = receiver.accepted('/cli');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ type: 'webhook.test' });
    expect(verify(hook.secret, sent[0]!.body, String(sent[0]!.headers['moviec-signature']))).toBe(true);

    const unknown = spawnMoviec(['webhooks', 'test', '999999'], env);
    expect(await unknown.exited).toBe(1);
  });
});
