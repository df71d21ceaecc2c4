import {
  byName,
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  OWNER,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

/** commit: next slot or delete, keepLease, per-item answers. */
export const commitCases: StoreCases = {
  "commit moves the instance to its next slot, unlocked, attempt 0, version bumped": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const [result] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }], T0 + 1_000);
    t.is(result?.status, "ok");
    t.like(await mustGet(t, store, "reports", 0, "a"), {
      nextRunAt: T0 + MINUTE,
      lockedUntil: 0,
      leaseOwner: "",
      attempt: 0,
      version: claimed.version + 1,
      incarnation: claimed.incarnation,
    });
    t.is(await store.nextDueAt("reports", 0), T0 + MINUTE);
    t.deepEqual(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + MINUTE - 1,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
      [],
    );
    t.like(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + MINUTE,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
      [{ name: "a", attempt: 1 }],
    );
  },

  "commit with nextRunAt null deletes the instance": async (t, store) => {
    const task = taskRecord("once");
    await seed(t, store, task, [draft("a", T0, { schedule: { kind: "at", atMs: T0 } })]);
    const [claimed] = (
      await store.claim({ task: "once", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    t.like(await store.commit([{ lease: leaseOf(claimed), nextRunAt: null }], T0 + 1), [{ status: "ok" }]);
    t.is(await store.getInstance("once", 0, "a"), undefined);
    t.false(await store.hasInstances(task));
    t.is(await store.nextDueAt("once", 0), undefined);
  },

  "commit with keepLease advances the slot but keeps the lock under the returned version": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const [result] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + 10_000, keepLease: true }],
      T0 + 1_000,
    );
    t.deepEqual(result, { status: "ok", version: claimed.version + 1 });
    t.like(await mustGet(t, store, "reports", 0, "a"), {
      nextRunAt: T0 + 10_000,
      lockedUntil: claimed.lockedUntil,
      version: claimed.version + 1,
      attempt: 0,
    });
    t.deepEqual(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + 20_000,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
      [],
      "still locked",
    );
    t.deepEqual(
      await store.release([{ lease: leaseOf(claimed) }], T0 + 2_000),
      ["lease_lost"],
      "old version is dead",
    );
    const kept = { ...leaseOf(claimed), version: claimed.version + 1 };
    t.deepEqual(await store.release([{ lease: kept }], T0 + 2_000), ["ok"]);
    t.is(await store.nextDueAt("reports", 0), T0 + 10_000, "released, it is ready at the advanced slot");
  },

  "a second commit of the same lease is lease_lost and changes nothing": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }], T0 + 1);
    const [again] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + 2 * MINUTE }], T0 + 2);
    t.is(again?.status, "lease_lost");
    t.is((await mustGet(t, store, "reports", 0, "a")).nextRunAt, T0 + MINUTE);
  },

  "a batch of commits answers per item, in input order": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [
      draft("a", T0),
      draft("b", T0),
      draft("c", T0),
      draft("d", T0),
    ]);
    const claimed = byName(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0,
          limit: 4,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
    );
    const [a, b, c, d] = claimed.map(leaseOf);
    if (a === undefined || b === undefined || c === undefined || d === undefined) {
      return t.fail("all four are claimed");
    }
    await store.removeInstances("reports", [{ partition: 0, name: "c" }]);
    const results = await store.commit(
      [
        { lease: d, nextRunAt: null },
        { lease: { ...b, version: b.version + 7 }, nextRunAt: T0 + MINUTE },
        { lease: c, nextRunAt: T0 + MINUTE },
        { lease: a, nextRunAt: T0 + MINUTE },
      ],
      T0 + 1_000,
    );
    t.deepEqual(
      results.map((r) => r.status),
      ["ok", "lease_lost", "not_found", "ok"],
    );
    t.is(await store.getInstance("reports", 0, "d"), undefined);
    t.like(await store.getInstance("reports", 0, "b"), { nextRunAt: T0, version: b.version }, "b untouched");
    t.like(await store.getInstance("reports", 0, "a"), { nextRunAt: T0 + MINUTE });
  },
};
