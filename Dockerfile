# The server image for k8s/. Node 20 on Debian; better-sqlite3 builds against it.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY proto ./proto
COPY gen ./gen
COPY src ./src
COPY tsconfig.json ./
ENV PARTITURA_LISTEN=0.0.0.0:50051
EXPOSE 50051
USER node
CMD ["node", "--import=tsx", "src/main.ts"]
