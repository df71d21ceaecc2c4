import type { Database, Statement } from "better-sqlite3";
import { INSTANCE_COLUMNS, type InstanceRow, type TaskRow } from "./codec.ts";

type Key = [task: string, partition: number, name: string];

/**
 * Every statement the adapter runs, prepared once per connection. SQL lives here and only
 * here, so the store reads as operations and the queries can be reviewed in one place.
 */
export interface Statements {
  putTask: Statement<[TaskRow]>;
  getTask: Statement<[name: string], TaskRow>;
  listTasks: Statement<[afterName: string, limit: number], TaskRow>;
  deleteTask: Statement<[name: string]>;
  deleteTaskInstances: Statement<[task: string]>;
  anyInstance: Statement<[task: string], { found: number }>;
  getInstance: Statement<Key, InstanceRow>;
  listInstances: Statement<[task: string, partition: number, afterName: string, limit: number], InstanceRow>;
  putInstance: Statement<[InstanceRow]>;
  deleteInstance: Statement<Key>;
  due: Statement<[task: string, partition: number, now: number, limit: number], InstanceRow>;
  nextDueAt: Statement<[task: string, partition: number], { ready: number | null }>;
  getRuns: Statement<Key, { history: Uint8Array }>;
  putRuns: Statement<[task: string, partition: number, name: string, history: Uint8Array]>;
  deleteRuns: Statement<Key>;
  deleteTaskRuns: Statement<[task: string]>;
}

const INSTANCE_PARAMS = INSTANCE_COLUMNS.split(", ")
  .map((column) => `@${column}`)
  .join(", ");
const INSTANCE_UPDATES = INSTANCE_COLUMNS.split(", ")
  .slice(3)
  .map((column) => `${column} = excluded.${column}`)
  .join(", ");

/** Prepares the statements on an open, migrated connection. */
export function prepareStatements(db: Database): Statements {
  return {
    putTask: db.prepare(
      `INSERT INTO tasks (name, dynamic, schedule, partition_count, execution_mode, failure_mode, lease_ms,
         misfire_policy, misfire_grace_ms, default_args, enabled, retry_policy, history_limit)
       VALUES (@name, @dynamic, @schedule, @partition_count, @execution_mode, @failure_mode, @lease_ms,
         @misfire_policy, @misfire_grace_ms, @default_args, @enabled, @retry_policy, @history_limit)
       ON CONFLICT (name) DO UPDATE SET dynamic = excluded.dynamic, schedule = excluded.schedule,
         partition_count = excluded.partition_count, execution_mode = excluded.execution_mode,
         failure_mode = excluded.failure_mode, lease_ms = excluded.lease_ms,
         misfire_policy = excluded.misfire_policy, misfire_grace_ms = excluded.misfire_grace_ms,
         default_args = excluded.default_args, enabled = excluded.enabled,
         retry_policy = excluded.retry_policy, history_limit = excluded.history_limit`,
    ),
    getTask: db.prepare("SELECT * FROM tasks WHERE name = ?"),
    // '' sorts before every name (names are never empty), so it is the "from the start" cursor.
    listTasks: db.prepare("SELECT * FROM tasks WHERE name > ? ORDER BY name LIMIT ?"),
    deleteTask: db.prepare("DELETE FROM tasks WHERE name = ?"),
    deleteTaskInstances: db.prepare("DELETE FROM instances WHERE task = ?"),
    anyInstance: db.prepare("SELECT 1 AS found FROM instances WHERE task = ? LIMIT 1"),
    getInstance: db.prepare(
      `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE task = ? AND partition = ? AND name = ?`,
    ),
    listInstances: db.prepare(
      `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE task = ? AND partition = ? AND name > ?
       ORDER BY name LIMIT ?`,
    ),
    putInstance: db.prepare(
      `INSERT INTO instances (${INSTANCE_COLUMNS}) VALUES (${INSTANCE_PARAMS})
       ON CONFLICT (task, partition, name) DO UPDATE SET ${INSTANCE_UPDATES}`,
    ),
    deleteInstance: db.prepare("DELETE FROM instances WHERE task = ? AND partition = ? AND name = ?"),
    // Ties on ready time go by name so a claim's order is stable across runs. `paused_at IS
    // NULL` matches the partial index instances_due (schema.ts): paused rows are never due.
    due: db.prepare(
      `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE task = ? AND partition = ? AND ready <= ?
       AND paused_at IS NULL ORDER BY ready, name LIMIT ?`,
    ),
    nextDueAt: db.prepare(
      "SELECT min(ready) AS ready FROM instances WHERE task = ? AND partition = ? AND paused_at IS NULL",
    ),
    getRuns: db.prepare("SELECT history FROM runs WHERE task = ? AND partition = ? AND name = ?"),
    putRuns: db.prepare(
      `INSERT INTO runs (task, partition, name, history) VALUES (?, ?, ?, ?)
       ON CONFLICT (task, partition, name) DO UPDATE SET history = excluded.history`,
    ),
    deleteRuns: db.prepare("DELETE FROM runs WHERE task = ? AND partition = ? AND name = ?"),
    deleteTaskRuns: db.prepare("DELETE FROM runs WHERE task = ?"),
  };
}
