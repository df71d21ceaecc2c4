import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { pino } from "pino";
import { type App, startApp } from "../../src/app.ts";
import type { Config, LogLevel } from "../../src/config.ts";
import type { Clock } from "../../src/domain/clock.ts";
import { systemClock } from "../../src/domain/clock.ts";
import { openStore } from "../../src/store/open.ts";
import { type Clients, clientsFor } from "./clients.ts";

/**
 * A clock tests set and step by hand, to any instant (DST tests jump between days). Like
 * ManualClock it tells subscribers (the engine's pollers) when it moves.
 */
export class TestClock implements Clock {
  private readonly listeners = new Set<() => void>();
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Moves to an instant (epoch ms or ISO string). */
  set(at: number | string): void {
    this.ms = typeof at === "string" ? Date.parse(at) : at;
    for (const listener of [...this.listeners]) listener();
  }
  advance(ms: number): void {
    this.set(this.ms + ms);
  }
}

/**
 * A store URL for one test, isolated from every other: `kind` (default PARTITURA_TEST_STORE)
 * picks the store. Unset or "sqlite" gives a fresh temp file; a full URL (redis://...,
 * dynamodb://...) gets a unique namespace (`ns=`) parameter per call (for DynamoDB: a key space
 * in the shared table). Redis namespaces are deleted after the test file (forgetTestStores).
 */
export function testStoreUrl(kind: string = process.env.PARTITURA_TEST_STORE ?? "sqlite"): string {
  const unique = `t${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
  if (kind === "sqlite") return `sqlite:${join(tempDir(), `${unique}.db`)}`;
  if (kind === "sqlite::memory:") return kind;
  if (REDIS_URL.test(kind)) redisNamespaces.push({ url: kind, namespace: unique });
  const separator = kind.includes("?") ? "&" : "?";
  return `${kind}${separator}ns=${unique}`;
}

const REDIS_URL = /^rediss?(\+cluster)?:/i;

/*
 * The machine's Redis is shared by every engineer and every test run, so the namespaces
 * testStoreUrl hands out must not outlive their test file. They cannot go when a server
 * stops: restart tests stop a server and start another on the same URL, expecting the data.
 * So they go in one hook after the file's last test (each ava test file runs in a process of
 * its own, and this module registers the hook once for it), when every server has stopped.
 */
const redisNamespaces: { url: string; namespace: string }[] = [];

/**
 * Deletes every key of every Redis namespace testStoreUrl handed out in this process so far.
 * Runs by itself after each test file that imports this module; a test may call it sooner.
 */
export async function forgetTestStores(): Promise<void> {
  const namespaces = redisNamespaces.splice(0);
  if (namespaces.length === 0) return;
  // Loaded only when there is something to delete, so SQLite runs never load ioredis here.
  const { deleteNamespace } = await import("./redis-env.ts");
  for (const { url, namespace } of namespaces) await deleteNamespace(url, namespace);
}

test.after.always("delete the Redis namespaces of this file's test stores", forgetTestStores);

let sharedTempDir: string | undefined;
function tempDir(): string {
  sharedTempDir ??= mkdtempSync(join(tmpdir(), "partitura-test-"));
  return sharedTempDir;
}

/** A server started for one test, with clients of every service. */
export interface TestServer extends Clients, AsyncDisposable {
  readonly server: App;
  readonly address: string;
  readonly storeUrl: string;
  /** Stops the server and closes the clients; the store's data stays until the test file ends. */
  stop(): Promise<void>;
}

/** Options of startTestServer. */
export interface TestServerOptions {
  /** Default: a fresh isolated store from testStoreUrl(). */
  readonly storeUrl?: string;
  readonly clock?: Clock;
  /** Overrides of the test config (listen defaults to 127.0.0.1:0). */
  readonly config?: Partial<Config>;
}

/**
 * Starts the real server in-process on 127.0.0.1 port 0. Logs are silent unless
 * PARTITURA_TEST_LOG names a level.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const storeUrl = options.storeUrl ?? testStoreUrl();
  const level = (process.env.PARTITURA_TEST_LOG ?? "silent") as LogLevel;
  const logger = pino({ level });
  const config: Config = Object.freeze({
    listen: "127.0.0.1:0",
    store: storeUrl,
    logLevel: level,
    shutdownGraceMs: 2_000,
    advertise: undefined,
    replicaId: "test-replica",
    ...options.config,
  });
  const store = await openStore(storeUrl, logger);
  const server = await startApp({ config, store, clock: options.clock ?? systemClock, logger });
  const clients = clientsFor(server.address);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clients.close();
      await server.stop();
    })();
    return stopping;
  };
  return { ...clients, server, address: server.address, storeUrl, stop, [Symbol.asyncDispose]: stop };
}

process.once("exit", () => {
  if (sharedTempDir !== undefined) rmSync(sharedTempDir, { recursive: true, force: true });
});
