import type pg from 'pg';
import { failAbandonedRuns } from '../db/import-runs.js';
import { clearStaging } from '../db/staging.js';
import { nameConnection, releaseWorkerJobs, workersWithoutConnection } from '../db/worker-liveness.js';
import type { Logger } from '../logger.js';

/** Prefix of the application_name of a worker process's liveness connection (PostgreSQL keeps 63 characters). */
export const LIVENESS_PREFIX = 'moviec-worker ';

export interface RecoveryOptions {
  /** How often this process looks for jobs locked by worker processes that died. */
  intervalMs: number;
  /** How long a worker must stay missing before its jobs are released (covers start-up and reconnects). */
  graceMs: number;
}

export const DEFAULT_RECOVERY: RecoveryOptions = { intervalMs: 10_000, graceMs: 20_000 };

/** application_name of a liveness connection whose worker pool is being (re)started, id not known yet. */
export const LIVENESS_STARTING = LIVENESS_PREFIX + 'starting';

/** application_name of a liveness connection while no worker pool runs in the process (between two). */
export const LIVENESS_NO_POOL = LIVENESS_PREFIX + 'none';

export interface Recovery {
  /** One sweep now (tests; the timer sweeps by itself). Returns the worker ids whose jobs were released. */
  sweep(): Promise<string[]>;
  /**
   * Names the liveness connection after the worker pool now running in this process. `undefined`:
   * one is starting (no process releases anything meanwhile); `null`: none runs, so the jobs a
   * previous pool of this process left locked are released after the grace period.
   */
  setPoolId(poolId: string | null | undefined): void;
  /** Settles once the first attempt to open the liveness connection did. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Crash recovery for Graphile Worker. A worker process killed mid-job (SIGKILL, OOM, a lost machine)
 * leaves its jobs locked, and Graphile Worker only releases such locks after 4 hours. So every
 * MovieC worker process holds one connection named `moviec-worker <poolId>` for as long as it
 * lives; PostgreSQL drops it the moment the process dies. Every worker process sweeps regularly:
 * jobs locked by a worker pool that has had no such connection for `graceMs` are unlocked
 * (force_unlock_workers), so another worker re-runs them at once — every task is idempotent (an
 * import starts over from a clean staging area; aggregation recomputes from provider records). An
 * import whose job has used up its attempts (a worker that died on it every time) is marked FAILED
 * with the reason, instead of staying RUNNING for ever.
 */
export function startRecovery(pool: pg.Pool, logger: Logger, options: RecoveryOptions = DEFAULT_RECOVERY): Recovery {
  let poolId: string | null | undefined;
  let stopped = false;
  let liveness: pg.PoolClient | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const missingSince = new Map<string, number>();

  const connect = async (): Promise<void> => {
    if (stopped) return;
    try {
      const client = await pool.connect();
      client.on('error', () => {
        if (liveness !== client) return;
        liveness = undefined;
        client.release(true);
        scheduleReconnect();
      });
      // setPoolId while the name was being set renames nothing (no liveness yet): name it again until it holds.
      for (let name = ''; name !== livenessName(); ) {
        name = livenessName();
        await nameConnection(client, name);
      }
      if (stopped) {
        client.release(true);
        return;
      }
      liveness = client;
    } catch {
      scheduleReconnect();
    }
  };
  const livenessName = () => (poolId ? LIVENESS_PREFIX + poolId : poolId === null ? LIVENESS_NO_POOL : LIVENESS_STARTING);
  const scheduleReconnect = () => {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, 1000);
    reconnectTimer.unref();
  };

  const sweep = async (): Promise<string[]> => {
    // While a worker pool somewhere is starting, its jobs may already be locked under an id its
    // liveness connection does not carry yet: release nothing until it has named itself.
    const missing = new Set(await workersWithoutConnection(pool, poolId ?? null, LIVENESS_PREFIX, LIVENESS_STARTING));
    const now = Date.now();
    for (const id of missingSince.keys()) if (!missing.has(id)) missingSince.delete(id);
    const dead: string[] = [];
    for (const id of missing) {
      const since = missingSince.get(id);
      if (since === undefined) missingSince.set(id, now);
      else if (now - since >= options.graceMs) dead.push(id);
    }
    if (dead.length) {
      await releaseWorkerJobs(pool, dead);
      for (const id of dead) missingSince.delete(id);
      logger.warn({ workers: dead }, 'released the jobs of worker processes that ended without finishing them');
    }
    for (const id of await failAbandonedRuns(pool)) {
      await clearStaging(pool, id);
      logger.error({ runId: id }, `import run ${id} FAILED: its worker ended unexpectedly on every attempt`);
    }
    return dead;
  };

  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = sweep().catch((error: unknown) => logger.debug({ err: error }, 'worker recovery sweep failed'));
  };
  const ready = connect();
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();

  return {
    sweep,
    ready,
    setPoolId(id) {
      poolId = id;
      // A failure drops the connection, and the reconnect names it again.
      if (liveness) nameConnection(liveness, livenessName()).catch(() => undefined);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await running;
      liveness?.release(true);
      liveness = undefined;
    },
  };
}

/** Recovery timings from WORKER_RECOVERY_SECONDS (the grace; sweeps run at half of it), else the defaults. */
export function recoveryFromConfig(config: { WORKER_RECOVERY_SECONDS?: number } | undefined): RecoveryOptions {
  const seconds = config?.WORKER_RECOVERY_SECONDS;
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return DEFAULT_RECOVERY;
  const graceMs = Math.round(seconds * 1000);
  return { graceMs, intervalMs: Math.max(250, Math.round(graceMs / 2)) };
}
