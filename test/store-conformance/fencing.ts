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

/** Fencing: versions, lease expiry and incarnations keep stale leases away from newer state. */
export const fencingCases: StoreCases = {
  "a recreated instance has a new incarnation, so a stale lease gets not_found": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0)]);
    const [old] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (old === undefined) return t.fail("the due instance is claimed");
    t.is(await store.removeInstances("reports", [{ partition: 0, name: "a" }]), 1);
    const [again] = await store.upsertInstances(task, [draft("a", T0)], "safe", T0 + 1);
    t.is(again?.outcome, "created");
    t.not(again?.instance.incarnation, old.incarnation, "a new incarnation");
    // Claim the new one so its version equals the stale lease's: only the incarnation differs.
    const [fresh] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 2,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-b",
      })
    ).claimed;
    t.is(fresh?.version, old.version);
    const stale = leaseOf(old);
    t.like(await store.commit([{ lease: stale, nextRunAt: T0 + MINUTE }], T0 + 3), [{ status: "not_found" }]);
    t.deepEqual(await store.release([{ lease: stale }], T0 + 3), ["not_found"]);
    t.like(await store.extendLeases([{ lease: stale, durationMs: MINUTE }], T0 + 3), [
      { status: "not_found" },
    ]);
    t.like(
      await mustGet(t, store, "reports", 0, "a"),
      { leaseOwner: "replica-b", nextRunAt: T0 },
      "untouched",
    );
  },

  "removeInstances removes a leased instance at once and counts only those that existed": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0), draft("b", T0, { partition: 1 })]);
    const [leased] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (leased === undefined) return t.fail("the due instance is claimed");
    const removed = await store.removeInstances("reports", [
      { partition: 0, name: "a" },
      { partition: 1, name: "b" },
      { partition: 1, name: "never-created" },
      { partition: 2, name: "a" },
    ]);
    t.is(removed, 2);
    t.is(await store.getInstance("reports", 0, "a"), undefined);
    t.like(await store.commit([{ lease: leaseOf(leased), nextRunAt: T0 + MINUTE }], T0 + 1), [
      { status: "not_found" },
    ]);
    t.is(await store.getInstance("reports", 0, "a"), undefined, "a late ack does not resurrect it");
  },

  "a lease is live through its last millisecond and lost one after": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [
      draft("a", T0),
      draft("b", T0),
      draft("c", T0),
      draft("d", T0),
    ]);
    const leases = byName(
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
    ).map(leaseOf);
    const [a, b, c, d] = leases;
    if (a === undefined || b === undefined || c === undefined || d === undefined) {
      return t.fail("all four are claimed");
    }
    const end = T0 + LEASE_MS;
    t.like(await store.commit([{ lease: a, nextRunAt: T0 + MINUTE }], end), [{ status: "ok" }]);
    t.like(await store.commit([{ lease: b, nextRunAt: T0 + MINUTE }], end + 1), [{ status: "lease_lost" }]);
    t.deepEqual(await store.release([{ lease: c }], end + 1), ["lease_lost"]);
    t.like(await store.extendLeases([{ lease: d, durationMs: MINUTE }], end + 1), [{ status: "lease_lost" }]);
    t.like(await mustGet(t, store, "reports", 0, "b"), { nextRunAt: T0, version: b.version }, "b untouched");
  },

  "after a lease expires and another claim takes over, only the new holder settles": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [first] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-a",
      })
    ).claimed;
    const [second] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + LEASE_MS + 1,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-b",
      })
    ).claimed;
    if (first === undefined || second === undefined) return t.fail("both claims take the instance");
    t.not(second.version, first.version);
    const results = await store.commit(
      [
        { lease: leaseOf(first), nextRunAt: T0 + 5 * MINUTE },
        { lease: leaseOf(second), nextRunAt: T0 + MINUTE },
      ],
      T0 + LEASE_MS + 2,
    );
    t.deepEqual(
      results.map((r) => r.status),
      ["lease_lost", "ok"],
    );
    t.is((await mustGet(t, store, "reports", 0, "a")).nextRunAt, T0 + MINUTE);
  },
};
