import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Imports run one way (docs/ARCHITECTURE.md): a module may import its own layer and the layers
 * below it, never one above. This test reads every import of src/ and checks it against the
 * layer order, that there is no import cycle, that only src/db/ speaks SQL, and that only the
 * configuration layer and the entry points read the environment.
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
  return found.map((spec) => resolveSpec(file, spec));
}

function resolveSpec(file: string, spec: string): string {
  return path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
}

/**
 * The modules a file loads when it is loaded: static imports and re-exports, without `import type`
 * / `export type` (erased) and dynamic `import()` (loaded later, when called).
 */
function loadedBy(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(import|export)\s+(type\s)?[^;]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/^\s*import\s+'(\.[^']+)'()()/gm)]
    .filter((m) => !m[2])
    .map((m) => resolveSpec(file, m[3] ?? m[1]!));
}

/** Every import cycle (as a path a -> b -> … -> a), each found once. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Modules allowed to read process.env besides the configuration layer, each with the reason. The
 * configuration is parsed once (src/config.ts loadConfig) by an entry point and passed down.
 */
const READS_ENVIRONMENT = new Map([
  // `npm start`: reads the configuration once (loadConfig) and hands it to everything it starts.
  ['main.ts', 'entry point'],
  // `moviec`: loads MOVIEC_PROVIDER_MODULES before the commands are derived from the registry, then
  // each command reads the configuration once (loadConfig) and hands it down.
  ['cli/index.ts', 'entry point'],
  // Test fault points are armed by the test harness through MOVIEC_FAULT_POINT in a child process's
  // environment, before any configuration exists; they are no setting of MovieC.
  ['fault-points.ts', 'test harness'],
  // The embedded PostgreSQL's child processes inherit the environment (plus LC_ALL), and the test
  // harness starts it (MOVIEC_SHARED_DIR) before any configuration exists.
  ['db/embedded.ts', 'child processes'],
]);
/** Only entry points call loadConfig (or read the provider modules' paths); everything else is handed the result. */
const LOADS_CONFIG = new Set(['main.ts', 'cli/index.ts']);

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

  it('has no import cycle (modules loaded at load time; type-only and dynamic imports aside)', () => {
    const graph = new Map(files.map((file) => [file, loadedBy(file).filter((target) => target.startsWith(SRC))]));
    const rel = (file: string) => `src/${path.relative(SRC, file)}`;
    expect(importCycles(graph).map((cycle) => cycle.map(rel).join(' -> '))).toEqual([]);
  });

  it('reads the environment only in the configuration layer and the allowed modules', () => {
    const config = LAYERS.find((layer) => layer.name === 'config')!.paths;
    const readers = files
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
      .filter((rel) => !config.includes(rel) && !READS_ENVIRONMENT.has(rel))
      .filter((rel) => /\bprocess\.env\b/.test(readFileSync(path.join(SRC, rel), 'utf8')));
    expect(readers).toEqual([]);
  });

  it('parses the configuration only in entry points (loadConfig), handing it down', () => {
    const callers = files
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
      .filter((rel) => rel !== 'config.ts' && !LOADS_CONFIG.has(rel))
      .filter((rel) => /\b(loadConfig|providerModulePaths)\(/.test(readFileSync(path.join(SRC, rel), 'utf8')));
    expect(callers).toEqual([]);
  });

  it('keeps SQL in src/db only', () => {
    const sql = /(SELECT [^;]{0,200} FROM |INSERT INTO |UPDATE [a-z_"]+ SET |DELETE FROM |ON CONFLICT)/;
    const outside = files.filter((file) => !path.relative(SRC, file).startsWith(`db${path.sep}`) && sql.test(readFileSync(file, 'utf8')));
    expect(outside.map((file) => `src/${path.relative(SRC, file)}`)).toEqual([]);
  });
});
