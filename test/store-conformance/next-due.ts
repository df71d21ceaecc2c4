import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  OWNER,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

/** nextDueAt: the earliest ready time of a partition. */
export const nextDueCases: StoreCases = {
  "claim answers nextDueAt as it is after the claim": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0 + 1_000), draft("b", T0 + 5_000)]);
    const at = (now: number, limit = 10) =>
      store.claim({ task: "reports", partition: 0, now, limit, leaseMs: LEASE_MS, owner: OWNER });
    t.deepEqual(await at(T0), { claimed: [], nextDueAt: T0 + 1_000 });
    t.deepEqual(await at(T0 + 1_000, 0), { claimed: [], nextDueAt: T0 + 1_000 }, "limit 0 claims nothing");
    const first = await at(T0 + 1_000);
    t.like(first.claimed, [{ name: "a", attempt: 1, lockedUntil: T0 + 1_000 + LEASE_MS }]);
    t.is(first.nextDueAt, T0 + 5_000);
    const second = await at(T0 + 5_000);
    t.like(second.claimed, [{ name: "b" }]);
    t.is(second.nextDueAt, T0 + 1_000 + LEASE_MS, "a locked instance counts at its lease end");
    t.is(second.nextDueAt, await store.nextDueAt("reports", 0));
    const empty = await store.claim({
      task: "unknown",
      partition: 0,
      now: T0,
      limit: 10,
      leaseMs: LEASE_MS,
      owner: OWNER,
    });
    t.deepEqual(empty, { claimed: [], nextDueAt: undefined });
  },

  "nextDueAt is undefined for an empty partition": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0, { partition: 1 })]);
    t.is(await store.nextDueAt("reports", 0), undefined);
    t.is(await store.nextDueAt("unknown", 0), undefined);
  },

  "nextDueAt counts locked instances at their lease end": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0 + 1_000), draft("b", T0 + 5_000)]);
    t.is(await store.nextDueAt("reports", 0), T0 + 1_000);
    await store.claim({
      task: "reports",
      partition: 0,
      now: T0 + 1_000,
      limit: 1,
      leaseMs: LEASE_MS,
      owner: OWNER,
    }); // a, locked to T0+31s
    t.is(await store.nextDueAt("reports", 0), T0 + 5_000);
    await store.claim({
      task: "reports",
      partition: 0,
      now: T0 + 5_000,
      limit: 1,
      leaseMs: LEASE_MS,
      owner: OWNER,
    }); // b, locked to T0+35s
    t.is(await store.nextDueAt("reports", 0), T0 + 1_000 + LEASE_MS);
  },

  "nextDueAt follows upserts, commits and removals": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0 + 10 * MINUTE)]);
    await store.upsertInstances(task, [draft("b", T0 + 2 * MINUTE)], "safe", T0);
    t.is(await store.nextDueAt("reports", 0), T0 + 2 * MINUTE);
    const [b] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 2 * MINUTE,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    if (b === undefined) return t.fail("b is claimed");
    await store.commit([{ lease: leaseOf(b), nextRunAt: T0 + 20 * MINUTE }], T0 + 2 * MINUTE + 1);
    t.is(await store.nextDueAt("reports", 0), T0 + 10 * MINUTE);
    await store.removeInstances("reports", [{ partition: 0, name: "a" }]);
    t.is(await store.nextDueAt("reports", 0), T0 + 20 * MINUTE);
    await store.removeInstances("reports", [{ partition: 0, name: "b" }]);
    t.is(await store.nextDueAt("reports", 0), undefined);
  },
};
