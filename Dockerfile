# One image for the three services: `docker build --build-arg SERVICE=ingest|escalation|projection .`
FROM node:20-bookworm-slim AS build
# better-sqlite3 (the embedded adapters) compiles from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
 && npm i -g pnpm@10
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile && pnpm typecheck

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ARG SERVICE=ingest
ENV SERVICE=${SERVICE} NODE_ENV=production KLAXON_CONFIG=/etc/klaxon/klaxon.yaml KLAXON_DATA_DIR=/var/lib/klaxon
RUN mkdir -p /var/lib/klaxon && chown node:node /var/lib/klaxon
USER node
EXPOSE 8080 8081 8082
# exec: the service is PID 1's only child and gets SIGTERM for its graceful shutdown.
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
