import { fromBinary, toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import type { ScheduleSpec } from "../../src/domain/model.ts";
import {
  byName,
  draft,
  hex,
  LEASE_MS,
  leaseOf,
  listAll,
  MINUTE,
  mustGet,
  names,
  OWNER,
  plainTask,
  type StoreCases,
  seed,
  structArgs,
  T0,
  taskRecord,
} from "./fixtures.ts";

const PAYLOAD = {
  user: { id: 42, email: "ana@example.com", tags: ["vip", "eu"] },
  note: "čšž 日本語 🎉",
  ratio: 0.125,
  active: true,
  missing: null,
};

/** What goes in comes out: args bytes, names, schedules. */
export const dataCases: StoreCases = {
  "args round-trip byte-exact: a real google.protobuf.Struct and empty args": async (t, store) => {
    const args = structArgs(PAYLOAD);
    const task = taskRecord("reports", { defaultArgs: args });
    await seed(t, store, task, [draft("full", T0, { args }), draft("empty", T0 + 1)]);
    const full = await mustGet(t, store, "reports", 0, "full");
    const empty = await mustGet(t, store, "reports", 0, "empty");
    t.true(full.args instanceof Uint8Array);
    t.is(hex(full.args), hex(args));
    t.deepEqual(
      toJson(StructSchema, fromBinary(StructSchema, full.args)),
      PAYLOAD,
      "a client decodes its Struct",
    );
    t.true(empty.args instanceof Uint8Array);
    t.is(empty.args.length, 0, "empty args stay empty");
    const claimed = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 1,
        limit: 10,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    t.deepEqual(
      claimed.map((r) => hex(r.args)),
      [hex(args), ""],
      "claims deliver the same bytes",
    );
    const listed = byName(await listAll(store, "reports", 0));
    t.deepEqual(
      listed.map((r) => hex(r.args)),
      ["", hex(args)],
    );
    const storedTask = await store.getTask("reports");
    t.is(storedTask && hex(storedTask.defaultArgs), hex(args));
  },

  "names with unicode and dots round-trip through every operation": async (t, store) => {
    const taskName = "billing.v2.рассылка";
    const instanceNames = ["user.42.émail", "日本語.job", "emoji.🎉.x", "a:b{c}#d"];
    const task = taskRecord(taskName);
    await seed(
      t,
      store,
      task,
      instanceNames.map((name, i) => draft(name, T0 + i, { partitionKey: `key.${name}` })),
    );
    t.deepEqual(plainTask((await store.getTask(taskName)) ?? taskRecord("missing")), plainTask(task));
    t.deepEqual(names(await store.listTasks(10)), [taskName]);
    for (const name of instanceNames) {
      t.like(await store.getInstance(taskName, 0, name), {
        task: taskName,
        name,
        partitionKey: `key.${name}`,
      });
    }
    t.deepEqual(names(await listAll(store, taskName, 0)).sort(), [...instanceNames].sort());
    const claimed = (
      await store.claim({
        task: taskName,
        partition: 0,
        now: T0 + MINUTE,
        limit: 10,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    t.deepEqual(names(claimed), instanceNames, "claimed in due order");
    const results = await store.commit(
      claimed.map((r) => ({ lease: leaseOf(r), nextRunAt: null })),
      T0 + MINUTE + 1,
    );
    t.deepEqual(
      results.map((r) => r.status),
      instanceNames.map(() => "ok"),
    );
    t.false(await store.hasInstances(task));
  },

  "every kind of schedule round-trips": async (t, store) => {
    const schedules: ScheduleSpec[] = [
      { kind: "cron", cron: "*/5 9-17 * * 1-5", timezone: "America/New_York" },
      { kind: "cron", cron: "30 0 3 * * *", timezone: "UTC" },
      { kind: "interval", intervalMs: 1_500 },
      { kind: "at", atMs: T0 + 7 * MINUTE },
    ];
    await seed(
      t,
      store,
      taskRecord("reports"),
      schedules.map((schedule, i) => draft(`s${i}`, T0, { schedule })),
    );
    for (const [i, schedule] of schedules.entries()) {
      t.deepEqual((await mustGet(t, store, "reports", 0, `s${i}`)).schedule, schedule);
    }
  },
};
