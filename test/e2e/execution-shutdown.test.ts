import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { LeaseStatus, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Graceful shutdown as a worker sees it: no new executions, acks of running ones still
 * accepted until the deadline, the rest given back for another replica, and the stream ended
 * with UNAVAILABLE and a message saying to reconnect.
 */

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

test("shutdown lets in-flight executions finish, releases the rest, ends streams with UNAVAILABLE", async (t) => {
  const clock = new ManualClock();
  const s = await startTestServer({ clock, config: { shutdownGraceMs: 2_000 } });
  await s.scheduler.putTask({ task: { name: "job", dynamic: true } });
  await s.scheduler.schedule({
    task: "job",
    instances: ["a", "b", "c"].map((name) => ({ name, schedule: every(60_000) })),
  });
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const running = await w.next(3);
  const stopped = s.server.stop();

  // Still draining: the ack of a finished execution is taken, a new stream is refused.
  t.deepEqual(await w.ack(running.slice(0, 1)), [LeaseStatus.OK]);
  const late = await new TestWorker(s, { task: "job" }).ended;
  t.is(late.code, 14); // UNAVAILABLE

  const end = await w.ended;
  t.is(end.code, 14);
  t.regex(end.details, /reconnect/);
  await stopped;
  await s.stop();

  // The two unfinished executions were released: another server delivers them at once.
  await using next = await startTestServer({ clock, storeUrl: s.storeUrl });
  const other = new TestWorker(next, { task: "job" });
  const redelivered = await other.next(2);
  t.deepEqual(redelivered.map((e) => e.instance).sort(), ["b", "c"]);
  t.deepEqual(
    redelivered.map((e) => e.attempt),
    [2, 2],
  );
  t.deepEqual(await other.idle(), [], "the finished one is not run again");
  other.close();
});

test("shutdown returns as soon as the last in-flight execution is acked", async (t) => {
  const clock = new ManualClock();
  const s = await startTestServer({ clock, config: { shutdownGraceMs: 60_000 } });
  await s.scheduler.putTask({ task: { name: "job", schedule: every(60_000) } });
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const running = await w.next();
  const began = Date.now();
  const stopped = s.server.stop();
  t.deepEqual(await w.ack(running), [LeaseStatus.OK]);
  await stopped;
  t.true(Date.now() - began < 30_000, "well before the 60 s grace");
  t.is((await w.ended).code, 14);
  await s.stop();
});
