import type { ExecutionContext } from "ava";
import { draft, MINUTE, type StoreCases, T0, taskRecord } from "./fixtures.ts";

/** How long one attempt waits for a wake-up; pub/sub is asynchronous, so be generous. */
const WAIT_MS = 500;
const ATTEMPTS = 10;

interface Wake {
  task: string;
  partition: number;
  readyAt: number;
}

function waitFor(wakes: Wake[], match: (wake: Wake) => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = (): void => {
      if (wakes.some(match)) resolve(true);
      else if (Date.now() - started >= ms) resolve(false);
      else setTimeout(check, 20);
    };
    check();
  });
}

function skipped(t: ExecutionContext): void {
  t.log("this store has no watch hook (allowed by the contract): the wake-up case is skipped");
  t.pass();
}

/** The optional `watch` hook: wake-ups when a partition's earliest ready time moves sooner. */
export const watchCases: StoreCases = {
  "watch reports an upsert that makes a partition due sooner, until unsubscribed": async (t, store) => {
    if (!store.watch) return skipped(t);
    const wakes: Wake[] = [];
    const unsubscribe = store.watch((task, partition, readyAt) => wakes.push({ task, partition, readyAt }));
    const task = taskRecord("watched");
    await store.putTask(task);
    // A subscription may take a moment to become live (pub/sub), so keep making the partition
    // sooner until one wake-up arrives, and accept any of the times published.
    const published: number[] = [];
    let seen = false;
    for (let i = 0; i < ATTEMPTS && !seen; i++) {
      const readyAt = T0 + (ATTEMPTS - i) * MINUTE;
      published.push(readyAt);
      await store.upsertInstances(task, [draft(`w${i}`, readyAt, { partition: 2 })], "safe", T0);
      seen = await waitFor(
        wakes,
        (w) => w.task === "watched" && w.partition === 2 && published.includes(w.readyAt),
        WAIT_MS,
      );
    }
    t.true(seen, "a wake-up for the partition arrived with a published ready time");
    unsubscribe();
    // T0 was never published before: a late delivery of an earlier wake-up cannot match it.
    await store.upsertInstances(task, [draft("after", T0, { partition: 2 })], "safe", T0);
    const late = await waitFor(wakes, (w) => w.readyAt === T0, WAIT_MS);
    t.false(late, "no wake-ups after unsubscribing");
  },

  "watch reports a resume that makes a partition due sooner": async (t, store) => {
    if (!store.watch) return skipped(t);
    const wakes: Wake[] = [];
    const unsubscribe = store.watch((task, partition, readyAt) => wakes.push({ task, partition, readyAt }));
    t.teardown(unsubscribe);
    const task = taskRecord("resumed");
    await store.putTask(task);
    await store.upsertInstances(task, [draft("later", T0 + 100 * MINUTE, { partition: 1 })], "safe", T0);
    // Each attempt creates an instance long overdue, pauses it and resumes it skipping the
    // missed slots: the resume (not the upsert, which published the overdue time) makes the
    // partition due at a time nothing else published (issue 14: a resume wakes like a Schedule).
    const published: number[] = [];
    let seen = false;
    for (let i = 0; i < ATTEMPTS && !seen; i++) {
      const ref = { partition: 1, name: `p${i}` };
      await store.upsertInstances(
        task,
        [draft(ref.name, T0 - 1000 * MINUTE - i, { partition: 1 })],
        "safe",
        T0,
      );
      await store.pauseInstances({ task: task.name, refs: [ref], note: "", now: T0 });
      const now = T0 + (ATTEMPTS - i) * MINUTE + 30_000;
      const [resumed] = await store.resumeInstances({ task: task.name, refs: [ref], skipMissed: true, now });
      if (resumed?.readyAt === undefined) return t.fail("the instance is resumed");
      published.push(resumed.readyAt);
      seen = await waitFor(
        wakes,
        (w) => w.task === "resumed" && w.partition === 1 && published.includes(w.readyAt),
        WAIT_MS,
      );
    }
    t.true(seen, "a wake-up for the partition arrived with the resumed ready time");
  },
};
