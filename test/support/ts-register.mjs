// `node --import ./test/support/ts-register.mjs …`: run TypeScript sources directly (see ts-hooks.mjs).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
