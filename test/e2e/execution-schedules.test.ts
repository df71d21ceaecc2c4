import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { callError } from "../support/clients.ts";
import { LeaseStatus, slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Each schedule kind over the wire: the slots a worker receives are the schedule's slots, and
 * the next one is computed from the slot, not from when the ack came.
 */

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

test("an interval instance runs at its slots, counted from the slot, not from the late ack", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "poll", dynamic: true } });
  await s.scheduler.schedule({ task: "poll", instances: [{ name: "feed-1", schedule: every(60_000) }] });
  const worker = new TestWorker(s, { task: "poll" });
  clock.advance(60_000);
  const [first] = await worker.next();
  t.is(first?.instance, "feed-1");
  // The worker takes 20 s (within the lease) before it acks: no drift.
  clock.advance(20_000);
  t.deepEqual(await worker.ack(first ? [first] : []), [LeaseStatus.OK]);
  clock.advance(40_000);
  const [second] = await worker.next();
  t.is(second ? slotOf(second) : 0, start + 120_000);
  worker.close();
});

test("a 6-field cron in New York runs at its local seconds, as UTC instants", async (t) => {
  const clock = new ManualClock(Date.parse("2030-01-01T00:00:00Z"));
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "ny", dynamic: true } });
  await s.scheduler.schedule({
    task: "ny",
    instances: [
      {
        name: "open",
        schedule: { kind: { case: "cron", value: "30 0 9 * * 1-5" }, timezone: "America/New_York" },
      },
    ],
  });
  const worker = new TestWorker(s, { task: "ny" });
  const slots: string[] = [];
  // 2030-01-01 is a Tuesday; 09:00:30 EST is 14:00:30Z. Friday the 4th is followed by Monday the 7th.
  for (const at of [
    "2030-01-01T14:00:30Z",
    "2030-01-02T14:00:30Z",
    "2030-01-03T14:00:30Z",
    "2030-01-04T14:00:30Z",
    "2030-01-07T14:00:30Z",
  ]) {
    clock.set(Date.parse(at));
    const [execution] = await worker.next();
    if (execution === undefined) throw new Error("no execution");
    slots.push(new Date(slotOf(execution)).toISOString());
    await worker.ack([execution]);
  }
  t.deepEqual(slots, [
    "2030-01-01T14:00:30.000Z",
    "2030-01-02T14:00:30.000Z",
    "2030-01-03T14:00:30.000Z",
    "2030-01-04T14:00:30.000Z",
    "2030-01-07T14:00:30.000Z",
  ]);
  worker.close();
});

test("a one-off instance runs once, with its args over the task's defaults, and is gone after the ack", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({
    task: { name: "mail", dynamic: true, defaultArgs: { retries: 3, to: "ops@example.com" } },
  });
  await s.scheduler.schedule({
    task: "mail",
    instances: [
      {
        name: "welcome-42",
        schedule: { kind: { case: "at", value: timestampFromMs(start + 5000) } },
        args: { to: "ada@example.com", vip: true },
      },
    ],
  });
  const worker = new TestWorker(s, { task: "mail" });
  clock.advance(4999);
  t.deepEqual(await worker.idle(300), [], "nothing before its time");
  clock.advance(1);
  const [execution] = await worker.next();
  t.is(execution ? slotOf(execution) : 0, start + 5000);
  t.deepEqual(execution?.args, { retries: 3, to: "ada@example.com", vip: true });
  t.deepEqual(await worker.ack(execution ? [execution] : []), [LeaseStatus.OK]);
  const missing = await callError(s.scheduler.getInstance({ task: "mail", name: "welcome-42" }));
  t.is(missing.code, 5); // NOT_FOUND
  clock.advance(3_600_000);
  t.deepEqual(await worker.idle(300), []);
  worker.close();
});
