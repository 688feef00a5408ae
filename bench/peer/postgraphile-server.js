// PostGraphile 5 (Amber preset, grafserv on node:http) serving the same database, as the peer of
// the API benchmark. bench/run.js creates the SQL functions it exposes for search and top movies.
//   DATABASE_URL=... node bench/peer/postgraphile-server.js (after npm --prefix bench/peer install)
// Prints {"port": N} once listening.
import { createServer } from 'node:http';

// PostGraphile 5 declares Node >= 22 and calls Promise.withResolvers (Node 22); on Node 20 every
// query fails with a masked TypeError without it. This polyfill is all it needs here.
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const { postgraphile } = await import('postgraphile');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'] })],
  grafserv: { graphqlPath: '/graphql', graphiql: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
process.on('SIGTERM', () => {
  server.close();
  void Promise.resolve(pgl.release()).then(() => process.exit(0));
});
