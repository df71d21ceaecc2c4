import type { Store } from "../../src/store/store.ts";
import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  mustGet,
  names,
  OWNER,
  plainTask,
  SECOND,
  type StoreCases,
  seed,
  T0,
  taskRecord,
} from "./fixtures.ts";

const TASK = "reports";

const refs = (...list: string[]) => list.map((name) => ({ partition: 0, name }));

async function claimAt(store: Store, now: number) {
  const { claimed } = await store.claim({
    task: TASK,
    partition: 0,
    now,
    limit: 10,
    leaseMs: LEASE_MS,
    owner: OWNER,
  });
  return claimed;
}

/** Release with a park (a retry policy ran out), and bringing dead letters back (issue 14). */
export const deadLetterCases: StoreCases = {
  "a task's retry policy is stored and read back": async (t, store) => {
    const task = taskRecord(TASK, {
      retry: {
        maxAttempts: 4,
        initialIntervalMs: 500,
        backoffCoefficient: 1.5,
        maxIntervalMs: 60_000,
        jitterMs: 100,
        onExhausted: "dead_letter",
      },
    });
    await store.putTask(task);
    const stored = await store.getTask(TASK);
    t.deepEqual(stored && plainTask(stored), plainTask(task));
    await store.putTask(taskRecord(TASK));
    const cleared = await store.getTask(TASK);
    t.false(cleared !== undefined && "retry" in cleared, "a task without a policy carries no retry field");
  },

  "a parked release dead-letters at the same slot, unlocked with attempt 0, out of the due index": async (
    t,
    store,
  ) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0), draft("b", T0)]);
    const [a] = (await claimAt(store, T0)).filter((r) => r.name === "a");
    if (a === undefined) return t.fail("a was not claimed");
    const parked = { at: T0 + SECOND, note: "boom: connection refused", deadLettered: true as const };
    t.deepEqual(await store.release([{ lease: leaseOf(a), park: parked }], T0 + SECOND), ["ok"]);
    const record = await mustGet(t, store, TASK, 0, "a");
    t.like(record, { nextRunAt: T0, lockedUntil: 0, attempt: 0, leaseOwner: "", version: a.version + 1 });
    t.deepEqual(record.paused, parked);
    t.deepEqual(
      names(await claimAt(store, T0 + 10 * MINUTE)),
      ["b"],
      "b's lease expired and it is claimed again; a never",
    );
    const listed = (await store.listInstances({ task: TASK, partition: 0, limit: 10 })).instances;
    t.deepEqual(listed.find((i) => i.name === "a")?.paused, parked);
    t.deepEqual(
      await store.pauseInstances({ task: TASK, refs: refs("a"), note: "ops", now: T0 + 2 * SECOND }),
      ["already_paused"],
      "a dead letter counts as paused and keeps its note",
    );
    t.deepEqual((await mustGet(t, store, TASK, 0, "a")).paused, parked);
  },

  "a dead letter is brought back only by its own call; a plain pause only by a resume": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("dead", T0), draft("held", T0)]);
    const [dead] = (await claimAt(store, T0)).filter((r) => r.name === "dead");
    if (dead === undefined) return t.fail("dead was not claimed");
    await store.release([{ lease: leaseOf(dead), park: { at: T0, note: "x", deadLettered: true } }], T0);
    await store.pauseInstances({ task: TASK, refs: refs("held"), note: "ops", now: T0 });

    const now = T0 + 10 * MINUTE;
    const plain = await store.resumeInstances({
      task: TASK,
      refs: refs("dead", "held"),
      skipMissed: false,
      now,
    });
    t.deepEqual(
      plain.map((r) => r.outcome),
      ["not_paused", "resumed"],
      "a resume leaves the dead letter",
    );
    t.truthy((await mustGet(t, store, TASK, 0, "dead")).paused?.deadLettered);

    const requeued = await store.resumeInstances({
      task: TASK,
      refs: refs("dead", "held", "nobody"),
      skipMissed: false,
      deadLettered: true,
      now,
    });
    t.deepEqual(
      requeued.map((r) => r.outcome),
      ["resumed", "not_paused", "not_found"],
    );
    const back = await mustGet(t, store, TASK, 0, "dead");
    t.false("paused" in back, "a requeued instance is active");
    t.is(back.nextRunAt, T0, "a requeue runs the failed slot again");
    t.deepEqual(names(await claimAt(store, now)).sort(), ["dead", "held"]);
  },

  "a discard (dead letters, skipping missed) moves on to the first slot after now": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("dead", T0)]);
    const [dead] = await claimAt(store, T0);
    if (dead === undefined) return t.fail("dead was not claimed");
    await store.release([{ lease: leaseOf(dead), park: { at: T0, note: "x", deadLettered: true } }], T0);
    const now = T0 + 10 * MINUTE + SECOND;
    const [result] = await store.resumeInstances({
      task: TASK,
      refs: refs("dead"),
      skipMissed: true,
      deadLettered: true,
      now,
    });
    t.is(result?.outcome, "resumed");
    t.is((await mustGet(t, store, TASK, 0, "dead")).nextRunAt, T0 + 11 * MINUTE);
  },

  "a park of an instance paused in flight keeps the pause it has": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const [a] = await claimAt(store, T0);
    if (a === undefined) return t.fail("a was not claimed");
    await store.pauseInstances({ task: TASK, refs: refs("a"), note: "ops: freeze", now: T0 + SECOND });
    t.deepEqual(
      await store.release(
        [{ lease: leaseOf(a), park: { at: T0 + 2 * SECOND, note: "boom" } }],
        T0 + 2 * SECOND,
      ),
      ["ok"],
    );
    const record = await mustGet(t, store, TASK, 0, "a");
    t.deepEqual(record.paused, { at: T0 + SECOND, note: "ops: freeze" });
    t.like(record, { attempt: 0, lockedUntil: 0, leaseOwner: "" });
    t.is(await store.nextDueAt(TASK, 0), undefined);
  },

  "a parked (paused, not dead-lettered) release is resumed by a resume": async (t, store) => {
    await seed(t, store, taskRecord(TASK), [draft("a", T0)]);
    const [a] = await claimAt(store, T0);
    if (a === undefined) return t.fail("a was not claimed");
    const park = { at: T0, note: "retries exhausted after 3 attempts: boom" };
    await store.release([{ lease: leaseOf(a), park }], T0);
    t.deepEqual((await mustGet(t, store, TASK, 0, "a")).paused, park);
    const [result] = await store.resumeInstances({
      task: TASK,
      refs: refs("a"),
      skipMissed: false,
      now: T0 + MINUTE,
    });
    t.deepEqual(result, { outcome: "resumed", readyAt: T0 });
  },
};
