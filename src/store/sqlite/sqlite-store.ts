import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { Store } from "../store.ts";
import { mapSqliteError } from "./errors.ts";
import { migrate } from "./schema.ts";
import { SqliteStore } from "./sqlite-adapter.ts";

/** Tuning for openSqliteStore; every field has a default fit for production. */
export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before failing UNAVAILABLE; 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating when absent) the SQLite store at `path`, or an in-memory one for
 * ":memory:". Parent directories are created. The file runs in WAL mode, so readers never
 * block the writer and several processes may share it; synchronous=NORMAL, which in WAL mode
 * survives a process crash and may lose only the last commits on power loss.
 * Throws UNAVAILABLE when the file cannot be opened, FAILED_PRECONDITION for a newer schema.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const memory = path === ":memory:" || path === "";
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
    if (!memory) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    migrate(db);
    return new SqliteStore(db);
  } catch (thrown) {
    db?.close();
    // mkdir fails with a Node system error: the path is unusable, not a bug of ours.
    if (thrown instanceof Error && "syscall" in thrown) {
      throw new PartituraError(ErrorCode.Unavailable, `sqlite open ${path}: ${thrown.message}`, {
        cause: thrown,
      });
    }
    throw mapSqliteError(thrown, `open ${path}`);
  }
}
