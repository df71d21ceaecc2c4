import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./scripts.ts";
import type { RedisTarget } from "./url.ts";

/*
 * Connection policy, the same for a single Redis and a cluster:
 * - lazyConnect: nothing happens until ready() connects, so opening a store never leaks a
 *   socket that fails in the background.
 * - enableOfflineQueue off: a command issued while the connection is down fails at once
 *   (UNAVAILABLE) instead of waiting in a queue without bound; healthy() is false meanwhile and
 *   the engine retries on its own schedule.
 * - autoResendUnfulfilledCommands off: a script in flight when the connection broke may or may
 *   not have run, so resending it could report a commit as "lease lost" when it took effect;
 *   failing it is honest, and at-least-once delivery covers the rest.
 * - auto-pipelining: the commands of one tick (the partitions of a batch, the polls of many
 *   pollers) go out in one write per node; on a cluster, grouped by node, which an explicit
 *   pipeline cannot do across slots.
 * - reconnect with exponential backoff from 50 ms up to 2 s, forever.
 * - a command timeout (2 s unless the URL says commandTimeoutMs): a Redis that stops answering
 *   without closing the socket (frozen, a partitioned network) fails calls with UNAVAILABLE
 *   instead of letting them hang for as long as the kernel keeps the connection.
 */

function backoff(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);
}

/** Creates (without connecting) the client for `target`. */
export function createClient(target: RedisTarget, connectionName: string): RedisClient {
  const first = target.endpoints[0];
  if (first === undefined) throw new Error("a Redis target has at least one endpoint");
  const shared: RedisOptions = {
    connectionName,
    commandTimeout: target.commandTimeoutMs,
    autoResendUnfulfilledCommands: false,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls ? { tls: { servername: first.host } } : {}),
  };
  if (target.mode === "cluster") {
    return new Cluster(
      target.endpoints.map((e) => ({ host: e.host, port: e.port })),
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: backoff,
        retryDelayOnClusterDown: 200,
        slotsRefreshTimeout: 2_000,
        redisOptions: { ...shared, maxRetriesPerRequest: 1 },
      },
    );
  }
  return new Redis({
    ...shared,
    host: first.host,
    port: first.port,
    db: target.db,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    retryStrategy: backoff,
  });
}
