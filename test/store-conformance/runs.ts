import type { RunRecord } from "../../src/domain/model.ts";
import type { Store } from "../../src/store/store.ts";
import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  OWNER,
  SECOND,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

const TASK = "reports";
const ref = (name: string) => ({ partition: 0, name });

async function claimOne(store: Store, name: string, now: number) {
  const { claimed } = await store.claim({
    task: TASK,
    partition: 0,
    now,
    limit: 10,
    leaseMs: LEASE_MS,
    owner: OWNER,
  });
  const record = claimed.find((r) => r.name === name);
  if (record === undefined) throw new Error(`${name} was not claimed at ${now}`);
  return record;
}

function run(slot: number, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    slot,
    deliveredAt: slot + 5,
    finishedAt: slot + 250,
    attempt: 1,
    worker: "worker-7",
    outcome: "success",
    reason: "scheduled",
    error: "",
    ...overrides,
  };
}

/** Run history (issue 14): recorded by commit and release, trimmed, removed with the instance. */
export const runCases: StoreCases = {
  "commits and releases record runs: counters, newest first, trimmed to the limit": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0), draft("quiet", T0)]);
    t.deepEqual(await store.getRuns(TASK, [ref("a"), ref("quiet"), ref("nobody")]), [
      undefined,
      undefined,
      undefined,
    ]);
    const written: RunRecord[] = [];
    let slot = T0;
    for (let n = 0; n < 4; n++) {
      const claimed = await claimOne(store, "a", slot);
      const failed = n === 1;
      const record = run(slot, {
        outcome: failed ? "failure" : "success",
        error: failed ? "boom: ünïcode" : "",
        reason: n === 2 ? "retry" : "scheduled",
        attempt: n === 2 ? 2 : 1,
      });
      written.unshift(record);
      if (failed) {
        const [status] = await store.release(
          [{ lease: leaseOf(claimed), run: { record, limit: 3 } }],
          slot + SECOND,
        );
        t.is(status, "ok");
      } else {
        const [result] = await store.commit(
          [
            {
              lease: leaseOf(claimed),
              nextRunAt: slot + MINUTE,
              keepLease: false,
              holdUntil: undefined,
              run: { record, limit: 3 },
            },
          ],
          slot + SECOND,
        );
        t.is(result?.status, "ok");
        slot += MINUTE;
      }
    }
    const [history, quiet] = await store.getRuns(TASK, [ref("a"), ref("quiet")]);
    t.is(quiet, undefined, "an instance that never ran has no history");
    t.like(history, { runs: 4, failures: 1, lastOutcome: "success" });
    t.deepEqual(history?.recent, written.slice(0, 3), "the three newest, newest first, exactly as written");
  },

  "a history limit of 0 keeps the counters only; a commit without a run records nothing": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const first = await claimOne(store, "a", T0);
    await store.commit(
      [
        {
          lease: leaseOf(first),
          nextRunAt: T0 + MINUTE,
          keepLease: false,
          holdUntil: undefined,
          run: { record: run(T0), limit: 0 },
        },
      ],
      T0,
    );
    const second = await claimOne(store, "a", T0 + MINUTE);
    await store.commit(
      [
        {
          lease: leaseOf(second),
          nextRunAt: T0 + 2 * MINUTE,
          keepLease: false,
          holdUntil: undefined,
          run: undefined,
        },
      ],
      T0 + MINUTE,
    );
    const [history] = await store.getRuns(TASK, [ref("a")]);
    t.deepEqual(history, { runs: 1, failures: 0, lastOutcome: "success", recent: [] });
  },

  "a refused commit records no run, and the history survives upserts and pauses": async (t, store) => {
    const task = taskRecord(TASK);
    await seed(t, store, task, [draft("a", T0)]);
    const claimed = await claimOne(store, "a", T0);
    const record = run(T0);
    await store.commit(
      [
        {
          lease: leaseOf(claimed),
          nextRunAt: T0 + MINUTE,
          keepLease: false,
          holdUntil: undefined,
          run: { record, limit: 5 },
        },
      ],
      T0,
    );
    const stale = await store.commit(
      [
        {
          lease: leaseOf(claimed),
          nextRunAt: T0 + MINUTE,
          keepLease: false,
          holdUntil: undefined,
          run: { record, limit: 5 },
        },
      ],
      T0,
    );
    t.is(stale[0]?.status, "lease_lost");
    await store.upsertInstances(task, [draft("a", T0 + 5 * MINUTE)], "force", T0 + SECOND);
    await store.upsertInstances(task, [draft("a", T0 + 6 * MINUTE)], "safe", T0 + SECOND);
    await store.pauseInstances({ task: TASK, refs: [ref("a")], note: "", now: T0 + SECOND });
    await store.resumeInstances({ task: TASK, refs: [ref("a")], skipMissed: false, now: T0 + SECOND });
    const [history] = await store.getRuns(TASK, [ref("a")]);
    t.deepEqual(history, { runs: 1, failures: 0, lastOutcome: "success", recent: [record] });
  },

  "the history is removed with the instance: unscheduled, a one-off that ran, or the task deleted": async (
    t,
    store,
  ) => {
    const task = taskRecord(TASK);
    await seed(t, store, task, [
      draft("gone", T0),
      draft("once", T0, { schedule: { kind: "at", atMs: T0 } }),
      draft("kept", T0),
    ]);
    const { claimed } = await store.claim({
      task: TASK,
      partition: 0,
      now: T0,
      limit: 10,
      leaseMs: LEASE_MS,
      owner: OWNER,
    });
    t.is(claimed.length, 3);
    const results = await store.commit(
      claimed.map((record) => ({
        lease: leaseOf(record),
        nextRunAt: record.name === "once" ? null : T0 + MINUTE,
        keepLease: false,
        holdUntil: undefined,
        run: { record: run(T0), limit: 5 },
      })),
      T0,
    );
    t.deepEqual(
      results.map((r) => r.status),
      ["ok", "ok", "ok"],
    );
    t.is(await store.removeInstances(TASK, [ref("gone")]), 1);
    const after = await store.getRuns(TASK, [ref("gone"), ref("once"), ref("kept")]);
    t.deepEqual(
      after.map((h) => h?.runs),
      [undefined, undefined, 1],
    );
    // Created again, the instance starts with no history.
    await store.upsertInstances(task, [draft("gone", T0 + MINUTE)], "safe", T0 + MINUTE);
    t.deepEqual(await store.getRuns(TASK, [ref("gone")]), [undefined]);
    t.like(await mustGet(t, store, TASK, 0, "kept"), { nextRunAt: T0 + MINUTE });
    t.true(await store.deleteTask(TASK));
    await store.putTask(task);
    await store.upsertInstances(task, [draft("kept", T0)], "safe", T0);
    t.deepEqual(await store.getRuns(TASK, [ref("kept")]), [undefined], "a deleted task's histories are gone");
  },
};
