import type { Store } from "../../src/store/store.ts";
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

/** The names a claim of partition 0 at `now` takes. */
async function claimAt(store: Store, now: number): Promise<string[]> {
  const { claimed } = await store.claim({
    task: TASK,
    partition: 0,
    now,
    limit: 10,
    leaseMs: LEASE_MS,
    owner: OWNER,
  });
  return names(claimed).sort();
}

const refs = (...list: string[]) => list.map((name) => ({ partition: 0, name }));

/** pauseInstances and resumeInstances (issue 14). */
export const pauseCases: StoreCases = {
  "a paused instance is never claimed nor due; resumed, it is due at its stored slot": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0), draft("b", T0 + MINUTE)]);
    t.deepEqual(
      await store.pauseInstances({ task: TASK, refs: refs("a"), note: "ops: db migration", now: T0 }),
      ["paused"],
    );
    t.like(await mustGet(t, store, TASK, 0, "a"), {
      nextRunAt: T0,
      paused: { at: T0, note: "ops: db migration" },
    });
    t.is(await store.nextDueAt(TASK, 0), T0 + MINUTE, "the paused instance is out of the due index");
    t.deepEqual(await claimAt(store, T0 + 10 * MINUTE), ["b"], "only the active instance is claimed");
    t.like(
      (await store.listInstances({ task: TASK, partition: 0, limit: 10 })).instances.find(
        (i) => i.name === "a",
      ),
      {
        paused: { at: T0, note: "ops: db migration" },
      },
    );

    const resumed = await store.resumeInstances({
      task: TASK,
      refs: refs("a"),
      skipMissed: false,
      now: T0 + 10 * MINUTE,
    });
    t.deepEqual(resumed, [{ outcome: "resumed", readyAt: T0 }]);
    const record = await mustGet(t, store, TASK, 0, "a");
    t.is(record.paused, undefined);
    t.false("paused" in record, "an active record carries no pause field");
    t.is(record.nextRunAt, T0, "the missed slot is kept for the misfire policy");
    t.deepEqual(await claimAt(store, T0 + 10 * MINUTE), ["a"]);
  },

  "pause and resume are idempotent and answer not_found per name": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0), draft("b", T0)]);
    t.deepEqual(
      await store.pauseInstances({ task: TASK, refs: refs("a", "nobody"), note: "first", now: T0 }),
      ["paused", "not_found"],
    );
    t.deepEqual(
      await store.pauseInstances({ task: TASK, refs: refs("a", "a"), note: "second", now: T0 + SECOND }),
      ["already_paused", "already_paused"],
    );
    t.like(
      await mustGet(t, store, TASK, 0, "a"),
      { paused: { at: T0, note: "first" } },
      "the first pause stays",
    );
    t.deepEqual(await store.pauseInstances({ task: TASK, refs: [], note: "", now: T0 }), []);

    const now = T0 + MINUTE;
    t.like(
      await store.resumeInstances({ task: TASK, refs: refs("a", "b", "nobody"), skipMissed: false, now }),
      [{ outcome: "resumed" }, { outcome: "not_paused" }, { outcome: "not_found" }],
    );
    t.deepEqual(await store.resumeInstances({ task: TASK, refs: refs("a"), skipMissed: false, now }), [
      { outcome: "not_paused" },
    ]);
    t.deepEqual(await store.resumeInstances({ task: TASK, refs: [], skipMissed: true, now }), []);
    t.deepEqual(await claimAt(store, now), ["a", "b"]);
  },

  "an execution in flight when paused commits, and the instance stays paused at its next slot": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const [lease] = (
      await store.claim({ task: TASK, partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (lease === undefined) return t.fail("the due instance is claimed");
    t.deepEqual(await store.pauseInstances({ task: TASK, refs: refs("a"), note: "", now: T0 + SECOND }), [
      "paused",
    ]);
    const [committed] = await store.commit(
      [{ lease: leaseOf(lease), nextRunAt: T0 + MINUTE }],
      T0 + 2 * SECOND,
    );
    t.is(committed?.status, "ok", "the running execution finishes");
    t.like(await mustGet(t, store, TASK, 0, "a"), {
      nextRunAt: T0 + MINUTE,
      lockedUntil: 0,
      paused: { at: T0 + SECOND, note: "" },
    });
    t.is(await store.nextDueAt(TASK, 0), undefined, "the commit did not put it back in the due index");
    t.deepEqual(await claimAt(store, T0 + 10 * MINUTE), []);

    t.deepEqual(
      await store.resumeInstances({ task: TASK, refs: refs("a"), skipMissed: false, now: T0 + 10 * MINUTE }),
      [{ outcome: "resumed", readyAt: T0 + MINUTE }],
    );
    t.deepEqual(await claimAt(store, T0 + 10 * MINUTE), ["a"]);
  },

  "a paused instance's lease is extended and released without making it claimable": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const [lease] = (
      await store.claim({ task: TASK, partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (lease === undefined) return t.fail("the due instance is claimed");
    await store.pauseInstances({ task: TASK, refs: refs("a"), note: "hold", now: T0 });
    t.like(await store.extendLeases([{ lease: leaseOf(lease), durationMs: MINUTE }], T0 + SECOND), [
      { status: "ok" },
    ]);
    t.deepEqual(
      await claimAt(store, T0 + 2 * MINUTE),
      [],
      "an expired lease of a paused instance is not redelivered",
    );
    t.deepEqual(await store.release([{ lease: leaseOf(lease) }], T0 + 2 * SECOND), ["ok"]);
    t.deepEqual(await claimAt(store, T0 + 2 * MINUTE), []);
    t.like(await mustGet(t, store, TASK, 0, "a"), {
      nextRunAt: T0,
      leaseOwner: "",
      paused: { note: "hold" },
    });
    t.is(await store.nextDueAt(TASK, 0), undefined);
    // Resumed, the slot it never finished runs (at-least-once).
    await store.resumeInstances({ task: TASK, refs: refs("a"), skipMissed: false, now: T0 + 2 * MINUTE });
    t.deepEqual(await claimAt(store, T0 + 2 * MINUTE), ["a"]);
  },

  "resume with skipMissed continues at the first slot after now; a future slot is kept": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [
      draft("late", T0),
      draft("ahead", T0 + 10 * MINUTE),
      draft("once", T0, { schedule: { kind: "at", atMs: T0 } }),
    ]);
    await store.pauseInstances({ task: TASK, refs: refs("late", "ahead", "once"), note: "", now: T0 });
    const now = T0 + 5 * MINUTE + 30 * SECOND;
    t.deepEqual(
      await store.resumeInstances({ task: TASK, refs: refs("late", "ahead", "once"), skipMissed: true, now }),
      [
        { outcome: "resumed", readyAt: T0 + 6 * MINUTE },
        { outcome: "resumed", readyAt: T0 + 10 * MINUTE },
        { outcome: "resumed", readyAt: T0 },
      ],
    );
    t.is(
      (await mustGet(t, store, TASK, 0, "late")).nextRunAt,
      T0 + 6 * MINUTE,
      "the missed slots are skipped",
    );
    t.is((await mustGet(t, store, TASK, 0, "ahead")).nextRunAt, T0 + 10 * MINUTE);
    t.is((await mustGet(t, store, TASK, 0, "once")).nextRunAt, T0, "a one-off still runs once");
    const { claimed } = await store.claim({
      task: TASK,
      partition: 0,
      now,
      limit: 10,
      leaseMs: LEASE_MS,
      owner: OWNER,
    });
    t.deepEqual(names(claimed), ["once"]);
    const [once] = claimed;
    if (once !== undefined) await store.commit([{ lease: leaseOf(once), nextRunAt: null }], now);
    t.deepEqual(await claimAt(store, T0 + 6 * MINUTE), ["late"]);
  },

  "an upsert (SAFE or FORCE) keeps a paused instance paused; a removed one comes back active": async (
    t,
    store,
  ) => {
    const task = taskRecord(TASK);
    await seed(t, store, task, [draft("a", T0)]);
    await store.pauseInstances({ task: TASK, refs: refs("a"), note: "keep", now: T0 });
    const [safe] = await store.upsertInstances(task, [draft("a", T0 + MINUTE)], "safe", T0 + SECOND);
    t.like(safe, { outcome: "updated", instance: { paused: { at: T0, note: "keep" } } });
    const [force] = await store.upsertInstances(task, [draft("a", T0 + 2 * MINUTE)], "force", T0 + SECOND);
    t.like(force, { outcome: "updated", instance: { nextRunAt: T0 + 2 * MINUTE, paused: { note: "keep" } } });
    t.like(await mustGet(t, store, TASK, 0, "a"), {
      nextRunAt: T0 + 2 * MINUTE,
      paused: { at: T0, note: "keep" },
    });
    t.is(await store.nextDueAt(TASK, 0), undefined);
    t.deepEqual(await claimAt(store, T0 + 10 * MINUTE), []);

    t.is(await store.removeInstances(TASK, refs("a")), 1);
    const [created] = await store.upsertInstances(task, [draft("a", T0)], "safe", T0 + SECOND);
    t.is(created?.outcome, "created");
    t.false("paused" in (await mustGet(t, store, TASK, 0, "a")), "a new instance starts active");
    t.deepEqual(await claimAt(store, T0 + MINUTE), ["a"]);
  },
};
