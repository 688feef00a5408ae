import type { EmbeddedDatabase } from '../../src/db/embedded.js';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __moviecEmbedded?: EmbeddedDatabase }).__moviecEmbedded;
  if (embedded) await embedded.stop();
}
