import {
  draft,
  hex,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  names,
  OWNER,
  plain,
  type StoreCases,
  seed,
  structArgs,
  T0,
  taskRecord,
} from "./fixtures.ts";

/** upsertInstances: creation, SAFE versus FORCE, batches. */
export const upsertCases: StoreCases = {
  "a new instance starts at version 0, attempt 0, unlocked, with a fresh incarnation": async (t, store) => {
    const task = taskRecord("reports", { partitionCount: 8 });
    await store.putTask(task);
    const args = structArgs({ user: 42 });
    const [result] = await store.upsertInstances(
      task,
      [draft("u42", T0 + MINUTE, { partition: 5, partitionKey: "user-42", args })],
      "safe",
      T0,
    );
    t.is(result?.outcome, "created");
    const created = result?.instance;
    if (created === undefined) return;
    t.like(created, {
      task: "reports",
      name: "u42",
      partition: 5,
      partitionKey: "user-42",
      schedule: { kind: "interval", intervalMs: MINUTE },
      nextRunAt: T0 + MINUTE,
      lockedUntil: 0,
      version: 0,
      attempt: 0,
      createdAt: T0,
      partitionCount: 8,
      leaseOwner: "",
    });
    t.is(hex(created.args), hex(args));
    t.true(
      Number.isSafeInteger(created.incarnation) && created.incarnation > 0,
      "incarnation is a positive integer",
    );
    t.deepEqual(plain(await mustGet(t, store, "reports", 5, "u42")), plain(created), "stored as reported");
  },

  "SAFE keeps the sooner due time and takes the new schedule and args": async (t, store) => {
    const task = taskRecord("reports");
    const [before] = await seed(t, store, task, [draft("a", T0 + 10 * MINUTE)]);
    const args = structArgs({ v: 2 });
    const schedule = { kind: "interval", intervalMs: 5 * MINUTE } as const;
    const [later] = await store.upsertInstances(
      task,
      [draft("a", T0 + 20 * MINUTE, { schedule, args })],
      "safe",
      T0 + 1,
    );
    t.is(later?.outcome, "updated");
    t.is(later?.instance.nextRunAt, T0 + 10 * MINUTE, "a later due time does not postpone it");
    t.deepEqual(later?.instance.schedule, schedule);
    t.is(hex(later?.instance.args ?? new Uint8Array([0xff])), hex(args));
    t.is(later?.instance.incarnation, before?.incarnation, "an update keeps the incarnation");
    const [sooner] = await store.upsertInstances(task, [draft("a", T0 + 5 * MINUTE)], "safe", T0 + 2);
    t.is(sooner?.instance.nextRunAt, T0 + 5 * MINUTE, "a sooner due time wins");
    t.is((await mustGet(t, store, "reports", 0, "a")).nextRunAt, T0 + 5 * MINUTE);
  },

  "SAFE reports a leased instance as locked and leaves it as it was": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const [result] = await store.upsertInstances(task, [draft("a", T0 - MINUTE)], "safe", T0 + 1_000);
    t.is(result?.outcome, "locked");
    t.deepEqual(result && plain(result.instance), plain(claimed), "the result shows the instance as stored");
    t.deepEqual(plain(await mustGet(t, store, "reports", 0, "a")), plain(claimed), "nothing changed");
    const [commit] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }], T0 + 2_000);
    t.is(commit?.status, "ok", "the lease is still good");
  },

  "SAFE updates an instance whose lease has expired": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0)]);
    await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER });
    const [result] = await store.upsertInstances(task, [draft("a", T0 + MINUTE)], "safe", T0 + LEASE_MS + 1);
    t.is(result?.outcome, "updated");
  },

  "FORCE overwrites a leased instance, unlocks it and kills the lease": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0)]);
    const [claimed] = (
      await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
    ).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const args = structArgs({ forced: true });
    const [result] = await store.upsertInstances(
      task,
      [draft("a", T0 + 20 * MINUTE, { args })],
      "force",
      T0 + 1_000,
    );
    t.is(result?.outcome, "updated");
    const stored = await mustGet(t, store, "reports", 0, "a");
    t.like(stored, { nextRunAt: T0 + 20 * MINUTE, lockedUntil: 0, leaseOwner: "" });
    t.is(hex(stored.args), hex(args));
    t.is(await store.nextDueAt("reports", 0), T0 + 20 * MINUTE, "ready at the forced time, not at lease end");
    const [commit] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }], T0 + 2_000);
    t.not(commit?.status, "ok", "the lease from before FORCE is refused");
    t.is(
      (await mustGet(t, store, "reports", 0, "a")).nextRunAt,
      T0 + 20 * MINUTE,
      "the stale commit wrote nothing",
    );
  },

  "FORCE takes a later due time where SAFE keeps the sooner": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0 + 5 * MINUTE), draft("b", T0 + 5 * MINUTE)]);
    await store.upsertInstances(task, [draft("a", T0 + 20 * MINUTE)], "force", T0);
    await store.upsertInstances(task, [draft("b", T0 + 20 * MINUTE)], "safe", T0);
    t.is((await mustGet(t, store, "reports", 0, "a")).nextRunAt, T0 + 20 * MINUTE);
    t.is((await mustGet(t, store, "reports", 0, "b")).nextRunAt, T0 + 5 * MINUTE);
  },

  "a batch answers per draft, in input order": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0 + MINUTE), draft("b", T0)]);
    await store.claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER }); // leases b, the only due one
    const drafts = [
      draft("c", T0 + MINUTE),
      draft("b", T0 + MINUTE),
      draft("a", T0),
      draft("d", T0, { partition: 2 }),
    ];
    const results = await store.upsertInstances(task, drafts, "safe", T0 + 1);
    t.deepEqual(
      results.map((r) => r.outcome),
      ["created", "locked", "updated", "created"],
    );
    t.deepEqual(names(results.map((r) => r.instance)), ["c", "b", "a", "d"]);
    t.deepEqual(
      results.map((r) => r.instance.partition),
      [0, 0, 0, 2],
    );
  },

  "one name in several partitions is several instances": async (t, store) => {
    const task = taskRecord("reports");
    const created = await seed(t, store, task, [
      draft("same", T0, { partition: 0 }),
      draft("same", T0 + 1, { partition: 1 }),
      draft("same", T0 + 2, { partition: 3 }),
    ]);
    t.deepEqual(
      created.map((r) => r.nextRunAt),
      [T0, T0 + 1, T0 + 2],
    );
    t.is((await mustGet(t, store, "reports", 3, "same")).nextRunAt, T0 + 2);
    t.is(await store.removeInstances("reports", [{ partition: 1, name: "same" }]), 1);
    t.truthy(await store.getInstance("reports", 0, "same"), "the others stay");
    t.truthy(await store.getInstance("reports", 3, "same"));
  },
};
