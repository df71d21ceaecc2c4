import { deliveryAt } from "../../src/domain/jitter.ts";
import type { ScheduleSpec } from "../../src/domain/model.ts";
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

/*
 * Deterministic jitter in the stores: the schedule's jitter is stored with it, and a slot's
 * delivery time is a hold in lockedUntil without an owner (the engine computes it, jitter.ts),
 * so the nominal slot stays nextRunAt while claims wait for the hold.
 */

const JITTERED: ScheduleSpec = { kind: "interval", intervalMs: MINUTE, jitterMs: 30 * SECOND };
const claimAt = (now: number) => ({
  task: "reports",
  partition: 0,
  now,
  limit: 10,
  leaseMs: LEASE_MS,
  owner: OWNER,
});

export const jitterCases: StoreCases = {
  "a schedule's jitter is stored with the instance and the task; none is stored as none": async (
    t,
    store,
  ) => {
    const task = taskRecord("reports", {
      schedule: { kind: "cron", cron: "0 9 * * *", timezone: "UTC", jitterMs: 60_000 },
    });
    await seed(t, store, task, [draft("j", T0, { schedule: JITTERED }), draft("plain", T0)]);
    t.deepEqual((await store.getTask("reports"))?.schedule, task.schedule);
    t.deepEqual((await mustGet(t, store, "reports", 0, "j")).schedule, JITTERED);
    const plain = (await mustGet(t, store, "reports", 0, "plain")).schedule;
    t.deepEqual(plain, { kind: "interval", intervalMs: MINUTE });
    t.false("jitterMs" in plain, "an un-jittered schedule carries no jitter field");
  },

  "a created instance with a hold keeps its nominal slot and is claimed only at the hold": async (
    t,
    store,
  ) => {
    const hold = T0 + 17 * SECOND;
    const [created] = await seed(t, store, taskRecord("reports"), [
      draft("j", T0, { schedule: JITTERED, holdUntil: hold }),
    ]);
    t.like(created, { nextRunAt: T0, lockedUntil: hold, leaseOwner: "", version: 0 });
    t.like(await mustGet(t, store, "reports", 0, "j"), { nextRunAt: T0, lockedUntil: hold, leaseOwner: "" });
    t.is(await store.nextDueAt("reports", 0), hold);
    t.deepEqual((await store.claim(claimAt(hold - 1))).claimed, [], "not before its delivery time");
    const claimed = (await store.claim(claimAt(hold))).claimed;
    t.like(claimed, [{ name: "j", nextRunAt: T0, attempt: 1 }], "the claim still carries the nominal slot");
  },

  "commit with a hold moves to the next slot, unleased, claimable only at the hold": async (t, store) => {
    await seed(t, store, taskRecord("reports"), [draft("j", T0, { schedule: JITTERED })]);
    const [claimed] = (await store.claim(claimAt(T0))).claimed;
    if (claimed === undefined) return t.fail("the due instance is claimed");
    const hold = T0 + MINUTE + 23 * SECOND;
    const [result] = await store.commit(
      [{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE, holdUntil: hold }],
      T0 + SECOND,
    );
    t.is(result?.status, "ok");
    t.like(await mustGet(t, store, "reports", 0, "j"), {
      nextRunAt: T0 + MINUTE,
      lockedUntil: hold,
      leaseOwner: "",
      attempt: 0,
      version: claimed.version + 1,
    });
    t.is(await store.nextDueAt("reports", 0), hold);
    t.deepEqual((await store.claim(claimAt(hold - 1))).claimed, []);
    t.like((await store.claim(claimAt(hold))).claimed, [{ name: "j", nextRunAt: T0 + MINUTE }]);
    // The old lease is dead: a late second ack of it settles nothing.
    const [again] = await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + 2 * MINUTE }], hold + 1);
    t.is(again?.status, "lease_lost");
  },

  "SAFE with the same slot takes a later hold and kills an expired lease; FORCE always takes it": async (
    t,
    store,
  ) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [draft("a", T0), draft("b", T0)]);
    const [leased] = (await store.claim({ ...claimAt(T0), limit: 1 })).claimed;
    if (leased === undefined) return t.fail("claimed");
    const afterExpiry = T0 + LEASE_MS + 1;
    const hold = afterExpiry + 10 * SECOND;
    const [safe] = await store.upsertInstances(
      task,
      [draft(leased.name, T0, { schedule: JITTERED, holdUntil: hold })],
      "safe",
      afterExpiry,
    );
    t.like(safe, {
      outcome: "updated",
      instance: { nextRunAt: T0, lockedUntil: hold, leaseOwner: "", version: leased.version + 1 },
    });
    const [late] = await store.extendLeases([{ lease: leaseOf(leased), durationMs: LEASE_MS }], afterExpiry);
    t.not(late?.status, "ok", "the expired lease does not come back under the hold");
    t.deepEqual(
      (await store.claim(claimAt(hold - 1))).claimed.map((r) => r.name),
      [leased.name === "a" ? "b" : "a"],
    );

    const other = leased.name === "a" ? "b" : "a";
    const [forced] = await store.upsertInstances(
      task,
      [draft(other, T0 + MINUTE, { holdUntil: T0 + MINUTE + 5 })],
      "force",
      hold,
    );
    t.like(forced, {
      outcome: "updated",
      instance: { nextRunAt: T0 + MINUTE, lockedUntil: T0 + MINUTE + 5, leaseOwner: "" },
    });
  },

  "SAFE never makes a held instance ready sooner: a later stored slot or lock wins, no hold changes nothing":
    async (t, store) => {
      const task = taskRecord("reports");
      const hold = T0 + 40 * SECOND;
      await seed(t, store, task, [draft("j", T0, { schedule: JITTERED, holdUntil: hold })]);
      const before = await mustGet(t, store, "reports", 0, "j");
      // A draft without a hold, same slot: the stored hold stays (a changed jitter applies from the next slot).
      await store.upsertInstances(task, [draft("j", T0)], "safe", T0);
      t.like(await mustGet(t, store, "reports", 0, "j"), {
        nextRunAt: T0,
        lockedUntil: hold,
        version: before.version,
      });
      // A sooner hold for the same slot: the later stored one stays.
      await store.upsertInstances(
        task,
        [draft("j", T0, { schedule: JITTERED, holdUntil: T0 + 5 })],
        "safe",
        T0,
      );
      t.like(await mustGet(t, store, "reports", 0, "j"), { nextRunAt: T0, lockedUntil: hold });
      // A later slot: the stored (sooner) slot and its hold stay.
      await store.upsertInstances(
        task,
        [draft("j", T0 + MINUTE, { schedule: JITTERED, holdUntil: T0 + MINUTE + hold })],
        "safe",
        T0,
      );
      t.like(await mustGet(t, store, "reports", 0, "j"), { nextRunAt: T0, lockedUntil: hold });
      t.is(await store.nextDueAt("reports", 0), hold);
    },

  "a resume that skips missed slots holds the new slot for its jitter; one that keeps the slot keeps its hold":
    async (t, store) => {
      const hold = T0 + 7 * SECOND;
      await seed(t, store, taskRecord("reports"), [
        draft("skip", T0, { schedule: JITTERED, holdUntil: hold }),
        draft("keep", T0, { schedule: JITTERED, holdUntil: hold }),
      ]);
      const refs = [
        { partition: 0, name: "skip" },
        { partition: 0, name: "keep" },
      ];
      await store.pauseInstances({ task: "reports", refs, note: "", now: T0 });
      const before = await mustGet(t, store, "reports", 0, "skip");
      const now = T0 + 10 * MINUTE + 5 * SECOND;
      await store.resumeInstances({ task: "reports", refs: refs.slice(0, 1), skipMissed: true, now });
      await store.resumeInstances({ task: "reports", refs: refs.slice(1), skipMissed: false, now });
      const slot = T0 + 11 * MINUTE;
      const expected = deliveryAt({ task: "reports", instance: "skip" }, JITTERED, slot);
      const skipped = await mustGet(t, store, "reports", 0, "skip");
      t.is(skipped.nextRunAt, slot, "the first slot after now");
      t.is(
        skipped.lockedUntil,
        expected > slot ? expected : before.lockedUntil,
        "held until its delivery time",
      );
      if (expected > slot) t.is(skipped.version, before.version + 1, "the hold bumps the version");
      t.like(await mustGet(t, store, "reports", 0, "keep"), { nextRunAt: T0, lockedUntil: hold });
      const due = (await store.claim(claimAt(slot))).claimed.map((r) => r.name);
      t.deepEqual(
        due,
        expected > slot ? ["keep"] : ["keep", "skip"].sort(),
        "the skipped one waits for its jitter",
      );
    },
};
