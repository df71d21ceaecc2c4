import type { ManualRunItem, Store } from "../../src/store/store.ts";
import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  names,
  OWNER,
  SECOND,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

const TASK = "reports";

async function claimAt(store: Store, now: number) {
  return (await store.claim({ task: TASK, partition: 0, now, limit: 10, leaseMs: LEASE_MS, owner: OWNER }))
    .claimed;
}

function trigger(name: string, id: string, at: number): ManualRunItem {
  return { ref: { partition: 0, name }, id, kind: "triggered", first: at, end: at };
}

/** requestManualRuns and the commits that arm and end a manual run (issue 14). */
export const manualCases: StoreCases = {
  "a trigger of an idle instance arms it: due at once, its slot kept to resume at": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0 + 10 * MINUTE)]);
    const now = T0 + MINUTE;
    const outcomes = await store.requestManualRuns({ task: TASK, items: [trigger("a", "r1", now)], now });
    t.deepEqual(outcomes, ["accepted"]);
    const armed = await mustGet(t, store, TASK, 0, "a");
    t.like(armed, { nextRunAt: now, lockedUntil: 0 });
    t.deepEqual(armed.manual, {
      id: "r1",
      kind: "triggered",
      state: "armed",
      first: now,
      end: now,
      resume: T0 + 10 * MINUTE,
    });
    t.is(await store.nextDueAt(TASK, 0), now, "due at the trigger's time");

    const [claimed] = await claimAt(store, now);
    t.truthy(claimed, "the claim takes the armed instance");
    t.deepEqual(claimed?.manual?.state, "armed", "the claimed record says it is the manual run");
    if (claimed === undefined) return;
    const [result] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + 10 * MINUTE, finishManual: true }],
      now + SECOND,
    );
    t.is(result?.status, "ok");
    const after = await mustGet(t, store, TASK, 0, "a");
    t.is(after.nextRunAt, T0 + 10 * MINUTE, "the scheduled slot did not move");
    t.like(after.manual, { id: "r1", state: "done" });
    t.deepEqual(
      await store.requestManualRuns({
        task: TASK,
        items: [trigger("a", "r1", now + 2 * SECOND)],
        now: now + 2 * SECOND,
      }),
      ["duplicate"],
      "the same request id runs nothing again, even after it finished",
    );
    t.is((await mustGet(t, store, TASK, 0, "a")).nextRunAt, T0 + 10 * MINUTE);
  },

  "a trigger of a leased instance is queued, and the commit of its slot arms it": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const [claimed] = await claimAt(store, T0);
    if (claimed === undefined) return t.fail("claimed");
    const now = T0 + SECOND;
    t.deepEqual(await store.requestManualRuns({ task: TASK, items: [trigger("a", "r1", now)], now }), [
      "queued",
    ]);
    t.deepEqual(await claimAt(store, now), [], "never a second execution while the lease is out");
    t.like((await mustGet(t, store, TASK, 0, "a")).manual, { state: "waiting" });
    t.deepEqual(
      await store.requestManualRuns({ task: TASK, items: [trigger("a", "r2", now)], now }),
      ["busy"],
      "another id is not stacked while one has not finished",
    );
    const [committed] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }],
      now + SECOND,
    );
    t.is(committed?.status, "ok");
    const armed = await mustGet(t, store, TASK, 0, "a");
    t.is(armed.nextRunAt, now, "armed at the trigger's time");
    t.like(armed.manual, { state: "armed", resume: T0 + MINUTE });
    t.deepEqual(names(await claimAt(store, now + 2 * SECOND)), ["a"]);
  },

  "a backfill runs its slots through commits, then resumes the schedule": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0 + 10 * MINUTE)]);
    const now = T0 + 5 * MINUTE;
    const item: ManualRunItem = {
      ref: { partition: 0, name: "a" },
      id: "b1",
      kind: "backfill",
      first: T0 - 2 * MINUTE,
      end: T0,
    };
    t.deepEqual(await store.requestManualRuns({ task: TASK, items: [item], now }), ["accepted"]);
    let [claimed] = await claimAt(store, now);
    if (claimed === undefined) return t.fail("claimed");
    t.is(claimed.nextRunAt, T0 - 2 * MINUTE, "the first backfill slot");
    await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 - MINUTE }], now);
    [claimed] = await claimAt(store, now);
    if (claimed === undefined) return t.fail("claimed again");
    t.is(claimed.nextRunAt, T0 - MINUTE, "an advancing commit keeps the run armed at its next slot");
    t.like(claimed.manual, { state: "armed", resume: T0 + 10 * MINUTE });
    await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + 10 * MINUTE, finishManual: true }], now);
    const after = await mustGet(t, store, TASK, 0, "a");
    t.is(after.nextRunAt, T0 + 10 * MINUTE);
    t.like(after.manual, { state: "done" });
  },

  "paused and missing instances are refused; FORCE drops a manual run, SAFE keeps it": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [
      draft("a", T0 + MINUTE),
      draft("b", T0 + MINUTE),
      draft("p", T0),
    ]);
    await store.pauseInstances({ task: TASK, refs: [{ partition: 0, name: "p" }], note: "", now: T0 });
    const now = T0;
    t.deepEqual(
      await store.requestManualRuns({
        task: TASK,
        items: [
          trigger("p", "r", now),
          trigger("nobody", "r", now),
          trigger("a", "r", now),
          trigger("b", "r", now),
        ],
        now,
      }),
      ["not_active", "not_found", "accepted", "accepted"],
    );
    const task = taskRecord(TASK);
    await store.upsertInstances(task, [draft("a", T0 + 2 * MINUTE)], "force", now);
    const forced = await mustGet(t, store, TASK, 0, "a");
    t.false("manual" in forced, "a FORCE re-schedule gives the trigger up");
    t.is(forced.nextRunAt, T0 + 2 * MINUTE);
    await store.upsertInstances(task, [draft("b", T0 + 2 * MINUTE)], "safe", now);
    const kept = await mustGet(t, store, TASK, 0, "b");
    t.like(kept.manual, { state: "armed" }, "a SAFE re-schedule keeps it");
    t.is(kept.nextRunAt, now);
  },

  "a paused armed instance keeps its run; a skipping resume gives it up": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0 + MINUTE)]);
    await store.requestManualRuns({ task: TASK, items: [trigger("a", "r", T0)], now: T0 });
    await store.pauseInstances({ task: TASK, refs: [{ partition: 0, name: "a" }], note: "", now: T0 });
    t.like((await mustGet(t, store, TASK, 0, "a")).manual, { state: "armed" });
    const [resumed] = await store.resumeInstances({
      task: TASK,
      refs: [{ partition: 0, name: "a" }],
      skipMissed: true,
      now: T0 + 30 * SECOND,
    });
    t.is(resumed?.outcome, "resumed");
    const after = await mustGet(t, store, TASK, 0, "a");
    t.like(after.manual, { state: "done" });
    t.is(after.nextRunAt, T0 + MINUTE, "it goes on at its scheduled slot after now");
  },
};
