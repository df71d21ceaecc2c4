import { ErrorCode, PartituraError } from "../../src/domain/errors.ts";
import { draft, LEASE_MS, MINUTE, OWNER, type StoreCases, seed, T0, taskRecord } from "./fixtures.ts";

const NOBODY = { task: "nothing", partition: 0, name: "none", version: 1, incarnation: 1 };

/** ready, healthy, close, and the answers to questions about things that do not exist. */
export const lifecycleCases: StoreCases = {
  "ready resolves and healthy is true on an open store": async (t, store) => {
    await t.notThrowsAsync(store.ready());
    t.true(store.healthy());
    t.is(typeof store.kind, "string");
    t.true(store.kind.length > 0);
  },

  "close is idempotent and a closed store refuses work with UNAVAILABLE": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
    await store.close();
    await t.notThrowsAsync(store.close(), "a second close resolves");
    t.false(store.healthy());
    const error = await t.throwsAsync(store.getTask("reports"));
    t.true(error instanceof PartituraError, "a PartituraError, not a driver error");
    t.is(error instanceof PartituraError ? error.code : undefined, ErrorCode.Unavailable);
    const claimError = await t.throwsAsync(
      store
        .claim({ task: "reports", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
        .then((r) => r.claimed),
    );
    t.is(claimError instanceof PartituraError ? claimError.code : undefined, ErrorCode.Unavailable);
  },

  "reads of things that do not exist are empty answers, not errors": async (t, store) => {
    t.is(await store.getTask("nothing"), undefined);
    t.deepEqual(await store.listTasks(10), []);
    t.is(await store.getInstance("nothing", 0, "none"), undefined);
    t.deepEqual(await store.listInstances({ task: "nothing", partition: 0, limit: 10 }), {
      instances: [],
      cursor: undefined,
    });
    t.is(await store.nextDueAt("nothing", 0), undefined);
    t.deepEqual(
      (
        await store.claim({
          task: "nothing",
          partition: 0,
          now: T0,
          limit: 10,
          leaseMs: LEASE_MS,
          owner: OWNER,
        })
      ).claimed,
      [],
    );
    t.false(await store.deleteTask("nothing"));
    t.false(await store.hasInstances(taskRecord("nothing")));
    t.is(await store.removeInstances("nothing", [{ partition: 0, name: "none" }]), 0);
  },

  "lease operations on unknown instances answer not_found; empty batches answer []": async (t, store) => {
    t.deepEqual(await store.commit([{ lease: NOBODY, nextRunAt: T0 + MINUTE }], T0), [
      { status: "not_found" },
    ]);
    t.deepEqual(await store.release([{ lease: NOBODY }], T0), ["not_found"]);
    t.deepEqual(await store.extendLeases([{ lease: NOBODY, durationMs: MINUTE }], T0), [
      { status: "not_found" },
    ]);
    t.deepEqual(await store.commit([], T0), []);
    t.deepEqual(await store.release([], T0), []);
    t.deepEqual(await store.extendLeases([], T0), []);
    t.deepEqual(await store.upsertInstances(taskRecord("nothing"), [], "safe", T0), []);
    t.is(await store.removeInstances("nothing", []), 0);
  },
};
