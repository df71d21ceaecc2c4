import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { InstanceRecord, ManualRun, PauseState, ScheduleSpec, TaskRecord } from "../../domain/model.ts";
import { indexedReadyAt } from "../transitions.ts";

/*
 * The item layout. One table holds everything of a namespace:
 *
 *   tasks      pk = "NS#tasks"               sk = task name      def (JSON), args (B)
 *   instances  pk = "NS#TASK#PARTITION"      sk = instance name  the attributes below
 *
 * An instance pk always ends in "#<digits>" and the tasks pk never does, so the two key spaces
 * cannot meet whatever a task is called; the namespace has no '#', so namespaces cannot meet
 * either. Only instances carry `ready`, so only they appear in the sparse ready index, and a
 * paused instance (issue 14) carries none: `pat` (paused at) and `pnote` instead, so it is out
 * of the index, never claimed (a claim's condition `ready <= now` fails on a missing `ready`).
 * A triggered or backfilled instance carries `man`, the JSON of its manual run; an armed one is
 * due through `next`, as any slot, so the index needs nothing more.
 * Attribute names count toward every item's size, hence the short ones.
 */

/** An item as the low-level client speaks it: attribute name to AttributeValue. */
export type Item = Record<string, AttributeValue>;

/** The local secondary index on (pk, ready): one partition's instances in ready order. */
export const READY_INDEX = "ready";

/** The partition key of one task partition. */
export function partitionKey(namespace: string, task: string, partition: number): string {
  return `${namespace}#${task}#${partition}`;
}

/** The partition key under which every task definition of a namespace lives. */
export function tasksKey(namespace: string): string {
  return `${namespace}#tasks`;
}

/** The primary key of one item. */
export function key(pk: string, sk: string): Item {
  return { pk: { S: pk }, sk: { S: sk } };
}

/** A number attribute; DynamoDB numbers travel as decimal strings. */
export function num(value: number): AttributeValue {
  return { N: String(value) };
}

function corrupt(what: string): PartituraError {
  return new PartituraError(ErrorCode.Internal, `dynamodb: stored item has no valid ${what}`);
}

function readN(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw corrupt(name);
  return Number(value);
}

function readS(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw corrupt(name);
  return value;
}

function readB(item: Item, name: string): Uint8Array {
  return item[name]?.B ?? new Uint8Array(0);
}

/** A decoded schedule; one this build cannot read is INTERNAL, never a guess. */
function asSchedule(value: unknown): ScheduleSpec {
  if (typeof value === "object" && value !== null && "kind" in value) {
    const kind = value.kind;
    if (kind === "cron" || kind === "interval" || kind === "at") return value as ScheduleSpec;
  }
  throw corrupt("schedule");
}

/** An instance as the item to put. */
export function instanceToItem(namespace: string, record: InstanceRecord): Item {
  const ready = indexedReadyAt(record);
  return {
    ...key(partitionKey(namespace, record.task, record.partition), record.name),
    task: { S: record.task },
    part: num(record.partition),
    pkey: { S: record.partitionKey },
    sched: { S: JSON.stringify(record.schedule) },
    args: { B: record.args },
    next: num(record.nextRunAt),
    locked: num(record.lockedUntil),
    ...(ready === undefined ? {} : { ready: num(ready) }),
    ver: num(record.version),
    inc: num(record.incarnation),
    att: num(record.attempt),
    created: num(record.createdAt),
    pcount: num(record.partitionCount),
    owner: { S: record.leaseOwner },
    ...(record.paused === undefined ? {} : { pat: num(record.paused.at), pnote: { S: record.paused.note } }),
    ...(record.paused?.deadLettered ? { dlq: { BOOL: true } } : {}),
    ...(record.manual === undefined ? {} : { man: manualValue(record.manual) }),
  };
}

/** A manual run (trigger, backfill) as the item's `man` attribute: its JSON. */
export function manualValue(manual: ManualRun): AttributeValue {
  return { S: JSON.stringify(manual) };
}

function manualOf(item: Item): ManualRun {
  const value: unknown = JSON.parse(readS(item, "man"));
  if (typeof value === "object" && value !== null && "id" in value && "state" in value)
    return value as ManualRun;
  throw corrupt("attribute man");
}

/** A stored instance item as the domain record. */
export function itemToInstance(item: Item): InstanceRecord {
  return {
    task: readS(item, "task"),
    partition: readN(item, "part"),
    name: readS(item, "sk"),
    partitionKey: readS(item, "pkey"),
    schedule: asSchedule(JSON.parse(readS(item, "sched"))),
    args: readB(item, "args"),
    nextRunAt: readN(item, "next"),
    lockedUntil: readN(item, "locked"),
    version: readN(item, "ver"),
    incarnation: readN(item, "inc"),
    attempt: readN(item, "att"),
    createdAt: readN(item, "created"),
    partitionCount: readN(item, "pcount"),
    leaseOwner: readS(item, "owner"),
    // Absent, not undefined, while active: records compare equal whatever store made them.
    ...(item.pat === undefined ? {} : { paused: pauseOf(item) }),
    ...(item.man === undefined ? {} : { manual: manualOf(item) }),
  };
}

/** The pause of a paused item: a dead letter when it carries `dlq`. */
function pauseOf(item: Item): PauseState {
  const at = readN(item, "pat");
  const note = item.pnote?.S ?? "";
  return item.dlq?.BOOL === true ? { at, note, deadLettered: true } : { at, note };
}

/** A task definition as the item to put; its args stay bytes, the rest is JSON. */
export function taskToItem(namespace: string, task: TaskRecord): Item {
  const { defaultArgs, ...definition } = task;
  return {
    ...key(tasksKey(namespace), task.name),
    def: { S: JSON.stringify(definition) },
    args: { B: defaultArgs },
  };
}

/** A stored task item as the domain record. */
export function itemToTask(item: Item): TaskRecord {
  const d = JSON.parse(readS(item, "def")) as Partial<Omit<TaskRecord, "defaultArgs">>;
  if (typeof d.name !== "string" || typeof d.partitionCount !== "number") throw corrupt("def");
  // Built field by field so an absent schedule reads back as `undefined`, as it was written.
  return {
    name: d.name,
    dynamic: d.dynamic === true,
    schedule: d.schedule === undefined ? undefined : asSchedule(d.schedule),
    partitionCount: d.partitionCount,
    executionMode: d.executionMode ?? "at_least_once",
    failureMode: d.failureMode ?? "none",
    leaseMs: d.leaseMs ?? 0,
    misfirePolicy: d.misfirePolicy ?? "catch_up",
    misfireGraceMs: d.misfireGraceMs ?? 0,
    defaultArgs: readB(item, "args"),
    enabled: d.enabled !== false,
    ...(d.retry === undefined ? {} : { retry: d.retry }),
    ...(d.historyLimit === undefined ? {} : { historyLimit: d.historyLimit }),
  };
}
