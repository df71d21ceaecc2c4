import type { Store } from "../store.ts";
import { createClient } from "./connection.ts";
import { KeyLayout } from "./keys.ts";
import { RedisStore } from "./redis-store.ts";
import { parseRedisUrl } from "./url.ts";

/** Options of openRedisStore. */
export interface RedisStoreOptions {
  /**
   * Told about errors that happen in the background, outside any call: failed reconnects,
   * a wake-up subscription that could not be made. Calls themselves reject as usual. The
   * default emits a process warning, once per distinct message in a row (a Redis that stays
   * down fails every reconnect the same way).
   */
  readonly onError?: (error: Error) => void;
}

/**
 * Opens the Redis store named by `url`: `redis://[user:password@]host:port/db`, `rediss://`
 * (TLS), `redis+cluster://host1:port1,host2:port2` or `rediss+cluster://`, each with an
 * optional `?ns=NAME` (default "partitura") that prefixes every key. Resolves once Redis
 * answers. Throws INVALID_ARGUMENT for a malformed URL, UNAVAILABLE when Redis cannot be
 * reached within 10 s.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const target = parseRedisUrl(url);
  const client = createClient(target, `partitura:${target.namespace}`);
  const store = new RedisStore(
    client,
    new KeyLayout(target.namespace),
    target.mode === "cluster",
    options.onError ?? warnOnce(),
  );
  try {
    await store.ready();
  } catch (thrown) {
    await store.close();
    throw thrown;
  }
  return store;
}

function warnOnce(): (error: Error) => void {
  let last = "";
  return (error) => {
    if (error.message === last) return;
    last = error.message;
    process.emitWarning(`redis store: ${error.message}`, { type: "PartituraRedisWarning" });
  };
}
