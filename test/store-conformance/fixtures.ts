import { fromJson, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import type { ExecutionContext } from "ava";
import type { InstanceDraft, InstanceRecord, LeaseRef, TaskRecord } from "../../src/domain/model.ts";
import type { Store } from "../../src/store/store.ts";

/** Opens a fresh, empty store: its own file, key namespace or table on every call. */
export type OpenStore = () => Promise<Store>;

/** One conformance case: the body runs against a fresh store that the suite closes after. */
export type StoreCase = (t: ExecutionContext, store: Store) => Promise<void>;

/** Cases of one concern, by title. */
export type StoreCases = Readonly<Record<string, StoreCase>>;

/** The reference instant every case counts from; never the wall clock. */
export const T0 = Date.UTC(2027, 0, 1);
export const SECOND = 1_000;
export const MINUTE = 60_000;
/** The lease length the cases claim with. */
export const LEASE_MS = 30_000;
/** The lease owner the cases claim as. */
export const OWNER = "replica-a";

/** A dynamic task with every default applied; override what a case cares about. */
export function taskRecord(name = "reports", overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    name,
    dynamic: true,
    schedule: undefined,
    partitionCount: 4,
    executionMode: "at_least_once",
    failureMode: "none",
    leaseMs: LEASE_MS,
    misfirePolicy: "catch_up",
    misfireGraceMs: SECOND,
    defaultArgs: new Uint8Array(),
    enabled: true,
    ...overrides,
  };
}

/** An interval instance in partition 0 due at `nextRunAt`; override what a case cares about. */
export function draft(
  name: string,
  nextRunAt: number,
  overrides: Partial<InstanceDraft> = {},
): InstanceDraft {
  return {
    name,
    partition: 0,
    partitionKey: "",
    schedule: { kind: "interval", intervalMs: MINUTE },
    args: new Uint8Array(),
    nextRunAt,
    ...overrides,
  };
}

/** Puts the task and creates the drafts (SAFE, at T0), asserting each was created. */
export async function seed(
  t: ExecutionContext,
  store: Store,
  task: TaskRecord,
  drafts: readonly InstanceDraft[],
): Promise<InstanceRecord[]> {
  await store.putTask(task);
  const results = await store.upsertInstances(task, drafts, "safe", T0);
  t.deepEqual(
    results.map((r) => r.outcome),
    drafts.map(() => "created"),
    "seeding creates every draft",
  );
  return results.map((r) => r.instance);
}

/** The lease a claimed record carries. */
export function leaseOf(record: InstanceRecord): LeaseRef {
  const { task, partition, name, version, incarnation } = record;
  return { task, partition, name, version, incarnation };
}

/** Real args: the protobuf encoding of a google.protobuf.Struct, as clients send them. */
export function structArgs(json: JsonObject): Uint8Array {
  return toBinary(StructSchema, fromJson(StructSchema, json));
}

/** Bytes as hex, so byte arrays compare exactly whatever Uint8Array subclass a store returns. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** A record with its bytes as hex, for deepEqual across stores. */
export function plain(record: InstanceRecord): Omit<InstanceRecord, "args"> & { args: string } {
  return { ...record, args: hex(record.args) };
}

/** A task with its bytes as hex, for deepEqual across stores. */
export function plainTask(task: TaskRecord): Omit<TaskRecord, "defaultArgs"> & { defaultArgs: string } {
  return { ...task, defaultArgs: hex(task.defaultArgs) };
}

/**
 * Records sorted by name. Instances due at the same time may be claimed in any order (the
 * contract orders by ready time only), so cases that claim ties sort before naming them.
 */
export function byName<R extends { readonly name: string }>(records: readonly R[]): R[] {
  return [...records].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** The names of records, in the order given. */
export function names(records: readonly { readonly name: string }[]): string[] {
  return records.map((r) => r.name);
}

/** Reads an instance the case knows exists. */
export async function mustGet(
  t: ExecutionContext,
  store: Store,
  task: string,
  partition: number,
  name: string,
): Promise<InstanceRecord> {
  const record = await store.getInstance(task, partition, name);
  if (record === undefined) {
    t.fail(`instance ${task}/${partition}/${name} should exist`);
    throw new Error(`instance ${task}/${partition}/${name} is missing`);
  }
  return record;
}

/**
 * Every instance of one partition, walking listInstances page by page (`limit` a page) in the
 * store's order. Fails the case when the walk does not end within a generous bound.
 */
export async function listAll(
  store: Store,
  task: string,
  partition: number,
  limit = 100,
): Promise<InstanceRecord[]> {
  const records: InstanceRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await store.listInstances({ task, partition, limit, cursor });
    records.push(...page.instances);
    if (page.cursor === undefined) return records;
    cursor = page.cursor;
  }
  throw new Error(`listing ${task}/${partition} did not end`);
}
