import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { StartupError } from '../startup-error.js';
import { embeddedUrl, ensureDatabase, startEmbeddedPostgres, stopEmbeddedPostgres, type EmbeddedOptions } from './embedded.js';

/**
 * Who may use, start and stop the embedded PostgreSQL of one data folder (MOVIEC_DATA_DIR/pg).
 *
 * The database is recognised by its data folder, never by a port: a running server is found
 * through the folder's own `postmaster.pid` (PostgreSQL's guarantee of one server per folder), and
 * accepted only when the server on that port says its data_directory is this folder. Every
 * process using it registers in `pg.users/`; starting, joining and leaving happen under
 * `pg.lock`. The process that finds no server starts one; the last user to leave stops it, so a
 * CLI command never stops a database a server still uses, and a server started after a CLI
 * command keeps the database the command started. A process killed with -9 leaves a stale entry,
 * which the next process removes (its pid is gone); the server it left running is joined.
 */

export interface SharedEmbedded {
  url: string;
  /** True when this process started the server (for the log). */
  started: boolean;
  port: number;
  /** Leaves: stops the server when no other live process uses it. */
  release(): Promise<void>;
}

export interface UseEmbeddedOptions extends Pick<EmbeddedOptions, 'onLog' | 'sharedDir' | 'binDir'> {
  /** The cluster's folder, MOVIEC_DATA_DIR/pg. */
  dataDir: string;
  /** Port wanted when this process starts the server. */
  port: number;
  database?: string;
  /** How long to wait for another process that is starting or stopping the same server. */
  lockTimeoutMs?: number;
}

export async function useEmbeddedPostgres(options: UseEmbeddedOptions): Promise<SharedEmbedded> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'moviec';
  const users = `${dataDir}.users`;
  const me = processIdentity(process.pid);
  const { url, started, port } = await withFolderLock(dataDir, options.lockTimeoutMs, async () => {
    await mkdir(users, { recursive: true });
    await writeFile(path.join(users, String(process.pid)), me);
    try {
      const running = await runningServer(dataDir);
      if (running) {
        await ensureDatabase(embeddedUrl(running.port, 'postgres'), database);
        return { url: embeddedUrl(running.port, database), started: false, port: running.port };
      }
      const server = await startEmbeddedPostgres({ ...options, dataDir, persistent: true, database });
      return { url: server.url, started: true, port: server.port };
    } catch (error) {
      await unlink(path.join(users, String(process.pid))).catch(() => undefined);
      throw error;
    }
  });
  let released = false;
  return {
    url,
    started,
    port,
    release: async () => {
      if (released) return;
      released = true;
      await withFolderLock(dataDir, options.lockTimeoutMs, async () => {
        await unlink(path.join(users, String(process.pid))).catch(() => undefined);
        if ((await liveUsers(users)).length === 0) await stopEmbeddedPostgres(dataDir, options);
      });
    },
  };
}

/** The processes registered as users of the folder's server that are still alive (stale entries removed). */
export async function liveUsers(usersDir: string): Promise<number[]> {
  const names = await readdir(usersDir).catch(() => [] as string[]);
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    const recorded = await readFile(path.join(usersDir, name), 'utf8').catch(() => '');
    if (Number.isInteger(pid) && isAlive(pid, recorded)) live.push(pid);
    else await unlink(path.join(usersDir, name)).catch(() => undefined);
  }
  return live;
}

/**
 * The server running on this data folder, if any: postmaster.pid names its pid and port, and the
 * server on that port must report this folder as its data_directory (a port alone proves nothing).
 */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const folder = await realpath(dataDir).catch(() => null);
  if (!folder) return null;
  const lines = (await readFile(path.join(folder, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isAlive(pid)) return null;
  const client = new pg.Client({ connectionString: embeddedUrl(port, 'postgres'), connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    const served = await realpath(rows[0]!.dir).catch(() => rows[0]!.dir);
    return served === folder ? { pid, port } : null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---- processes and the folder lock -----------------------------------------------------------

/** A process's pid and start time (Linux: /proc/<pid>/stat field 22), so a reused pid is not taken for it. */
function processIdentity(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${pid} ${fields[19]}`;
  } catch {
    return String(pid);
  }
}

function isAlive(pid: number, recorded?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!recorded || !recorded.includes(' ') || !existsSync(`/proc/${pid}/stat`)) return true;
  return processIdentity(pid) === recorded.trim();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding `<dataDir>.lock` (created exclusively; holds the owner's pid). A lock whose
 * process is gone is taken over; a live one is waited for.
 */
async function withFolderLock<T>(dataDir: string, timeoutMs = 180_000, work: () => Promise<T>): Promise<T> {
  const lock = `${dataDir}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  const me = processIdentity(process.pid);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(me);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readFile(lock, 'utf8').catch(() => '');
      const pid = Number(holder.split(' ')[0]);
      if (holder && (!Number.isInteger(pid) || !isAlive(pid, holder))) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new StartupError(`${lock} is held by process ${pid || '?'} for too long: if no MovieC process runs, delete that file`);
      }
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
