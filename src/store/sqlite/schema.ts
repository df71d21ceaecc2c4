import type { Database } from "better-sqlite3";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";

/** The schema this code reads and writes; recorded in `meta` so an older build refuses a newer file. */
export const SCHEMA_VERSION = 1;

/*
 * WITHOUT ROWID tables keep each row inside its primary-key b-tree: an instance lookup by
 * (task, partition, name) is one seek, and paging by name walks the key in order.
 *
 * `ready` is max(next_run_at, locked_until), the time a claim may take the instance. It is a
 * stored generated column so no write path can forget to maintain it, and the index on
 * (task, partition, ready) turns "earliest due in this partition" into a range scan.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tasks (
  name             TEXT PRIMARY KEY,
  dynamic          INTEGER NOT NULL,
  schedule         TEXT,
  partition_count  INTEGER NOT NULL CHECK (partition_count >= 1),
  execution_mode   TEXT NOT NULL,
  failure_mode     TEXT NOT NULL,
  lease_ms         INTEGER NOT NULL,
  misfire_policy   TEXT NOT NULL,
  misfire_grace_ms INTEGER NOT NULL,
  default_args     BLOB NOT NULL,
  enabled          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS instances (
  task            TEXT NOT NULL,
  partition       INTEGER NOT NULL CHECK (partition >= 0),
  name            TEXT NOT NULL,
  partition_key   TEXT NOT NULL,
  schedule        TEXT NOT NULL,
  args            BLOB NOT NULL,
  next_run_at     INTEGER NOT NULL,
  locked_until    INTEGER NOT NULL,
  ready           INTEGER GENERATED ALWAYS AS (max(next_run_at, locked_until)) STORED,
  version         INTEGER NOT NULL,
  incarnation     INTEGER NOT NULL,
  attempt         INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  partition_count INTEGER NOT NULL,
  lease_owner     TEXT NOT NULL,
  PRIMARY KEY (task, partition, name)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS instances_ready ON instances (task, partition, ready);
`;

/**
 * Creates the tables on a new file and checks the schema version of an existing one; throws
 * FAILED_PRECONDITION for a file written by a newer Partitura, which this build cannot read.
 */
export function migrate(db: Database): void {
  db.transaction(() => {
    db.exec(DDL);
    const row = db
      .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")
      .get();
    if (row === undefined) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      return;
    }
    const found = Number(row.value);
    if (found !== SCHEMA_VERSION) {
      throw new PartituraError(
        ErrorCode.FailedPrecondition,
        `sqlite schema_version: file has ${row.value}, this build reads only ${SCHEMA_VERSION}`,
      );
    }
  }).immediate();
}
