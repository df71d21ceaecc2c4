import type { ScheduleSpec } from "../../src/domain/model.ts";
import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  OWNER,
  type StoreCases,
  seed,
  structArgs,
  T0,
  taskRecord,
} from "./fixtures.ts";

/*
 * Schedule bounds (start_at, end_at) in the stores: kept with the instance and the task
 * through every rewrite of a record (claim, commit, pause, resume), absent when unset. The
 * stores know nothing else of them: the engine makes the next slot null past the end, and a
 * commit of null removes the instance, as it does a one-off's.
 */

const START = T0 - 7 * 86_400_000;
const END = T0 + 10 * MINUTE;
const BOUNDED: ScheduleSpec = { kind: "interval", intervalMs: MINUTE, startAtMs: START, endAtMs: END };
const SCHEDULES: readonly ScheduleSpec[] = [
  BOUNDED,
  { kind: "interval", intervalMs: MINUTE, endAtMs: END },
  { kind: "interval", intervalMs: MINUTE, startAtMs: START },
  {
    kind: "cron",
    cron: "*/5 * * * *",
    timezone: "Europe/Berlin",
    jitterMs: 30_000,
    startAtMs: START,
    endAtMs: END,
  },
];
const claimAt = (now: number) => ({
  task: "reports",
  partition: 0,
  now,
  limit: 10,
  leaseMs: LEASE_MS,
  owner: OWNER,
});

export const boundsCases: StoreCases = {
  "bounded schedules read back equal, on the instance and the task; unbounded ones carry no bound keys":
    async (t, store) => {
      const task = taskRecord("reports", { schedule: SCHEDULES[3] });
      const args = structArgs({ campaign: "spring" });
      await seed(t, store, task, [
        ...SCHEDULES.map((schedule, i) =>
          draft(`b${i}`, T0, { schedule, args, partitionKey: i === 0 ? "k" : "" }),
        ),
        draft("plain", T0),
      ]);
      t.deepEqual((await store.getTask("reports"))?.schedule, task.schedule);
      for (const [i, schedule] of SCHEDULES.entries()) {
        const record = await mustGet(t, store, "reports", 0, `b${i}`);
        t.deepEqual(record.schedule, schedule, `b${i}`);
        t.deepEqual(record.args, args, `b${i}: the args after the bounds are intact`);
      }
      const listed = (await store.listInstances({ task: "reports", partition: 0, limit: 10 })).instances;
      t.deepEqual(listed.find((r) => r.name === "b0")?.schedule, BOUNDED);
      const plain = (await mustGet(t, store, "reports", 0, "plain")).schedule;
      t.deepEqual(plain, { kind: "interval", intervalMs: MINUTE });
      t.false("startAtMs" in plain || "endAtMs" in plain, "an unbounded schedule carries no bound fields");
    },

  "the bounds survive claim, commit, pause and resume; a commit of no next slot removes the instance": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord("reports"), [draft("b", T0, { schedule: BOUNDED })]);
    const [claimed] = (await store.claim(claimAt(T0))).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    t.deepEqual(claimed.schedule, BOUNDED, "the claim carries the bounds");
    const [committed] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: END }], T0 + 1);
    t.is(committed?.status, "ok");
    t.deepEqual((await mustGet(t, store, "reports", 0, "b")).schedule, BOUNDED);

    const refs = [{ partition: 0, name: "b" }];
    t.deepEqual(await store.pauseInstances({ task: "reports", refs, note: "hold", now: T0 + 2 }), ["paused"]);
    t.deepEqual((await mustGet(t, store, "reports", 0, "b")).schedule, BOUNDED, "paused");
    await store.resumeInstances({ task: "reports", refs, skipMissed: false, now: T0 + 3 });
    t.like(await mustGet(t, store, "reports", 0, "b"), { nextRunAt: END, schedule: BOUNDED });

    // The last slot (at the end itself): the engine commits no next slot, and the instance is gone.
    const [last] = (await store.claim(claimAt(END))).claimed;
    if (last === undefined) return t.fail("the last slot is claimed");
    const [done] = await store.commit([{ lease: leaseOf(last), nextRunAt: null }], END + 1);
    t.is(done?.status, "ok");
    t.is(await store.getInstance("reports", 0, "b"), undefined);
  },
};
