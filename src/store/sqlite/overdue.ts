import type { Database, Statement } from "better-sqlite3";
import type { OverdueCount } from "../store.ts";

/*
 * Store.overdue on SQLite: one range scan of the (task, partition, ready) index, which covers
 * the query, so no instance row is read.
 */

/** A prepared overdue query on one connection. */
export type OverdueQuery = (task: string, partition: number, before: number) => OverdueCount;

/** Prepares the overdue query. */
export function prepareOverdue(db: Database): OverdueQuery {
  const statement: Statement<[string, number, number], { count: number; oldest: number | null }> = db.prepare(
    "SELECT count(*) AS count, min(ready) AS oldest FROM instances INDEXED BY instances_due WHERE task = ? AND partition = ? AND ready <= ? AND paused_at IS NULL",
  );
  return (task, partition, before) => {
    const row = statement.get(task, partition, before);
    const count = row?.count ?? 0;
    return { count, oldest: count === 0 ? undefined : (row?.oldest ?? undefined) };
  };
}
