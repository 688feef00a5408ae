import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runningServer } from '../../src/db/embedded-owner.js';
import { freePort } from '../support/free-port.js';

/**
 * One owner per embedded database, with real processes: `npm start` (src/main.ts) and `moviec`
 * commands sharing MOVIEC_DATA_DIR, started in both orders, and a second checkout (another data
 * folder) on the same embedded port. The database is found by its folder and stopped only by its
 * last user.
 */

interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the output once it matches, rejects if the process ends first. */
  waitFor: (pattern: RegExp) => Promise<string>;
  exited: Promise<number | null>;
}

function start(script: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', './test/support/ts-register.mjs', ...script], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: { pattern: RegExp; resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(text);
      }
    }
  };
  child.stdout.on('data', (chunk: Buffer) => ((text += chunk.toString()), check()));
  child.stderr.on('data', (chunk: Buffer) => ((text += chunk.toString()), check()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`process ended (${code}) before ${waiter.pattern}:\n${text}`));
    resolve(code);
  }));
  return {
    child,
    output: () => text,
    waitFor: (pattern) => new Promise((resolve, reject) => {
      waiters.push({ pattern, resolve, reject });
      check();
    }),
    exited,
  };
}

const moviec = (env: Record<string, string>, ...args: string[]) => start(['test/support/moviec-source.mjs', ...args], env);
const server = (env: Record<string, string>) => start(['src/main.ts'], env);

async function ready(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return res.status;
}

async function catalogueSize(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ importRuns(first: 50) { id } }' }),
  });
  const body = (await res.json()) as { data?: { importRuns: unknown[] }; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.importRuns.length;
}

describe('one owner per embedded database, with real processes', () => {
  let root: string;
  let env: Record<string, string>;
  let apiPort: number;
  const running = new Set<ChildProcess>();

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'moviec-owner-'));
    apiPort = await freePort();
    env = {
      MOVIEC_DATA_DIR: path.join(root, 'checkout-a'), EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(apiPort), HOST: '127.0.0.1', LOG_LEVEL: 'info',
    };
  });
  afterEach(async () => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
    // Whatever a failed test left running on either folder.
    const { stopEmbeddedPostgres } = await import('../../src/db/embedded.js');
    for (const name of ['checkout-a', 'checkout-b']) {
      await stopEmbeddedPostgres(path.join(root, name, 'pg')).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  });
  const track = (proc: Proc) => (running.add(proc.child), proc);
  const pgDir = () => path.join(env.MOVIEC_DATA_DIR!, 'pg');

  it('a CLI command first, then npm start: the command ends, the server keeps its database; a second checkout gets its own', async () => {
    const worker = track(moviec(env, 'worker'));
    await worker.waitFor(/worker started/);
    expect(await runningServer(pgDir())).not.toBeNull();

    const api = track(server(env));
    await api.waitFor(/MovieC ready at/);
    expect(await ready(apiPort)).toBe(200);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // The command that started the database left it to the server still using it.
    expect(await runningServer(pgDir())).not.toBeNull();
    expect(await ready(apiPort)).toBe(200);
    const runs = await catalogueSize(apiPort);

    // Another checkout, same embedded port: its own cluster on another port, never this one's data.
    const other = moviec({ ...env, MOVIEC_DATA_DIR: path.join(root, 'checkout-b') }, 'status');
    expect(await other.exited).toBe(0);
    expect(other.output()).toMatch(/Recent import runs: no import has run yet/);
    expect(existsSync(path.join(root, 'checkout-b', 'pg', 'PG_VERSION'))).toBe(true);
    expect(await runningServer(path.join(root, 'checkout-b', 'pg'))).toBeNull();
    expect(await ready(apiPort)).toBe(200);
    expect(await catalogueSize(apiPort)).toBe(runs);

    // The last user stops it.
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await runningServer(pgDir())).toBeNull();
  }, 240_000);

  it('npm start first, then CLI commands: they use its database and never stop it; after kill -9 the next command joins and stops it', async () => {
    const api = track(server(env));
    await api.waitFor(/MovieC ready at/);
    const pid = (await runningServer(pgDir()))!.pid;

    const status = moviec(env, 'status');
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(/Recent import runs/);
    expect(await runningServer(pgDir())).toEqual({ pid, port: expect.any(Number) });
    expect(await ready(apiPort)).toBe(200);

    // The server dies without closing anything: its database keeps running, and is found by its folder.
    api.child.kill('SIGKILL');
    await api.exited;
    expect((await runningServer(pgDir()))?.pid).toBe(pid);
    const after = moviec(env, 'status');
    expect(await after.exited).toBe(0);
    expect(await runningServer(pgDir())).toBeNull();
  }, 240_000);
});
