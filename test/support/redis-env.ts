import { randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { KeyLayout } from "../../src/store/redis/keys.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";
import { startRedisCluster } from "./redis-cluster.ts";
import { startRedisServer } from "./redis-server.ts";

/*
 * Where the Redis tests run: PARTITURA_TEST_REDIS (default redis://127.0.0.1:6379 when it
 * answers, else a redis-server this process starts) and PARTITURA_TEST_REDIS_CLUSTER (set by
 * scripts/test.sh; else a cluster this process starts). Every store gets a namespace of its own,
 * and forget() deletes a test file's namespaces at the end, since the machine's Redis is shared.
 */

const MACHINE_REDIS = "redis://127.0.0.1:6379";
const stops: (() => Promise<void>)[] = [];

async function answers(url: string): Promise<boolean> {
  const { endpoints } = parseRedisUrl(url);
  const endpoint = endpoints[0];
  if (endpoint === undefined) return false;
  const client = new Redis({ ...endpoint, lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => {}); // the failure is seen by connect() below
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false; // no Redis there: the caller starts one
  } finally {
    client.disconnect();
  }
}

let single: Promise<string> | undefined;
/** The single Redis of this test process (without ?ns). */
export function singleRedisUrl(): Promise<string> {
  single ??= (async () => {
    const given = process.env.PARTITURA_TEST_REDIS;
    if (given !== undefined && given !== "") return given;
    if (await answers(MACHINE_REDIS)) return MACHINE_REDIS;
    const server = await startRedisServer();
    stops.push(() => server.dispose());
    return server.url;
  })();
  return single;
}

let cluster: Promise<string> | undefined;
/** The Redis Cluster of this test run (without ?ns). */
export function clusterRedisUrl(): Promise<string> {
  cluster ??= (async () => {
    const given = process.env.PARTITURA_TEST_REDIS_CLUSTER;
    if (given !== undefined && given !== "") return given;
    const started = await startRedisCluster();
    stops.push(() => started.stop());
    return started.url;
  })();
  return cluster;
}

const namespaces: { url: string; namespace: string }[] = [];

/** `url` with a fresh namespace, remembered for forget(). */
export function withFreshNamespace(url: string): string {
  const namespace = `test-${randomBytes(6).toString("hex")}`;
  namespaces.push({ url, namespace });
  return `${url}${url.includes("?") ? "&" : "?"}ns=${namespace}`;
}

/** Deletes every key of every namespace handed out, and stops the servers this process started. */
export async function forget(): Promise<void> {
  for (const { url, namespace } of namespaces.splice(0)) await deleteNamespace(url, namespace);
  for (const stop of stops.splice(0)) await stop();
}

/** Deletes every key of `namespace` (SCAN per master, so Redis never blocks). */
export async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const target = parseRedisUrl(url);
  const layout = new KeyLayout(namespace);
  const clients: Redis[] = [];
  let owner: Cluster | undefined;
  if (target.mode === "cluster") {
    owner = new Cluster(target.endpoints.map((e) => ({ host: e.host, port: e.port })));
    await new Promise<void>((resolve, reject) => {
      owner?.once("ready", resolve);
      owner?.once("error", reject);
    });
    clients.push(...owner.nodes("master"));
  } else {
    const endpoint = target.endpoints[0];
    clients.push(new Redis({ ...endpoint, db: target.db }));
  }
  try {
    for (const client of clients) {
      for (const pattern of layout.patterns()) {
        let cursor = "0";
        do {
          const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
          // One UNLINK per key: on a cluster node the keys of one batch span slots.
          await Promise.all(keys.map((key) => client.unlink(key)));
          cursor = next;
        } while (cursor !== "0");
      }
    }
  } finally {
    if (owner === undefined) for (const client of clients) client.disconnect();
    else owner.disconnect();
  }
}
