import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderInputKind as InputKind } from '../sources/types.js';
import { UsageError } from './usage-error.js';

const isUrl = (value: string) => /^https?:\/\//i.test(value);

/**
 * Resolves the local paths of an import against this process's working folder and checks them,
 * before any run is recorded: the run's location is then absolute, whichever process reads it, and
 * a missing file is a usage error instead of a FAILED run in the history. URLs pass unchanged.
 */
export async function checkInputs(inputs: Record<string, [string, InputKind]>): Promise<Record<string, string>> {
  const location: Record<string, string> = {};
  for (const [key, [value, kind]] of Object.entries(inputs)) {
    if (isUrl(value)) {
      location[key] = value;
      continue;
    }
    const resolved = path.resolve(value);
    const found = await stat(resolved).catch(() => null);
    if (kind === 'file') {
      if (!found) throw new UsageError(`moviec import: --${key} ${value}: no such file (looked for ${resolved})`);
      if (!found.isFile()) throw new UsageError(`moviec import: --${key} ${value}: not a file`);
    } else {
      if (!found) throw new UsageError(`moviec import: --${key} ${value}: no such folder (looked for ${resolved})`);
      if (!found.isDirectory()) throw new UsageError(`moviec import: --${key} ${value}: not a folder`);
      for (const name of kind.folder) {
        const file = await stat(path.join(resolved, name)).catch(() => null);
        if (!file?.isFile()) throw new UsageError(`moviec import: --${key} ${value}: ${name} is missing (the folder needs ${kind.folder.join(', ')})`);
      }
    }
    location[key] = resolved;
  }
  return location;
}
