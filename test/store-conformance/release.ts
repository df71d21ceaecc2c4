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

/** release: at once, after retryAt, per-item answers. */
export const releaseCases: StoreCases = {
  "release without retryAt makes the instance ready at once for a new delivery": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    t.deepEqual(await store.release([{ lease: leaseOf(claimed) }], T0 + 1_000), ["ok"]);
    const stored = await mustGet(t, store, "reports", 0, "a");
    t.like(stored, { nextRunAt: T0, leaseOwner: "", version: claimed.version + 1 });
    const due = await store.nextDueAt("reports", 0);
    t.true(due !== undefined && due <= T0 + 1_000, "ready at once");
    const [again] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 1_000,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-b",
      })
    ).claimed;
    t.like(again, { name: "a", version: claimed.version + 2, attempt: 2, leaseOwner: "replica-b" });
  },

  "release waits until a later nextRunAt": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const [kept] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE, keepLease: true }],
      T0 + 1,
    );
    const lease = { ...leaseOf(claimed), version: kept?.version ?? -1 };
    t.deepEqual(await store.release([{ lease }], T0 + 2), ["ok"]);
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
  },

  "release with retryAt holds the instance until then": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    t.deepEqual(await store.release([{ lease: leaseOf(claimed), retryAt: T0 + 10_000 }], T0 + 1_000), ["ok"]);
    t.is(await store.nextDueAt("reports", 0), T0 + 10_000);
    t.is((await mustGet(t, store, "reports", 0, "a")).nextRunAt, T0, "the scheduled slot is kept");
    t.deepEqual(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + 9_999,
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
          now: T0 + 10_000,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
      [{ name: "a", attempt: 2 }],
    );
  },

  "release refuses lost and unknown leases, answering in input order": async (t, store) => {
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
    const statuses = await store.release(
      [
        { lease: b },
        { lease: a },
        { lease: { ...c, name: "never-created" } },
        { lease: { ...b, version: b.version - 1 } },
      ],
      now,
    );
    t.deepEqual(statuses, ["ok", "lease_lost", "not_found", "lease_lost"]);
  },
};
