import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLAIMS_FOLDER } from './scan.js';

/**
 * Files of one import taken out of the inbox: moved into `.processing/<claim id>/` before the run
 * is queued, so a later scan (or another watcher) cannot take them twice, and so that after a
 * crash the run that read them is found again by that folder's name in its source.
 */
export interface Claim {
  id: string;
  dir: string;
  /** Where each claimed entry (by its inbox name) now is. */
  paths: Map<string, string>;
}

export function claimsRoot(inbox: string): string {
  return path.join(inbox, CLAIMS_FOLDER);
}

/** Moves the named entries into a new claim folder; null when one of them was gone (claimed elsewhere). */
export async function claim(inbox: string, names: string[]): Promise<Claim | null> {
  const id = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const dir = path.join(claimsRoot(inbox), id);
  await mkdir(dir, { recursive: true });
  const paths = new Map<string, string>();
  for (const name of names) {
    const target = path.join(dir, name);
    try {
      await rename(path.join(inbox, name), target);
      paths.set(name, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      for (const [moved, at] of paths) await rename(at, path.join(inbox, moved)).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      return null;
    }
  }
  return { id, dir, paths };
}

/** A claim found on disk (after a restart). */
export async function existingClaims(inbox: string): Promise<Claim[]> {
  const root = claimsRoot(inbox);
  const ids = await readdir(root).catch(() => [] as string[]);
  return Promise.all(ids.map(async (id) => {
    const dir = path.join(root, id);
    const names = await readdir(dir).catch(() => [] as string[]);
    return { id, dir, paths: new Map(names.map((name) => [name, path.join(dir, name)])) };
  }));
}

export interface Settlement {
  folder: 'processed' | 'failed';
  /** Name prefix, e.g. `run-42` or `unrecognised-20260101T020000Z`. */
  prefix: string;
  /** Written next to the files in failed/ as `<prefix>.error.txt`. */
  reason?: string;
}

/** Moves a claim's entries to processed/ or failed/ as `<prefix>-<name>`; returns their new paths. */
export async function settle(inbox: string, claimed: Claim, { folder, prefix, reason }: Settlement): Promise<string[]> {
  const target = path.join(inbox, folder);
  await mkdir(target, { recursive: true });
  const moved: string[] = [];
  for (const [name, at] of claimed.paths) {
    const destination = path.join(target, `${prefix}-${name}`);
    await rename(at, destination);
    moved.push(destination);
  }
  if (reason) await writeFile(path.join(target, `${prefix}.error.txt`), `${reason}\n`);
  await rm(claimed.dir, { recursive: true, force: true });
  return moved;
}

/** Puts a claim's entries back into the inbox (a claim whose run was never queued). */
export async function release(inbox: string, claimed: Claim): Promise<void> {
  for (const [name, at] of claimed.paths) await rename(at, path.join(inbox, name));
  await rm(claimed.dir, { recursive: true, force: true });
}
