import { createServer } from "node:net";
import { type ServerProcess, startServerProcess } from "./server-process.ts";

/** A free TCP port on 127.0.0.1 (bound once and released; fine for a test's own ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One `node src/main.ts` process, started with the environment a StatefulSet pod gets. */
export interface ReplicaProcess extends ServerProcess {
  readonly id: string;
  /** Where its Prometheus metrics are served. */
  readonly metricsPort: number;
}

/**
 * Starts replica `partitura-<ordinal>` in membership mode on a port of its own, with the
 * variables of k8s/base (ConfigMap + StatefulSet env: HOSTNAME, PARTITURA_REPLICA_ID,
 * PARTITURA_ADVERTISE), the listen and metrics addresses moved to 127.0.0.1. The address is
 * fixed before the start because the replica advertises it in its member record. Resolves once
 * it serves (server-process.ts starts and watches the process).
 */
export async function startReplica(
  store: string,
  ordinal: number,
  extra: Record<string, string> = {},
): Promise<ReplicaProcess> {
  const id = `partitura-${ordinal}`;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const server = await startServerProcess(store, {
    HOSTNAME: id,
    PARTITURA_LISTEN: address,
    PARTITURA_SHUTDOWN_GRACE_MS: "10000",
    PARTITURA_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    PARTITURA_MEMBERSHIP: "store",
    PARTITURA_HEARTBEAT_MS: "1000",
    PARTITURA_MEMBER_TTL_MS: "3000",
    PARTITURA_JOIN_DELAY_MS: "2000",
    PARTITURA_REPLICA_ID: id,
    PARTITURA_ADVERTISE: address,
    ...extra,
  });
  return Object.assign(server, { id, metricsPort });
}

/** One unlabelled (or first matching) sample of a replica's /metrics, or undefined. */
export async function metric(replica: ReplicaProcess, name: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`);
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
