# The server image for k8s/ (not built here: this machine has no container engine).
# Stage 1 installs production dependencies (better-sqlite3 compiles against this Node);
# stage 2 copies them and the sources into a clean image that runs as an unprivileged user.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PARTITURA_LISTEN=0.0.0.0:50051
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY proto ./proto
COPY gen ./gen
COPY src ./src
# uid 1000 is the image's `node` user; k8s/ runs the pod as 1000 with a read-only root.
USER 1000:1000
EXPOSE 50051 9464
CMD ["node", "--import=tsx", "src/main.ts"]
