import { rm } from 'node:fs/promises';
import type { EmbeddedDatabase } from '../../src/db/embedded.js';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { __moviecEmbedded?: EmbeddedDatabase; __moviecTestDir?: string; __moviecTestFiles?: string };
  if (state.__moviecEmbedded) await state.__moviecEmbedded.stop();
  if (state.__moviecTestFiles) await rm(state.__moviecTestFiles, { recursive: true, force: true });
  if (state.__moviecTestDir) await rm(state.__moviecTestDir, { recursive: true, force: true });
}
