import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { LeaseStatus, slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

test("a static task every second runs slots exactly one interval apart, attempt 1 each", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "tick", schedule: every(1000) } });
  const worker = new TestWorker(s, { task: "tick", workerId: "w1" });
  const slots: number[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    const [execution] = await worker.next();
    if (execution === undefined) throw new Error("no execution");
    t.is(execution.task, "tick");
    t.is(execution.instance, "tick");
    t.is(execution.partition, 0);
    t.is(execution.attempt, 1);
    slots.push(slotOf(execution));
    t.deepEqual(await worker.ack([execution]), [LeaseStatus.OK]);
  }
  t.deepEqual(
    slots,
    [1, 2, 3, 4, 5].map((k) => start + k * 1000),
  );
  // Nothing more until the clock reaches the next slot.
  t.deepEqual(await worker.idle(), []);
  worker.close();
});
