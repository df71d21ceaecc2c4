import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { type RedisServer, shutdownRedis, startRedisServer } from "./redis-server.ts";

/*
 * A 3-master Redis Cluster from plain redis-server processes on free loopback ports (each port
 * and its bus port, port + 10000, checked free), no persistence, created with
 * `redis-cli --cluster create`. Tests start one in-process; scripts/test.sh starts one for the
 * whole run with the command line below and passes its URL in PARTITURA_TEST_REDIS_CLUSTER:
 *
 *   node --import=tsx test/support/redis-cluster.ts start DIR          # prints redis+cluster://...
 *   node --import=tsx test/support/redis-cluster.ts start-single DIR   # one server: redis://...
 *   node --import=tsx test/support/redis-cluster.ts stop DIR
 */

const run = promisify(execFile);
const MASTERS = 3;

/** A running cluster. */
export interface RedisCluster {
  readonly ports: readonly number[];
  /** redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3 */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the nodes, joins them into one cluster, and waits until every node says ok. */
export async function startRedisCluster(dir?: string, daemonize = false): Promise<RedisCluster> {
  const root = dir ?? mkdtempSync(join(tmpdir(), "partitura-cluster-"));
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < MASTERS; i++) {
      const nodeDir = join(root, `node${i}`);
      mkdirSync(nodeDir, { recursive: true });
      nodes.push(await startRedisServer({ dir: nodeDir, cluster: true, daemonize }));
    }
    const ports = nodes.map((node) => node.port);
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    await Promise.all(ports.map((port) => waitForClusterOk(port)));
    return {
      ports,
      url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(",")}`,
      stop: async () => {
        await Promise.all(nodes.map((node) => node.kill()));
        if (dir === undefined) rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (thrown) {
    await Promise.all(nodes.map((node) => node.kill()));
    throw thrown;
  }
}

async function waitForClusterOk(port: number, timeoutMs = 20_000): Promise<void> {
  const client = new Redis({ port, host: "127.0.0.1" });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const info = await client.cluster("INFO");
      if (/cluster_state:ok/.test(info)) return;
      await sleep(100);
    }
    throw new Error(`cluster node ${port} did not reach cluster_state:ok within ${timeoutMs} ms`);
  } finally {
    client.disconnect();
  }
}

async function main(command: string | undefined, dir: string | undefined): Promise<void> {
  if (dir === undefined || (command !== "start" && command !== "start-single" && command !== "stop")) {
    throw new Error("usage: redis-cluster.ts start|start-single|stop DIR");
  }
  const portsFile = join(dir, "ports");
  if (command === "start") {
    mkdirSync(dir, { recursive: true });
    const cluster = await startRedisCluster(dir, true);
    writeFileSync(portsFile, cluster.ports.join(" "));
    process.stdout.write(`${cluster.url}\n`);
    return;
  }
  if (command === "start-single") {
    mkdirSync(dir, { recursive: true });
    const server = await startRedisServer({ dir, daemonize: true });
    writeFileSync(portsFile, String(server.port));
    process.stdout.write(`${server.url}\n`);
    return;
  }
  const ports = readFileSync(portsFile, "utf8").trim().split(/\s+/).map(Number);
  await Promise.all(ports.map((port) => shutdownRedis(port)));
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  main(process.argv[2], process.argv[3]).catch((thrown: unknown) => {
    process.stderr.write(`${thrown instanceof Error ? thrown.message : String(thrown)}\n`);
    process.exitCode = 1;
  });
}
