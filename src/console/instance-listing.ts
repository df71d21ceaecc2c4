import { ErrorCode, hasCode } from "../domain/errors.ts";
import { CONSOLE_FILTER_SCAN, CONSOLE_INSTANCES_PAGE, MAX_PAGE_SIZE } from "../domain/limits.ts";
import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { readyAt, stateOf } from "../domain/model.ts";
import type { SchedulingService } from "../engine/scheduling.ts";

/*
 * The instances list of one task. Unfiltered, a console page is exactly one ListInstances page
 * (SchedulingService.listInstances, the same O(page) cursor, the token passed through). The
 * filters the store has no index for (name prefix, "contains", a state) are applied to the
 * records as they are read: they cost O(records read), not O(matches), so one console page
 * reads at most CONSOLE_FILTER_SCAN records and then ends with the cursor where it stopped
 * (possibly with few or no matches: "next page" reads on). A prefix that is a whole instance
 * name is also looked up directly (one read), so an exact name is found at once at any size.
 * A state (a dead-letter list is state=dead_lettered) is checked by stateOf, the rule
 * ListInstances' own state filter applies, but within this scan rather than through that
 * filter: for a rare state at scale the service page would walk up to MAX_READS_PER_PAGE store
 * reads of at most one console page each (256 round trips), where this reads CONSOLE_FILTER_SCAN
 * records in a few large reads and says how many it read.
 */

/** Filters from the query string. */
export interface InstanceFilter {
  readonly partition: number | undefined;
  /** Names starting with it. */
  readonly prefix: string;
  /** Names containing it. */
  readonly contains: string;
  /**
   * "overdue": active and due longer ago than the task's misfire grace (a paused instance is
   * never due); "active" / "paused" / "dead_lettered": by stateOf (a dead letter is not
   * "paused", though its record carries a pause); "": any.
   */
  readonly state: StateFilter;
}

/** The state filters, as the query string names them. */
export const STATE_FILTERS = ["active", "paused", "dead_lettered", "overdue"] as const;

/** A state filter, or "" for any. */
export type StateFilter = "" | (typeof STATE_FILTERS)[number];

/** One console page of instances. */
export interface InstanceListing {
  readonly items: InstanceRecord[];
  readonly nextPageToken: string;
  /** Records read to answer (the cost of a filter). */
  readonly read: number;
  readonly filtered: boolean;
}

/** True when a record passes the filter at `now`. */
export function matches(
  task: TaskRecord,
  filter: InstanceFilter,
  record: InstanceRecord,
  now: number,
): boolean {
  if (filter.prefix !== "" && !record.name.startsWith(filter.prefix)) return false;
  if (filter.contains !== "" && !record.name.includes(filter.contains)) return false;
  if (filter.state === "") return true;
  const state = stateOf(record);
  if (filter.state === "overdue") return state === "active" && readyAt(record) <= now - task.misfireGraceMs;
  return state === filter.state;
}

/** Reads one console page. */
export async function listInstancePage(
  scheduling: SchedulingService,
  task: TaskRecord,
  filter: InstanceFilter,
  pageToken: string,
  now: number,
): Promise<InstanceListing> {
  const filtered = filter.prefix !== "" || filter.contains !== "" || filter.state !== "";
  if (!filtered) {
    const page = await scheduling.listInstances(
      task.name,
      filter.partition,
      CONSOLE_INSTANCES_PAGE,
      pageToken,
    );
    return { items: page.items, nextPageToken: page.nextPageToken, read: page.items.length, filtered };
  }
  const items: InstanceRecord[] = [];
  const seen = new Set<string>();
  const add = (record: InstanceRecord) => {
    const key = `${record.partition}/${record.name}`;
    if (seen.has(key) || !matches(task, filter, record, now)) return;
    if (filter.partition !== undefined && record.partition !== filter.partition) return;
    seen.add(key);
    items.push(record);
  };
  if (filter.prefix !== "" && pageToken === "") {
    const exact = await exactName(scheduling, task.name, filter.prefix);
    if (exact !== undefined) add(exact);
  }
  let token = pageToken;
  let read = 0;
  do {
    const size = Math.min(MAX_PAGE_SIZE, CONSOLE_FILTER_SCAN - read);
    const page = await scheduling.listInstances(task.name, filter.partition, size, token);
    read += page.items.length;
    for (const record of page.items) add(record);
    token = page.nextPageToken;
  } while (token !== "" && items.length < CONSOLE_INSTANCES_PAGE && read < CONSOLE_FILTER_SCAN);
  return { items, nextPageToken: token, read, filtered };
}

async function exactName(
  scheduling: SchedulingService,
  task: string,
  name: string,
): Promise<InstanceRecord | undefined> {
  try {
    return await scheduling.getInstance(task, name, "");
  } catch (thrown) {
    // Not an instance name (or not a valid one): the prefix scan still runs.
    if (hasCode(thrown, ErrorCode.NotFound) || hasCode(thrown, ErrorCode.InvalidArgument)) return undefined;
    throw thrown;
  }
}
