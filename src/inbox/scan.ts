import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { SNIFFABLE_NAME, type InboxEntry } from './recognise.js';

export interface ScannedEntry extends InboxEntry {
  path: string;
  /** Sizes and modification times: the entry is still being written while this changes. */
  signature: string;
}

/** Folders of the inbox that hold its own state, never imports. */
export const STATE_FOLDERS = ['processed', 'failed'] as const;
export const CLAIMS_FOLDER = '.processing';

/** Names uploaders (SFTP clients, browsers, rsync, cp) give files while they are still being written. */
const PARTIAL_NAME = /^\.|\.(part|partial|filepart|tmp|crdownload|download|uploading|writing)$|~$/i;

/** The inbox's entries: files and folders, without hidden or partial ones and the state folders. */
export async function scanInbox(dir: string): Promise<ScannedEntry[]> {
  const dirents = await readdir(dir, { withFileTypes: true });
  const entries: ScannedEntry[] = [];
  for (const dirent of dirents) {
    if (PARTIAL_NAME.test(dirent.name) || (STATE_FOLDERS as readonly string[]).includes(dirent.name)) continue;
    const full = path.join(dir, dirent.name);
    try {
      if (dirent.isDirectory()) entries.push(await scanFolder(full, dirent.name));
      else if (dirent.isFile()) entries.push(await scanFile(full, dirent.name));
    } catch (error) {
      // Moved or deleted between readdir and stat: it is gone, or back at the next scan.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return entries;
}

async function scanFile(full: string, name: string): Promise<ScannedEntry> {
  const info = await stat(full);
  return { name, path: full, isDirectory: false, signature: `${info.size}:${info.mtimeMs}` };
}

async function scanFolder(full: string, name: string): Promise<ScannedEntry> {
  const children = (await readdir(full, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  const parts = await Promise.all(children.map(async (child) => {
    const info = await stat(path.join(full, child));
    return `${child}:${info.size}:${info.mtimeMs}`;
  }));
  const partial = children.some((child) => PARTIAL_NAME.test(child));
  // A folder with a partial file inside is never stable.
  return { name, path: full, isDirectory: true, children, signature: partial ? `partial:${Date.now()}` : parts.join('|') };
}

/** The first line of a CSV or TSV (gunzipped when it starts with gzip's magic number); null for other names. */
export async function readHeader(entry: ScannedEntry): Promise<string | null> {
  if (entry.isDirectory || !SNIFFABLE_NAME.test(entry.name)) return null;
  const handle = await open(entry.path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(16_384), 0, 16_384, 0);
    let head = buffer.subarray(0, bytesRead);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      try {
        head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        return null;
      }
    }
    return head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? null;
  } finally {
    await handle.close();
  }
}

/**
 * Tells when entries stop changing: an entry is stable once its signature has not changed for
 * `settleMs` across scans, which is how a file still being uploaded (growing) is left alone.
 *
 * A scan takes time (a readdir and a stat per entry, each an await a busy machine can stretch), so
 * it is timed on both sides, and the measure leans toward "still changing": a signature counts as
 * seen from the clock read after the scan that first saw it (it may have been written just before
 * that scan read it), and the scan that finds it unchanged counts from the clock read before it
 * started (it may have changed since). A file growing a slice more often than settleMs is never
 * taken, however long a scan takes.
 */
export class StabilityTracker {
  private seen = new Map<string, { signature: string; since: number }>();

  constructor(private readonly settleMs: number) {}

  /** `started`: the clock before the scan that found `entries`; `ended` (default `started`): after it. */
  stable<E extends ScannedEntry>(entries: E[], started: number, ended = started): E[] {
    const next = new Map<string, { signature: string; since: number }>();
    const result: E[] = [];
    for (const entry of entries) {
      const previous = this.seen.get(entry.name);
      const same = previous !== undefined && previous.signature === entry.signature;
      const since = same ? previous.since : ended;
      next.set(entry.name, { signature: entry.signature, since });
      // Seen at least twice with the same signature, and unchanged for settleMs.
      if (same && started - since >= this.settleMs) result.push(entry);
    }
    this.seen = next;
    return result;
  }
}
