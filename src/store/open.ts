import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { ErrorCode, PartituraError } from "../domain/errors.ts";
import { redactUrl } from "../domain/redact.ts";
import type { Store } from "./store.ts";

/*
 * One place turns a store URL into a Store. Each adapter is imported lazily, so a deployment
 * on SQLite never loads the AWS SDK and one on Redis never opens better-sqlite3.
 */

/** The URL schemes openStore understands, for the error message of an unknown one. */
export const SUPPORTED_SCHEMES = [
  "sqlite:PATH",
  "sqlite::memory:",
  "dynamodb://TABLE?region=REGION&endpoint=URL&create=false&ns=NAME",
  "redis://[USER:PASSWORD@]HOST:PORT/DB?ns=NAME",
  "rediss://...",
  "redis+cluster://HOST1:PORT1,HOST2:PORT2?ns=NAME",
] as const;

/**
 * Opens the store named by `url` and waits until it answers (`ready()`). Throws
 * INVALID_ARGUMENT for a URL no adapter understands, UNAVAILABLE when the store cannot be
 * reached.
 */
export async function openStore(url: string, logger: Logger): Promise<Store> {
  const scheme = url.slice(0, url.indexOf(":") + 1).toLowerCase();
  let store: Store;
  // --- one case per adapter ---------------------------------------------------------------------
  switch (scheme) {
    case "sqlite:": {
      const path = sqlitePath(url);
      if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
      const { openSqliteStore } = await import("./sqlite/sqlite-store.ts");
      store = await openSqliteStore(path);
      break;
    }
    case "dynamodb:": {
      const { openDynamoStore } = await import("./dynamodb/dynamodb-store.ts");
      store = await openDynamoStore(url);
      break;
    }
    case "redis:":
    case "rediss:":
    case "redis+cluster:":
    case "rediss+cluster:": {
      const { openRedisStore } = await import("./redis/open.ts");
      store = await openRedisStore(url, {
        onError: (error) => logger.warn({ err: error, store: "redis" }, "redis connection error"),
      });
      break;
    }
    default:
      throw new PartituraError(
        ErrorCode.InvalidArgument,
        `store URL "${redactUrl(url)}": unknown scheme; supported: ${SUPPORTED_SCHEMES.join(", ")}`,
      );
  }
  // --- end of adapter cases ---------------------------------------------------------------------
  await store.ready();
  logger.info({ store: store.kind }, "store ready");
  return store;
}

/** `sqlite:PATH`, `sqlite://PATH` or `sqlite::memory:` -> the file path (or `:memory:`). */
function sqlitePath(url: string): string {
  let path = url.slice("sqlite:".length);
  if (path.startsWith("//")) path = path.slice(2);
  if (path === "") {
    throw new PartituraError(ErrorCode.InvalidArgument, `store URL "${url}": sqlite: needs a file path`);
  }
  return path;
}
