import type { Database } from "better-sqlite3";

/**
 * The health ping of a SQLite store: one trivial statement. The database lives in this
 * process, so it answers or throws at once (a closed handle, a deleted file's I/O error);
 * there is nothing to wait for and no timeout to apply.
 */
export function pingDatabase(db: Database): void {
  db.prepare("SELECT 1").get();
}
