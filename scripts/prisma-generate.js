#!/usr/bin/env node
// Generates the Prisma client offline. `prisma generate` only needs the WASM query compiler that
// ships in the npm package, but the CLI insists on locating a schema engine binary, which cannot be
// downloaded here; any existing file satisfies that check (see ../shared/DESIGN.md).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
