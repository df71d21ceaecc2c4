import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

/*
 * Starts real redis-server processes for tests: on free loopback ports, without persistence
 * unless asked, each in a directory of its own. A test that needs a Redis it can kill (the fault
 * test) or a cluster (the cluster suite) starts one here; everything else uses the machine's.
 */

/** Fails with the install hint when redis-server is not on PATH. */
export function requireRedisServer(): void {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch (thrown) {
    throw new Error("redis-server is not installed: run `apt-get install redis-server`", { cause: thrown });
  }
}

/** True when nothing listens on 127.0.0.1:`port` (we could bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A random loopback port that is free together with port + 10000 (a cluster node's bus port),
 * so every server started here could also be a cluster node.
 */
export async function freeRedisPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair (port, port + 10000) found on 127.0.0.1");
}

/** Options of startRedisServer. */
export interface RedisServerOptions {
  /** Data directory; default a fresh temp directory. Reuse it to restart on the same data. */
  readonly dir?: string;
  /** Default a free port. */
  readonly port?: number;
  /** AOF with appendfsync always: every acknowledged write survives a SIGKILL. */
  readonly appendOnly?: boolean;
  readonly cluster?: boolean;
  /** Leave the server running after this process exits (redis-server --daemonize). */
  readonly daemonize?: boolean;
}

/** A redis-server this process started. */
export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  /** The child process (absent when daemonized). */
  readonly process: ChildProcess | undefined;
  /** Kills the process with `signal` and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server and deletes its directory when this module made it. */
  dispose(): Promise<void>;
}

/** Starts redis-server and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireRedisServer();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "partitura-redis-"));
  const port = options.port ?? (await freeRedisPort());
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--logfile",
    "redis.log",
    "--appendonly",
    options.appendOnly === true ? "yes" : "no",
    "--appendfsync",
    "always",
  ];
  if (options.cluster === true) {
    args.push(
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      "nodes.conf",
      "--cluster-node-timeout",
      "5000",
    );
  }
  if (options.daemonize === true) args.push("--daemonize", "yes", "--pidfile", join(dir, "redis.pid"));
  const child = spawn("redis-server", args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (options.daemonize === true) await exited;
  await waitForPing(port);
  const owned = options.daemonize === true ? undefined : child;
  const server: RedisServer = {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    process: owned,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (owned === undefined) {
        await shutdownRedis(port);
        return;
      }
      if (owned.exitCode === null && owned.signalCode === null) owned.kill(signal);
      await exited;
    },
    async dispose() {
      await server.kill();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Resolves once 127.0.0.1:`port` answers PING; fails after `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
    client.on("error", () => {}); // the failure is seen by connect() below
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (thrown) {
      last = thrown;
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis on port ${port} did not answer within ${timeoutMs} ms`, { cause: last });
}

/** Stops the redis on `port` without saving (SHUTDOWN NOSAVE); a server already gone is fine. */
export async function shutdownRedis(port: number): Promise<void> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => {}); // a server already gone is the point
  try {
    await client.connect();
    await client.call("SHUTDOWN", "NOSAVE");
  } catch {
    // SHUTDOWN closes the connection instead of replying; that, or no server, is success.
  } finally {
    client.disconnect();
  }
}
