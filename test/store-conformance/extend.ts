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

/** extendLeases: heartbeats. */
export const extendCases: StoreCases = {
  "extendLeases moves lockedUntil and keeps the version, so the lease outlives its first end": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const results = await store.extendLeases([{ lease: leaseOf(claimed), durationMs: MINUTE }], T0 + 10_000);
    t.deepEqual(results, [{ status: "ok", lockedUntil: T0 + 10_000 + MINUTE }]);
    t.like(await mustGet(t, store, "reports", 0, "a"), {
      lockedUntil: T0 + 10_000 + MINUTE,
      version: claimed.version,
      leaseOwner: OWNER,
    });
    t.is(await store.nextDueAt("reports", 0), T0 + 10_000 + MINUTE);
    t.deepEqual(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + 10_000 + MINUTE - 1,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: "replica-b",
        })
      ).claimed,
      [],
      "nobody else takes it while extended",
    );
    const [commit] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + 2 * MINUTE }],
      T0 + MINUTE,
    );
    t.is(commit?.status, "ok", "past the original lease end, the extended lease still commits");
  },

  "extendLeases refuses expired, moved and unknown leases, answering in input order": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0), draft("b", T0 + 10), draft("c", T0)]);
    const [a, c] = byName(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0,
          limit: 2,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
    ).map(leaseOf);
    const [b] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 10,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed.map(leaseOf);
    if (a === undefined || b === undefined || c === undefined) return t.fail("all three are claimed");
    const now = T0 + LEASE_MS + 1; // a's and c's leases have ended, b's has not
    const results = await store.extendLeases(
      [
        { lease: a, durationMs: MINUTE },
        { lease: { ...b, version: b.version + 1 }, durationMs: MINUTE },
        { lease: b, durationMs: MINUTE },
        { lease: { ...c, task: "no-such-task" }, durationMs: MINUTE },
      ],
      now,
    );
    t.deepEqual(
      results.map((r) => r.status),
      ["lease_lost", "lease_lost", "ok", "not_found"],
    );
    t.is(results[2]?.lockedUntil, now + MINUTE);
    t.is(
      (await mustGet(t, store, "reports", 0, "a")).lockedUntil,
      T0 + LEASE_MS,
      "an expired lease is not revived",
    );
  },
};
