#!/usr/bin/env node
// The `moviec` command. The TypeScript sources are compiled to dist/ on `npm install`.
import 'reflect-metadata';
import { run } from '../dist/cli/index.js';

await run();
