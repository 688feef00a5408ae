// Writes the GraphQL schema as SDL to schema.graphql at the repository root. The schema is built
// from the compiled code in dist/, so the sources are compiled first (incrementally) to keep the
// file from describing stale code. test/graphql/schema.test.ts fails when the file is stale.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// tsc still emits JavaScript on type errors (typecheck and tests report those), so only a build
// that did not run at all stops the export.
if (build.status === null || build.error) {
  console.error('schema:export: the TypeScript build did not run; schema.graphql was not written');
  process.exit(1);
}
if (build.status !== 0) console.error('schema:export: type errors above; exporting from the emitted JavaScript');

const { printMovieCSchema } = await import(new URL('../dist/graphql/schema.js', import.meta.url).href);
const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
await writeFile(target, await printMovieCSchema());
console.log(`GraphQL schema written to ${target}`);
