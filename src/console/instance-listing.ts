import { ErrorCode, hasCode } from "../domain/errors.ts";
import {
  CONSOLE_FAILING_SCAN,
  CONSOLE_FILTER_SCAN,
  CONSOLE_INSTANCES_PAGE,
  MAX_PAGE_SIZE,
} from "../domain/limits.ts";
import type { InstanceRecord, RunHistory, TaskRecord } from "../domain/model.ts";
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
 *
 * "failing" is a fact of the run history (its last settled run failed), not of the record, so
 * it is checked in the same scan with one Store.getRuns of each read's candidates (the records
 * that pass the other filters), and its budget is the smaller CONSOLE_FAILING_SCAN: a failing
 * page costs at most that many records and as many history reads (a history read brings the
 * recent runs too: the store has no counters-only read). Every page also says which of its
 * rows are failing (the badge): from the failing scan's own reads, or else from one getRuns of
 * the rows, the read ListInstances makes for its page too.
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
   * "paused", though its record carries a pause); "failing": its last settled run failed,
   * whatever its state (isFailing); "": any.
   */
  readonly state: StateFilter;
}

/** The state filters, as the query string names them. */
export const STATE_FILTERS = ["active", "paused", "failing", "dead_lettered", "overdue"] as const;

/** A state filter, or "" for any. */
export type StateFilter = "" | (typeof STATE_FILTERS)[number];

/** One console page of instances. */
export interface InstanceListing {
  readonly items: InstanceRecord[];
  /** For each item, in order: true when it is failing (isFailing, the badge). */
  readonly failing: readonly boolean[];
  readonly nextPageToken: string;
  /** Records read to answer (the cost of a filter). */
  readonly read: number;
  readonly filtered: boolean;
}

/**
 * True when a record passes the filter at `now`. For "failing" this checks all but the state,
 * which only the run history tells (isFailing).
 */
export function matches(
  task: TaskRecord,
  filter: InstanceFilter,
  record: InstanceRecord,
  now: number,
): boolean {
  if (filter.prefix !== "" && !record.name.startsWith(filter.prefix)) return false;
  if (filter.contains !== "" && !record.name.includes(filter.contains)) return false;
  if (filter.state === "" || filter.state === "failing") return true;
  const state = stateOf(record);
  if (filter.state === "overdue") return state === "active" && readyAt(record) <= now - task.misfireGraceMs;
  return state === filter.state;
}

/** True when an instance's last settled run failed: the "failing" filter and badge. */
export function isFailing(history: Pick<RunHistory, "lastOutcome"> | undefined): boolean {
  return history?.lastOutcome === "failure";
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
    const failing = await failingOf(scheduling, task, page.items);
    return {
      items: page.items,
      failing,
      nextPageToken: page.nextPageToken,
      read: page.items.length,
      filtered,
    };
  }
  const byHistory = filter.state === "failing";
  const budget = byHistory ? CONSOLE_FAILING_SCAN : CONSOLE_FILTER_SCAN;
  const items: InstanceRecord[] = [];
  const seen = new Set<string>();
  // The records of one read that pass the record filters, once each; failing reads their history.
  const take = async (records: readonly InstanceRecord[]) => {
    const candidates = records.filter((record) => {
      const key = `${record.partition}/${record.name}`;
      if (seen.has(key) || !matches(task, filter, record, now)) return false;
      if (filter.partition !== undefined && record.partition !== filter.partition) return false;
      seen.add(key);
      return true;
    });
    if (!byHistory) {
      items.push(...candidates);
      return;
    }
    const histories = await scheduling.runsOf(task.name, candidates);
    for (const [i, record] of candidates.entries()) {
      if (!isFailing(histories[i])) continue;
      items.push(record);
    }
  };
  if (filter.prefix !== "" && pageToken === "") {
    const exact = await exactName(scheduling, task.name, filter.prefix);
    if (exact !== undefined) await take([exact]);
  }
  let token = pageToken;
  let read = 0;
  do {
    const size = Math.min(MAX_PAGE_SIZE, budget - read);
    const page = await scheduling.listInstances(task.name, filter.partition, size, token);
    read += page.items.length;
    await take(page.items);
    token = page.nextPageToken;
  } while (token !== "" && items.length < CONSOLE_INSTANCES_PAGE && read < budget);
  const failing = byHistory ? items.map(() => true) : await failingOf(scheduling, task, items);
  return { items, failing, nextPageToken: token, read, filtered };
}

/** Whether each record is failing, in order: one getRuns. */
async function failingOf(
  scheduling: SchedulingService,
  task: TaskRecord,
  records: readonly InstanceRecord[],
): Promise<boolean[]> {
  const histories = await scheduling.runsOf(task.name, records);
  return histories.map(isFailing);
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
