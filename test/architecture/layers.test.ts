import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Imports run one way (docs/ARCHITECTURE.md): a module may import its own layer and the layers
 * below it, never one above. This test reads every import of src/ and checks it against the
 * layer order, and checks that only src/db/ speaks SQL.
 */
const LAYERS: { name: string; paths: string[] }[] = [
  { name: 'foundation', paths: ['errors.ts', 'logger.ts', 'logging/', 'jobs.ts', 'fault-points.ts', 'startup-error.ts'] },
  { name: 'sources', paths: ['sources/'] },
  { name: 'config', paths: ['config.ts', 'operations-env.ts', 'server/api-env.ts', 'services/partners-env.ts'] },
  { name: 'db', paths: ['db/'] },
  { name: 'ingest', paths: ['ingest/'] },
  { name: 'matching', paths: ['matching/'] },
  { name: 'scoring', paths: ['scoring/'] },
  { name: 'runtime', paths: ['runtime.ts', 'cache/'] },
  { name: 'services', paths: ['services/'] },
  { name: 'jobs and operations', paths: ['workers/', 'schedule/', 'inbox/', 'assets/', 'catalogue/'] },
  { name: 'graphql', paths: ['graphql/'] },
  { name: 'http', paths: ['web/', 'server/'] },
  { name: 'entry points', paths: ['cli/', 'main.ts'] },
];

/**
 * Known debts, each an import that goes up a layer, named here so that no new one slips in. Remove
 * an entry when it is paid.
 */
const KNOWN_EXCEPTIONS = new Set([
  // The TMDB adapter reads TMDB_API_TOKEN / TMDB_BASE_URL through loadConfig() itself instead of
  // being handed them by the import service (issue 12 point 7, "configuration read once", not done).
  'src/sources/tmdb.ts -> src/config.ts',
  // prepareDatabase backfills the title forms of locked titles with the one normaliser (matching/).
  'src/db/setup.ts -> src/matching/normalize-title.ts',
]);

const SRC = path.resolve('src');

function layerOf(file: string): number {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  // The most specific path wins (server/api-env.ts before server/).
  let best = -1;
  let bestLength = -1;
  LAYERS.forEach((layer, index) => {
    for (const p of layer.paths) {
      if ((p.endsWith('/') ? rel.startsWith(p) : rel === p) && p.length > bestLength) {
        best = index;
        bestLength = p.length;
      }
    }
  });
  if (best < 0) throw new Error(`src/${rel} is in no layer: add it to LAYERS here and to docs/ARCHITECTURE.md`);
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports of a file (static `import … from`, `export … from` and dynamic `import('…')`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm),
    ...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm),
    ...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return found.map((spec) => path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
}

const files = sourceFiles(SRC);

describe('layering of src/', () => {
  it('has every module in a layer', () => {
    for (const file of files) expect(() => layerOf(file)).not.toThrow();
  });

  it('imports only from the same or a lower layer', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const target of importsOf(file)) {
        if (!target.startsWith(SRC)) continue;
        const to = layerOf(target);
        if (KNOWN_EXCEPTIONS.has(`src/${path.relative(SRC, file)} -> src/${path.relative(SRC, target)}`)) continue;
        if (to > from) {
          violations.push(
            `src/${path.relative(SRC, file)} (${LAYERS[from]!.name}) imports src/${path.relative(SRC, target)} (${LAYERS[to]!.name})`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps SQL in src/db only', () => {
    const sql = /(SELECT [^;]{0,200} FROM |INSERT INTO |UPDATE [a-z_"]+ SET |DELETE FROM |ON CONFLICT)/;
    const outside = files.filter((file) => !path.relative(SRC, file).startsWith(`db${path.sep}`) && sql.test(readFileSync(file, 'utf8')));
    expect(outside.map((file) => `src/${path.relative(SRC, file)}`)).toEqual([]);
  });
});
