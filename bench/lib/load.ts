import { create, toBinary } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import type { InstanceDraft, ScheduleSpec, TaskRecord } from "../../src/domain/model.ts";
import { selectPartition } from "../../src/domain/selector.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";

/*
 * Scenarios that measure firing, memory or claims load their instances straight through the
 * store's batched upsertInstances, from the bench process, before the server starts: loading
 * is then fast, and each instance's first slot can be placed exactly (spread evenly over a
 * second, or all far in the future), which the Schedule call cannot do. The schedule
 * scenario measures the Schedule call itself.
 */

/**
 * A dynamic task with the defaults a user gets (at-least-once, catch-up, 60 s leases, run
 * history of 10); BENCH_HISTORY_LIMIT sets the history limit (0: counters only).
 */
export function benchTask(name: string, partitionCount: number): TaskRecord {
  const history = process.env.BENCH_HISTORY_LIMIT;
  return {
    name,
    dynamic: true,
    schedule: undefined,
    partitionCount,
    executionMode: "at_least_once",
    failureMode: "none",
    leaseMs: 60_000,
    misfirePolicy: "catch_up",
    misfireGraceMs: 1_000,
    defaultArgs: new Uint8Array(0),
    enabled: true,
    ...(history === undefined ? {} : { historyLimit: Number(history) }),
  };
}

/** Small args, as a user might attach: `{"user": "u<i>"}` encoded as a google.protobuf.Struct. */
export function smallArgs(i: number): Uint8Array {
  return toBinary(
    StructSchema,
    create(StructSchema, { fields: { user: { kind: { case: "stringValue", value: `u${i}` } } } }),
  );
}

/** Opens a store by URL for loading, with a quiet logger. */
export function openBenchStore(url: string): Promise<Store> {
  return openStore(url, pino({ level: "warn" }));
}

/** How instance `i` of a load looks. */
export interface InstancePlan {
  readonly count: number;
  readonly schedule: (i: number) => ScheduleSpec;
  readonly nextRunAt: (i: number) => number;
  readonly name?: (i: number) => string;
  /** Args of instance `i` (default: smallArgs). */
  readonly args?: (i: number) => Uint8Array;
  /** The instances exist already and are overwritten (FORCE), so "updated" is expected. */
  readonly replace?: boolean;
  /** The first slot's jittered delivery time (InstanceDraft.holdUntil), when it has one. */
  readonly holdUntil?: (i: number) => number | undefined;
}

/**
 * Upserts `plan.count` instances of `task` in batches, several batches in flight; returns the
 * seconds it took. Throws unless every instance was created (or, with `replace`, updated).
 */
export async function loadInstances(
  store: Store,
  task: TaskRecord,
  plan: InstancePlan,
  batch = 2_000,
  concurrency = 4,
): Promise<number> {
  const started = performance.now();
  const nameOf = plan.name ?? ((i: number) => `i${i}`);
  let next = 0;
  let done = 0;
  const expected = plan.replace ? "updated" : "created";
  const lane = async (): Promise<void> => {
    while (next < plan.count) {
      const from = next;
      const to = Math.min(plan.count, from + batch);
      next = to;
      const drafts: InstanceDraft[] = [];
      for (let i = from; i < to; i++) {
        const name = nameOf(i);
        const hold = plan.holdUntil?.(i);
        drafts.push({
          name,
          partition: selectPartition(name, task.partitionCount),
          partitionKey: "",
          schedule: plan.schedule(i),
          args: plan.args?.(i) ?? smallArgs(i),
          nextRunAt: plan.nextRunAt(i),
          ...(hold === undefined ? {} : { holdUntil: hold }),
        });
      }
      const results = await store.upsertInstances(task, drafts, "force", Date.now());
      for (const r of results) if (r.outcome === expected) done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (done !== plan.count) throw new Error(`${expected} ${done} of ${plan.count} instances`);
  return (performance.now() - started) / 1000;
}
