import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { MisfirePolicy } from "../../gen/ts/partitura/v1/task_pb.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * The server goes down for ten and a half minutes and comes back on the same store; an
 * instance due every minute missed ten slots. What each misfire policy runs is what the
 * worker of the restarted server receives.
 */

const MINUTE = 60_000;
const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

async function afterDowntime(policy: MisfirePolicy) {
  const clock = new ManualClock();
  const start = clock.now();
  const first = await startTestServer({ clock });
  await first.scheduler.putTask({ task: { name: "job", dynamic: true, misfirePolicy: policy } });
  await first.scheduler.schedule({
    task: "job",
    instances: [
      { name: "minutely", schedule: every(MINUTE) },
      { name: "once", schedule: { kind: { case: "at", value: timestampFromMs(start + 5 * MINUTE) } } },
    ],
  });
  const before = new TestWorker(first, { task: "job" });
  clock.advance(MINUTE);
  const [ran] = await before.next();
  await before.ack(ran ? [ran] : []);
  await first.stop();
  clock.advance(10 * MINUTE + 30_000);
  const second = await startTestServer({ clock, storeUrl: first.storeUrl });
  const worker = new TestWorker(second, { task: "job" });
  /** Receives and acks everything that arrives until the worker goes quiet. */
  const drain = async (): Promise<Array<[string, number]>> => {
    const seen: Array<[string, number]> = [];
    for (;;) {
      const batch = await worker.poll(500);
      if (batch.length === 0) return seen;
      for (const e of batch) seen.push([e.instance, (slotOf(e) - start) / MINUTE]);
      await worker.ack(batch);
    }
  };
  return { clock, start, second, worker, drain };
}

test("CATCH_UP runs every missed slot, one at a time, then continues on schedule", async (t) => {
  const { clock, second, worker, drain } = await afterDowntime(MisfirePolicy.CATCH_UP);
  await using _ = second;
  const seen = await drain();
  t.deepEqual(
    seen.filter(([name]) => name === "minutely").map(([, minute]) => minute),
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  t.deepEqual(
    seen.filter(([name]) => name === "once").map(([, minute]) => minute),
    [5],
  );
  clock.advance(30_000);
  t.deepEqual(
    (await worker.next()).map((e) => e.instance),
    ["minutely"],
  );
  worker.close();
});

test("FAST_FORWARD runs the latest missed slot once, then continues after now", async (t) => {
  const { clock, start, second, worker, drain } = await afterDowntime(MisfirePolicy.FAST_FORWARD);
  await using _ = second;
  const seen = await drain();
  t.deepEqual(seen.sort(), [
    ["minutely", 11],
    ["once", 5],
  ]);
  clock.advance(30_000);
  const [next] = await worker.next();
  t.is(next ? slotOf(next) : 0, start + 12 * MINUTE);
  worker.close();
});

test("SKIP runs no missed slot (but a late one-off still runs once), then continues after now", async (t) => {
  const { clock, start, second, worker, drain } = await afterDowntime(MisfirePolicy.SKIP);
  await using _ = second;
  const seen = await drain();
  t.deepEqual(seen, [["once", 5]]);
  clock.advance(30_000);
  const [next] = await worker.next();
  t.is(next ? slotOf(next) : 0, start + 12 * MINUTE);
  t.is(next?.instance, "minutely");
  worker.close();
});
