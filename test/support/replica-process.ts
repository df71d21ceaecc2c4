import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

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
export interface ReplicaProcess {
  readonly id: string;
  readonly address: string;
  /** Where its Prometheus metrics are served. */
  readonly metricsPort: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** The last log lines, for a failure message. */
  tail(): string;
}

/**
 * Starts replica `partitura-<ordinal>` in membership mode on a fixed port, with the variables
 * of k8s/base (ConfigMap + StatefulSet env: HOSTNAME, PARTITURA_REPLICA_ID, PARTITURA_ADVERTISE),
 * the listen and metrics addresses moved to 127.0.0.1. Resolves once it logs "serving".
 */
export async function startReplica(store: string, ordinal: number, extra: Record<string, string> = {}) {
  const id = `partitura-${ordinal}`;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOSTNAME: id,
    PARTITURA_STORE: store,
    PARTITURA_LISTEN: address,
    LOG_LEVEL: "info",
    PARTITURA_SHUTDOWN_GRACE_MS: "10000",
    PARTITURA_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    PARTITURA_MEMBERSHIP: "store",
    PARTITURA_HEARTBEAT_MS: "1000",
    PARTITURA_MEMBER_TTL_MS: "3000",
    PARTITURA_JOIN_DELAY_MS: "2000",
    PARTITURA_REPLICA_ID: id,
    PARTITURA_ADVERTISE: address,
    ...extra,
  };
  const child = spawn(process.execPath, ["--import=tsx", "src/main.ts"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const serving = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        if (line.includes('"msg":"serving"')) resolve();
      });
    }
    void exited.then((code) =>
      reject(new Error(`${id} exited (${code}) before serving:\n${lines.join("\n")}`)),
    );
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    await serving;
  } finally {
    clearTimeout(timer);
  }
  return { id, address, metricsPort, child, exited, tail: () => lines.join("\n") } satisfies ReplicaProcess;
}

/** One unlabelled (or first matching) sample of a replica's /metrics, or undefined. */
export async function metric(replica: ReplicaProcess, name: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`);
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
