# syntax=docker/dockerfile:1
# Vigil daemon image. No build step: bin/vigil.mjs loads the TypeScript sources through tsx, which is a runtime
# dependency, so `npm ci --omit=dev` installs everything `vigil serve` needs.
#
#   docker build -t vigil:0.1.0 .
#   docker run --rm -p 8080:8080 -e PROMETHEUS_URL=http://prometheus:9090 vigil:0.1.0
#
# The Helm chart (helm/vigil) runs it with a read-only root filesystem: VIGIL_DATA_DIR and /tmp (tsx's compile
# cache) are volumes there.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts is not used: esbuild (under tsx) checks its platform binary in a postinstall script.
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE}
ARG VIGIL_UID=10001
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    VIGIL_DATA_DIR=/var/lib/vigil/data \
    HOME=/tmp
RUN groupadd --system --gid ${VIGIL_UID} vigil \
  && useradd --system --uid ${VIGIL_UID} --gid ${VIGIL_UID} --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin vigil \
  && mkdir -p /var/lib/vigil/data \
  && chown -R ${VIGIL_UID}:${VIGIL_UID} /var/lib/vigil
# Code and dependencies stay owned by root, so the daemon cannot modify them even on a writable filesystem.
COPY --from=deps /app/node_modules ./node_modules
# The app: package.json, package-lock.json, tsconfig.json (read by tsx), bin/, src/, agents/, tools/, knowledge/.
# .dockerignore is an allowlist of exactly these (tests excluded), so one COPY picks them up and a room that is
# still empty in git (knowledge/) does not break the build.
COPY . ./
USER ${VIGIL_UID}:${VIGIL_UID}
VOLUME ["/var/lib/vigil"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/vigil.mjs"]
CMD ["serve"]
