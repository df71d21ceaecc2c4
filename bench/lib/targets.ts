import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BenchOptions } from "./options.ts";
import { connect, deleteContaining, freshNamespace, withNamespace } from "./redis.ts";

/** Which store a scenario runs on. */
export type StoreKind = "redis" | "sqlite" | "dynamodb";

/** A fresh, empty place in one store for one scenario run, and how to remove it. */
export interface StoreTarget {
  readonly kind: StoreKind;
  /** The PARTITURA_STORE URL. */
  readonly url: string;
  /** The namespace (Redis), file (SQLite) or table (DynamoDB) the run uses. */
  readonly where: string;
  cleanup(): Promise<void>;
}

/** Makes a fresh namespace, file or table name for `scenario` on `kind`. */
export async function prepareTarget(
  kind: StoreKind,
  scenario: string,
  options: BenchOptions,
): Promise<StoreTarget> {
  const id = freshNamespace(scenario);
  switch (kind) {
    case "redis":
      return {
        kind,
        url: withNamespace(options.redisUrl, id),
        where: id,
        cleanup: async () => {
          const redis = connect(options.redisUrl);
          try {
            await deleteContaining(redis, id);
          } finally {
            redis.disconnect();
          }
        },
      };
    case "sqlite": {
      const path = join(tmpdir(), `${id}.db`);
      return {
        kind,
        url: `sqlite:${path}`,
        where: path,
        cleanup: async () => {
          for (const suffix of ["", "-wal", "-shm", "-journal"])
            await rm(`${path}${suffix}`, { force: true });
        },
      };
    }
    case "dynamodb": {
      const endpoint = await dynamoEndpoint(options);
      // Each run gets a table of its own; DynamoDB Local keeps it in memory until it stops.
      return {
        kind,
        url: `dynamodb://${id}?region=local&endpoint=${encodeURIComponent(endpoint)}`,
        where: id,
        cleanup: async () => {},
      };
    }
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let dynamoStarted: Promise<string> | undefined;

/**
 * The DynamoDB endpoint: the one given, or a DynamoDB Local started once per bench run by
 * scripts/dynamodb-local.sh (its watchdog stops it when this process exits).
 */
function dynamoEndpoint(options: BenchOptions): Promise<string> {
  if (options.dynamoEndpoint) return Promise.resolve(options.dynamoEndpoint);
  dynamoStarted ??= promisify(execFile)("bash", ["scripts/dynamodb-local.sh", "start", String(process.pid)], {
    cwd: ROOT,
  }).then(({ stdout }) => {
    const port = stdout.trim().split(/\s+/)[1];
    if (!port) throw new Error(`scripts/dynamodb-local.sh start printed "${stdout.trim()}"`);
    return `http://127.0.0.1:${port}`;
  });
  return dynamoStarted;
}
