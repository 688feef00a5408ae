import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';

const require = createRequire(import.meta.url);
// React's package exports hide its UMD builds, so they are found from its main file.
const umd = (pkg: string, file: string) => path.join(path.dirname(require.resolve(pkg)), 'umd', file);

/** GraphiQL and React, served from the installed packages: the playground needs no internet access. */
const ASSETS: Record<string, string> = {
  'react.production.min.js': umd('react', 'react.production.min.js'),
  'react-dom.production.min.js': umd('react-dom', 'react-dom.production.min.js'),
  'graphiql.min.js': require.resolve('graphiql/graphiql.min.js'),
  'graphiql.min.css': require.resolve('graphiql/graphiql.min.css'),
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>MovieC GraphQL playground</title>
    <link rel="stylesheet" href="/playground/graphiql.min.css" />
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql">Loading the playground…</div>
    <script src="/playground/react.production.min.js"></script>
    <script src="/playground/react-dom.production.min.js"></script>
    <script src="/playground/graphiql.min.js"></script>
    <script>
      // Subscriptions (movieChanged) go over WebSocket to the same /graphql.
      const subscriptionUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
      const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl });
      const defaultQuery = '# Admin mutations need the header {"Authorization": "Bearer <ADMIN_TOKEN>"} (Headers tab).\\n' +
        '{\\n  searchMovies(query: "harbor", first: 5) {\\n    totalCount\\n    edges { node { id title year score { value votes } genres { name } } }\\n  }\\n}\\n';
      ReactDOM.createRoot(document.getElementById('graphiql')).render(
        React.createElement(GraphiQL, { fetcher, defaultQuery, defaultEditorToolsVisibility: true, shouldPersistHeaders: false }),
      );
    </script>
  </body>
</html>
`;

/** GET /graphql from a browser: GraphiQL. Requests with a query, or asking for JSON, go on to Apollo. */
export function playgroundRoutes(): Router {
  const router = Router();
  router.get('/graphql', (req, res, next) => {
    if (req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') {
      next();
      return;
    }
    res.type('html').send(PAGE);
  });
  router.get('/playground/:file', (req, res, next) => {
    // Own keys only: `constructor` or `__proto__` are not files.
    const file = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!file) {
      next();
      return;
    }
    res.sendFile(file, { maxAge: '1d' });
  });
  return router;
}
