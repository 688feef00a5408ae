import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { latestInboxRunMentioning, runState } from '../db/import-runs.js';
import { queueImport } from '../services/import.js';
import type { Logger } from '../logger.js';
import { claim, existingClaims, release, settle, type Claim } from './claims.js';
import { locationOf, recognise, type PlannedImport } from './recognise.js';
import { readHeader, scanInbox, StabilityTracker, STATE_FOLDERS, type ScannedEntry } from './scan.js';

export interface InboxOptions {
  dir: string;
  pool: pg.Pool;
  logger: Logger;
  /** How often the folder is scanned. */
  pollMs: number;
  /** How long an entry must stay unchanged before it is taken (a file still being uploaded grows). */
  settleMs: number;
  /** The clock the settle time is measured by (tests hold it still). */
  now?: () => number;
}

export interface Inbox {
  dir: string;
  /** Stops scanning and waiting; imports still running finish in the worker and are settled at the next start. */
  stop(): Promise<void>;
}

const FINAL = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED']);

/**
 * Watches INBOX_DIR: a provider file or folder dropped in is recognised (recognise.ts) once it
 * stopped changing, imported with trigger `inbox`, and moved to processed/ (SUCCEEDED, PARTIAL) or
 * failed/ (FAILED, unrecognised) with the run id in its name. The folder is polled rather than
 * watched with fs.watch, which misses events on network filesystems, where uploads often land.
 * One watcher per folder: claims interrupted by a stop are settled or put back at the next start.
 */
export async function startInbox(options: InboxOptions): Promise<Inbox> {
  const dir = path.resolve(options.dir);
  const log = options.logger.child({ inbox: dir });
  for (const folder of STATE_FOLDERS) await mkdir(path.join(dir, folder), { recursive: true });

  const tracker = new StabilityTracker(options.settleMs);
  const inFlight = new Set<Promise<void>>();
  const announced = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> = Promise.resolve();

  const track = (work: Promise<void>) => {
    const settled = work.catch((error: unknown) => log.error({ err: error }, 'inbox import failed unexpectedly'));
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };

  const waitForRun = async (runId: string): Promise<{ status: string; error: string | null } | null> => {
    for (;;) {
      const run = await runState(options.pool, runId);
      if (!run || FINAL.has(run.status)) return run ?? null;
      if (stopped) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs, 1000)));
    }
  };

  const finish = async (claimed: Claim, runId: string, provider: string) => {
    const run = await waitForRun(runId);
    if (!run) return; // stopping: the next start settles this claim
    const failed = run.status === 'FAILED';
    const moved = await settle(dir, claimed, {
      folder: failed ? 'failed' : 'processed',
      prefix: `run-${runId}`,
      reason: failed ? `Import run ${runId} (${provider}) FAILED: ${run.error ?? 'no reason recorded'}` : undefined,
    });
    const fields = { runId, provider, status: run.status, files: moved };
    if (failed) log.warn({ ...fields, error: run.error }, `inbox import run ${runId} FAILED`);
    else log.info(fields, `inbox import run ${runId} ${run.status}`);
  };

  const importPlanned = async (plan: PlannedImport<ScannedEntry>) => {
    const names = plan.parts.map((part) => part.entry.name);
    const claimed = await claim(dir, names);
    if (!claimed) return;
    let runId: string;
    try {
      const location = locationOf(plan, (entry) => claimed.paths.get(entry.name)!);
      runId = await queueImport(options.pool, plan.provider, location, 'inbox');
    } catch (error) {
      const reason = `Could not queue the ${plan.provider} import: ${(error as Error).message}`;
      await settle(dir, claimed, { folder: 'failed', prefix: `unqueued-${claimed.id}`, reason });
      log.error({ err: error, files: names }, reason);
      return;
    }
    log.info({ runId, provider: plan.provider, files: names }, `inbox: ${plan.provider} import queued as run ${runId}`);
    await finish(claimed, runId, plan.provider);
  };

  const rejectUnrecognised = async (entry: ScannedEntry, reason: string) => {
    const claimed = await claim(dir, [entry.name]);
    if (!claimed) return;
    await settle(dir, claimed, { folder: 'failed', prefix: `unrecognised-${claimed.id}`, reason: `${entry.name}: ${reason}` });
    log.warn({ file: entry.name, reason }, 'inbox: unrecognised entry moved to failed/');
  };

  const scanOnce = async () => {
    const clock = options.now ?? Date.now;
    const started = clock();
    const entries = await scanInbox(dir);
    const stable = tracker.stable(entries, started, clock());
    for (const entry of stable) entry.header = await readHeader(entry).catch(() => null);
    const { imports, waiting, unrecognised } = recognise(stable);
    for (const plan of imports) track(importPlanned(plan));
    for (const { entry, reason } of unrecognised) track(rejectUnrecognised(entry, reason));
    for (const { entry, reason } of waiting) {
      if (announced.has(entry.name)) continue;
      announced.add(entry.name);
      log.info({ file: entry.name }, `inbox: ${entry.name} ${reason}`);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      scanning = scanOnce()
        .catch((error: unknown) => log.error({ err: error }, 'inbox scan failed'))
        .finally(schedule);
    }, options.pollMs);
  };

  await recoverClaims(dir, options.pool, log, (claimed, runId, provider) => track(finish(claimed, runId, provider)));
  schedule();
  log.info({ pollMs: options.pollMs, settleMs: options.settleMs }, 'inbox watching');

  return {
    dir,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await scanning;
      await Promise.all([...inFlight]);
    },
  };
}

/** Claims left by a stopped watcher: settled when their run is known, else put back to be taken again. */
async function recoverClaims(
  dir: string,
  pool: pg.Pool,
  log: Logger,
  resume: (claimed: Claim, runId: string, provider: string) => void,
): Promise<void> {
  for (const claimed of await existingClaims(dir)) {
    const run = await latestInboxRunMentioning(pool, `/${claimed.id}/`);
    if (run) {
      log.info({ runId: run.id, claim: claimed.id }, `inbox: resuming run ${run.id} of an earlier start`);
      resume(claimed, run.id, run.provider_key);
      continue;
    }
    const taken = await Promise.all([...claimed.paths.keys()].map((name) => exists(path.join(dir, name))));
    if (taken.some(Boolean)) {
      await settle(dir, claimed, { folder: 'failed', prefix: `interrupted-${claimed.id}`, reason: 'claimed but never imported, and a newer file has its name' });
    } else {
      await release(dir, claimed);
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
