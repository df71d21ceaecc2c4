import type { InstanceRecord } from "../domain/model.ts";
import type { InstancePage } from "./store.ts";

/**
 * The page of a store that lists by name (SQLite, DynamoDB): the cursor is the last name
 * answered. `records` were read with a limit of `limit + 1`, so a page that ends the partition
 * says so (no cursor) instead of costing the caller one more, empty, read.
 */
export function namePage(records: readonly InstanceRecord[], limit: number): InstancePage {
  if (records.length <= limit) return { instances: [...records], cursor: undefined };
  const instances = records.slice(0, limit);
  return { instances, cursor: instances[instances.length - 1]?.name };
}
