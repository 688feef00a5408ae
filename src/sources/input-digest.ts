import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from './types.js';

/**
 * Bump when a change to an adapter, the staging or the merge could turn the same file into other
 * records: a file is recognised as already imported only by runs of the same reading.
 */
const READING_VERSION = 1;

/**
 * The identity of a file input (issue 18 point 4: an unchanged dump is not read again): SHA-256
 * over the provider, the location and the bytes of every local file it names (a folder: each
 * regular file in it, by name). Null when any part is not a local file or folder (a URL, an API
 * provider's location): such an input is always read.
 */
export async function inputDigest(providerKey: string, location: SourceLocation): Promise<string | null> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ v: READING_VERSION, provider: providerKey, location: sorted(location) }));
  for (const key of Object.keys(location).sort()) {
    const value = location[key];
    if (key === 'snapshot') continue;
    if (typeof value !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
    const info = await stat(value).catch(() => null);
    if (!info) return null;
    const files = info.isDirectory()
      ? (await readdir(value, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(value, e.name)).sort()
      : info.isFile() ? [value] : null;
    if (!files) return null;
    for (const file of files) {
      hash.update(`\0${key}\0${path.basename(file)}\0`);
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

function sorted(location: SourceLocation): [string, unknown][] {
  return Object.keys(location).sort().map((key) => [key, location[key]]);
}
