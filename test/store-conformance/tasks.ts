import { ErrorCode, PartituraError } from "../../src/domain/errors.ts";
import {
  draft,
  listAll,
  MINUTE,
  names,
  plainTask,
  type StoreCases,
  seed,
  structArgs,
  T0,
  taskRecord,
} from "./fixtures.ts";

/** Task definitions: put, get, replace, delete, hasInstances. */
export const taskCases: StoreCases = {
  "putTask then getTask returns the definition field for field": async (t, store) => {
    const cron = taskRecord("nightly", {
      dynamic: false,
      schedule: { kind: "cron", cron: "0 3 * * *", timezone: "Europe/Ljubljana" },
      partitionCount: 1,
      executionMode: "at_most_once",
      failureMode: "commit",
      leaseMs: 5_000,
      misfirePolicy: "fast_forward",
      misfireGraceMs: 2_500,
      defaultArgs: structArgs({ region: "eu", retries: 3 }),
      enabled: false,
    });
    const dynamic = taskRecord("reports", { failureMode: "unlock", misfirePolicy: "skip" });
    await store.putTask(cron);
    await store.putTask(dynamic);
    const gotCron = await store.getTask("nightly");
    const gotDynamic = await store.getTask("reports");
    t.truthy(gotCron);
    t.truthy(gotDynamic);
    if (gotCron !== undefined) t.deepEqual(plainTask(gotCron), plainTask(cron));
    if (gotDynamic !== undefined) t.deepEqual(plainTask(gotDynamic), plainTask(dynamic));
  },

  "getTask of an unknown name is undefined": async (t, store) => {
    await store.putTask(taskRecord("known"));
    t.is(await store.getTask("unknown"), undefined);
  },

  "putTask replaces a definition and leaves its instances alone": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0 + MINUTE)]);
    const changed = taskRecord("reports", { leaseMs: 5_000, enabled: false, failureMode: "unlock" });
    await store.putTask(changed);
    const got = await store.getTask("reports");
    t.truthy(got);
    if (got !== undefined) t.deepEqual(plainTask(got), plainTask(changed));
    const instance = await store.getInstance("reports", 0, "a");
    t.is(instance?.nextRunAt, T0 + MINUTE, "the instance is untouched");
  },

  "an upsert that read the task before deleteTask is refused, and no instance of it outlives the delete":
    async (t, store) => {
      // The interleaving of a Schedule racing a DeleteTask: the task was read, then deleted,
      // then the write arrives. It must not leave instances that a re-created task inherits.
      const stale = taskRecord("raced", { partitionCount: 4 });
      await seed(t, store, stale, [draft("before", T0)]);
      t.true(await store.deleteTask("raced"));
      const drafts = Array.from({ length: 20 }, (_, i) => draft(`late-${i}`, T0, { partition: i % 4 }));
      const error = await t.throwsAsync(store.upsertInstances(stale, drafts, "safe", T0));
      t.is(error instanceof PartituraError ? error.code : undefined, ErrorCode.NotFound);
      await store.putTask(stale);
      for (let partition = 0; partition < 4; partition++) {
        t.deepEqual(names(await listAll(store, "raced", partition)), [], `partition ${partition} is empty`);
      }
      // The re-created task takes instances again.
      t.like(await store.upsertInstances(stale, [draft("after", T0)], "safe", T0), [{ outcome: "created" }]);
    },

  "concurrent upserts and deleteTask: an upsert answered ok lost its instances only to the delete": async (
    t,
    store,
  ) => {
    const task = taskRecord("raced", { partitionCount: 4 });
    for (let trial = 0; trial < 10; trial++) {
      await store.putTask(task);
      const drafts = Array.from({ length: 40 }, (_, i) => draft(`t${trial}-${i}`, T0, { partition: i % 4 }));
      const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const [upserted, deleted] = await Promise.allSettled([
        delay(trial % 3).then(() => store.upsertInstances(task, drafts, "safe", T0)),
        delay((trial + 1) % 3).then(() => store.deleteTask("raced")),
      ]);
      t.is(deleted.status, "fulfilled", `trial ${trial}: the delete succeeds`);
      if (upserted.status === "rejected") {
        const reason: unknown = upserted.reason;
        t.is(
          reason instanceof PartituraError ? reason.code : undefined,
          ErrorCode.NotFound,
          `trial ${trial}`,
        );
      }
      await store.putTask(task);
      for (let partition = 0; partition < 4; partition++) {
        t.deepEqual(
          names(await listAll(store, "raced", partition)),
          [],
          `trial ${trial}: nothing from before the delete in partition ${partition}`,
        );
      }
      await store.deleteTask("raced");
    }
  },

  "deleteTask removes the task and its instances in every partition, and only those": async (t, store) => {
    const task = taskRecord("doomed");
    const other = taskRecord("kept");
    await seed(t, store, task, [draft("a", T0), draft("b", T0, { partition: 3 })]);
    await seed(t, store, other, [draft("a", T0)]);
    t.true(await store.deleteTask("doomed"));
    t.is(await store.getTask("doomed"), undefined);
    t.false(await store.hasInstances(task));
    t.deepEqual(await listAll(store, "doomed", 0), []);
    t.deepEqual(await listAll(store, "doomed", 3), []);
    t.is(await store.nextDueAt("doomed", 0), undefined);
    t.deepEqual(
      (
        await store.claim({
          task: "doomed",
          partition: 3,
          now: T0 + MINUTE,
          limit: 10,
          leaseMs: MINUTE,
          owner: "w",
        })
      ).claimed,
      [],
    );
    t.truthy(await store.getTask("kept"), "another task survives");
    t.deepEqual(names(await listAll(store, "kept", 0)), ["a"], "another task keeps its instances");
  },

  "deleteTask of an unknown task is false": async (t, store) => {
    await store.putTask(taskRecord("known"));
    t.false(await store.deleteTask("unknown"));
    t.truthy(await store.getTask("known"));
  },

  "hasInstances is true while any partition holds an instance": async (t, store) => {
    const task = taskRecord("reports");
    await store.putTask(task);
    t.false(await store.hasInstances(task));
    await store.upsertInstances(task, [draft("x", T0, { partition: 2 })], "safe", T0);
    t.true(await store.hasInstances(task));
    t.false(await store.hasInstances(taskRecord("other")), "another task has none");
    t.is(await store.removeInstances("reports", [{ partition: 2, name: "x" }]), 1);
    t.false(await store.hasInstances(task));
  },
};
