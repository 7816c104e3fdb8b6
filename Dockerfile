# syntax=docker/dockerfile:1
# One image for every service of the Tenant Protection Orchestrator; the first argument chooses
# what runs (deploy/docker/tpo-entrypoint.sh):
#   docker run IMAGE tenant-service            a service (also svm-config-, agent-install-,
#                                              registration-, activation-service)
#   docker run IMAGE migrate tenant-service    that service's migrations, as its own role
#   docker run IMAGE bootstrap                 roles, schemas, stream, consumers, all migrations
#   docker run IMAGE simulator                 the Kaspersky simulator (test clusters only)
# Build: docker build -t tpo:$(git rev-parse --short HEAD) .   (docs/deploy.md)

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. compile TypeScript (dev dependencies are needed only here)
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json tsconfig.build.json nx.json ./
COPY libs libs
COPY apps apps
COPY tools tools
RUN npx tsc -p tsconfig.build.json

# 2. production dependencies only (no install scripts run; none of them needs one)
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# 3. runtime: compiled code + production node_modules, owned by root, run as an unprivileged user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json nx.json tsconfig.base.json ./
COPY tools/register-paths.js tools/register-paths.js
COPY deploy/nats/topology.json deploy/nats/topology.json
COPY deploy/local/services.json deploy/local/services.json
COPY deploy/docker/tpo-entrypoint.sh /usr/local/bin/tpo
# uid/gid 10001: not root, not the image's `node` user (1000), numeric so runAsNonRoot can verify it
USER 10001:10001
EXPOSE 3101 3102 3103 3104 3105
ENTRYPOINT ["/usr/local/bin/tpo"]
CMD ["help"]
