import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  names,
  OWNER,
  plain,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

/** claim: readiness, order, limit, the lease it sets, concurrency, partitions. */
export const claimCases: StoreCases = {
  "claim takes only ready instances, earliest first, at most limit": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [
      draft("a", T0 + 3_000),
      draft("b", T0 + 1_000),
      draft("c", T0 + 2_000),
      draft("d", T0 + 5_000), // due exactly at the claim's now: ready
      draft("e", T0 + MINUTE), // not yet due
    ]);
    const now = T0 + 5_000;
    const lease = 10 * MINUTE; // outlasts the last claim below
    const first = (
      await store.claim({ task: "reports", partition: 0, now, limit: 2, leaseMs: lease, owner: OWNER })
    ).claimed;
    t.deepEqual(names(first), ["b", "c"]);
    for (const record of first) {
      t.like(record, { version: 1, attempt: 1, lockedUntil: now + lease, leaseOwner: OWNER });
    }
    const second = (
      await store.claim({ task: "reports", partition: 0, now, limit: 10, leaseMs: lease, owner: "replica-b" })
    ).claimed;
    t.deepEqual(names(second), ["a", "d"], "leased instances are not ready; e is not due");
    t.is(second[0]?.leaseOwner, "replica-b");
    t.deepEqual(
      (await store.claim({ task: "reports", partition: 0, now, limit: 10, leaseMs: lease, owner: OWNER }))
        .claimed,
      [],
    );
    t.deepEqual(
      names(
        (
          await store.claim({
            task: "reports",
            partition: 0,
            now: T0 + MINUTE,
            limit: 10,
            leaseMs: lease,
            owner: OWNER,
          })
        ).claimed,
      ),
      ["e"],
    );
  },

  "claim returns the records as they are stored after the claim": async (t, store) => {
    const [created] = await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [claimed] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 10,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    if (claimed === undefined || created === undefined) return t.fail("the due instance is claimed");
    t.deepEqual(plain(claimed), plain(await mustGet(t, store, "reports", 0, "a")));
    t.like(claimed, {
      nextRunAt: T0,
      incarnation: created.incarnation,
      version: created.version + 1,
      createdAt: created.createdAt,
    });
  },

  "a leased instance is ready again when its lease ends, with the next version and attempt": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    const [first] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    t.deepEqual(
      (
        await store.claim({
          task: "reports",
          partition: 0,
          now: T0 + LEASE_MS - 1,
          limit: 1,
          leaseMs: LEASE_MS,
          owner: "replica-b",
        })
      ).claimed,
      [],
    );
    const [again] = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + LEASE_MS,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-b",
      })
    ).claimed;
    t.like(again, {
      name: "a",
      version: 2,
      attempt: 2,
      lockedUntil: T0 + 2 * LEASE_MS,
      leaseOwner: "replica-b",
    });
    if (first === undefined) return t.fail("the due instance is claimed");
    const [late] = await store.commit([{ lease: leaseOf(first), nextRunAt: T0 + MINUTE }], T0 + LEASE_MS + 1);
    t.is(late?.status, "lease_lost", "the first holder lost the instance to the second");
  },

  "two concurrent claims never return the same instance": async (t, store) => {
    const count = 20;
    await seed(
      t,
      store,
      taskRecord("reports"),
      Array.from({ length: count }, (_, i) => draft(`i${String(i).padStart(2, "0")}`, T0 + i)),
    );
    const now = T0 + MINUTE;
    const [a, b] = await Promise.all([
      store
        .claim({ task: "reports", partition: 0, now, limit: 15, leaseMs: LEASE_MS, owner: "replica-a" })
        .then((r) => r.claimed),
      store
        .claim({ task: "reports", partition: 0, now, limit: 15, leaseMs: LEASE_MS, owner: "replica-b" })
        .then((r) => r.claimed),
    ]);
    const taken = [...names(a), ...names(b)];
    t.true(taken.length > 0, "the claims took something");
    t.is(new Set(taken).size, taken.length, "no instance is in both claims");
    // Whatever the race left is still there for a later claim: nothing is lost.
    for (;;) {
      const more = (
        await store.claim({
          task: "reports",
          partition: 0,
          now,
          limit: 15,
          leaseMs: LEASE_MS,
          owner: "replica-c",
        })
      ).claimed;
      if (more.length === 0) break;
      taken.push(...names(more));
    }
    t.is(taken.length, count);
    t.is(new Set(taken).size, count, "every instance was claimed exactly once");
  },

  "partitions are independent": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [
      draft("x", T0, { partition: 0 }),
      draft("x", T0 + 1, { partition: 1 }),
      draft("y", T0, { partition: 1 }),
    ]);
    const zero = (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0 + 10,
        limit: 10,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    t.deepEqual(
      zero.map((r) => [r.partition, r.name]),
      [[0, "x"]],
    );
    t.is(await store.nextDueAt("reports", 1), T0, "partition 1 is untouched");
    const [leased] = zero;
    if (leased === undefined) return;
    await store.commit([{ lease: leaseOf(leased), nextRunAt: null }], T0 + 20);
    t.is(await store.getInstance("reports", 0, "x"), undefined);
    t.like(
      await store.getInstance("reports", 1, "x"),
      { version: 0, nextRunAt: T0 + 1 },
      "same name elsewhere stays",
    );
    const one = (
      await store.claim({
        task: "reports",
        partition: 1,
        now: T0 + 10,
        limit: 10,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed;
    t.deepEqual(
      one.map((r) => [r.partition, r.name]),
      [
        [1, "y"],
        [1, "x"],
      ],
    );
  },

  "claim only takes the named task's instances": async (t, store) => {
    await seed(t, store, taskRecord("a"), [draft("x", T0)]);
    await seed(t, store, taskRecord("ab"), [draft("x", T0)]);
    const claimed = (
      await store.claim({ task: "a", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    t.deepEqual(
      claimed.map((r) => r.task),
      ["a"],
    );
    t.like(await store.getInstance("ab", 0, "x"), { version: 0, lockedUntil: 0 });
  },
};
