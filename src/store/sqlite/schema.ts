import type { Database } from "better-sqlite3";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";

/** The schema this code reads and writes; recorded in `meta` so an older build refuses a newer file. */
export const SCHEMA_VERSION = 4;

/*
 * WITHOUT ROWID tables keep each row inside its primary-key b-tree: an instance lookup by
 * (task, partition, name) is one seek, and paging by name walks the key in order.
 *
 * `ready` is max(next_run_at, locked_until), the time a claim may take the instance. It is a
 * stored generated column so no write path can forget to maintain it, and the index on
 * (task, partition, ready) turns "earliest due in this partition" into a range scan.
 *
 * Schema 2 (issue 14) adds the pause: `paused_at` and `pause_note`, NULL while the instance is
 * active. The ready index is partial, over active rows only, so a paused instance is out of it
 * (never claimed, never counted due) with no write path having to move it, and an active row
 * costs nothing more than before. Queries that use the index say `paused_at IS NULL`.
 *
 * Schema 3 (issue 14, retries) adds `instances.dead_lettered` (1 when the pause is its retry
 * policy parking it in the dead-letter list, NULL otherwise), `tasks.retry_policy` (JSON,
 * NULL for none), `tasks.history_limit` (NULL: the default) and the table `runs`: one row per
 * instance that ran, its counters and recent runs (run-codec.ts), written in the transaction
 * of the commit or release it records and deleted with the instance. Claims never read it.
 *
 * Schema 4 (issue 14, trigger and backfill) adds `instances.manual`: the JSON of the instance's
 * manual run, NULL on an instance never triggered. The claim index is untouched: an armed run
 * is due through next_run_at, as any slot.
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
  enabled          INTEGER NOT NULL,
  retry_policy     TEXT,
  history_limit    INTEGER
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
  paused_at       INTEGER,
  pause_note      TEXT,
  dead_lettered   INTEGER,
  manual          TEXT,
  PRIMARY KEY (task, partition, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS runs (
  task      TEXT NOT NULL,
  partition INTEGER NOT NULL,
  name      TEXT NOT NULL,
  history   BLOB NOT NULL,
  PRIMARY KEY (task, partition, name)
) WITHOUT ROWID;
`;

/** Schema 1 -> 2: the pause columns, and the ready index over active rows only. */
const MIGRATE_1_TO_2 = `
ALTER TABLE instances ADD COLUMN paused_at INTEGER;
ALTER TABLE instances ADD COLUMN pause_note TEXT;
DROP INDEX IF EXISTS instances_ready;
`;

/** Schema 2 -> 3: the dead-letter flag and the task's retry policy. */
const MIGRATE_2_TO_3 = `
ALTER TABLE instances ADD COLUMN dead_lettered INTEGER;
ALTER TABLE tasks ADD COLUMN retry_policy TEXT;
ALTER TABLE tasks ADD COLUMN history_limit INTEGER;
`;

/** Schema 3 -> 4: the manual run (trigger, backfill). */
const MIGRATE_3_TO_4 = `
ALTER TABLE instances ADD COLUMN manual TEXT;
`;

/** After the columns exist (a new file, or one migrated). */
const INDEXES = `
CREATE INDEX IF NOT EXISTS instances_due ON instances (task, partition, ready) WHERE paused_at IS NULL;
`;

/**
 * Creates the tables on a new file, migrates a schema-1, -2 or -3 file to 4 and checks the schema
 * version of any other; throws
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
    } else if (Number(row.value) >= 1 && Number(row.value) <= 3) {
      const from = Number(row.value);
      if (from === 1) db.exec(MIGRATE_1_TO_2);
      if (from <= 2) db.exec(MIGRATE_2_TO_3);
      db.exec(MIGRATE_3_TO_4);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    } else if (Number(row.value) !== SCHEMA_VERSION) {
      throw new PartituraError(
        ErrorCode.FailedPrecondition,
        `sqlite schema_version: file has ${row.value}, this build reads ${SCHEMA_VERSION} (and migrates 1 to 3)`,
      );
    }
    db.exec(INDEXES);
  }).immediate();
}
