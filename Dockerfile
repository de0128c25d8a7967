# syntax=docker/dockerfile:1
# Build stage: compiles better-sqlite3 and the TypeScript sources. Node 22 (LTS): Node 20 reached
# its end of life in April 2026; the package still declares and is tested on 20.19+.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
COPY support ./support
RUN npm ci && npm run build && npm prune --omit=dev

# Runtime stage: only what `threadline serve` needs.
FROM node:22-bookworm-slim
WORKDIR /app
# MALLOC_ARENA_MAX: glibc gives each thread (main, delivery, inbound) malloc arenas of its own and
# keeps what is freed in them; two arenas hold less freed memory under large messages. glibc reads
# it when the process starts, so it is set here, not by threadline.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    THREADLINE_HTTP_HOST=0.0.0.0 \
    THREADLINE_SMTP_HOST=0.0.0.0 \
    THREADLINE_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 2525
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/threadline.js"]
CMD ["serve"]
