import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { ExecutionMode, FailureMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import { LeaseStatus, Outcome, slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Execution and failure modes, as a worker experiences them: what comes back after a failure,
 * when, and what never comes back.
 */

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

interface TaskOptions {
  readonly executionMode?: ExecutionMode;
  readonly failureMode?: FailureMode;
  readonly intervalMs?: number;
}

async function setup(options: TaskOptions = {}) {
  const clock = new ManualClock();
  const start = clock.now();
  const s = await startTestServer({ clock });
  await s.scheduler.putTask({
    task: {
      name: "job",
      schedule: every(options.intervalMs ?? 60_000),
      leaseDuration: durationFromMs(30_000),
      executionMode: options.executionMode ?? ExecutionMode.AT_LEAST_ONCE,
      failureMode: options.failureMode ?? FailureMode.NONE,
    },
  });
  return { clock, start, s };
}

test("at-most-once: a worker that vanishes loses the slot; it is never redelivered", async (t) => {
  const { clock, start, s } = await setup({ executionMode: ExecutionMode.AT_MOST_ONCE });
  await using _ = s;
  const a = new TestWorker(s, { task: "job", workerId: "a" });
  clock.advance(60_000);
  const [first] = await a.next();
  t.is(first ? slotOf(first) : 0, start + 60_000);
  a.close();
  const b = new TestWorker(s, { task: "job", workerId: "b" });
  clock.advance(30_000); // past the lease end too
  t.deepEqual(await b.idle(), [], "neither the close nor the lease end brings the slot back");
  clock.advance(30_000);
  const [second] = await b.next();
  t.is(second ? slotOf(second) : 0, start + 120_000);
  t.is(second?.attempt, 1);
  // Any outcome settles an at-most-once execution.
  t.deepEqual(await b.ack(second ? [second] : [], Outcome.FAILURE), [LeaseStatus.OK]);
  clock.advance(60_000);
  const [third] = await b.next();
  t.is(third ? slotOf(third) : 0, start + 180_000);
  b.close();
});

test("at-most-once: one instance never has two executions open at once", async (t) => {
  const { clock, start, s } = await setup({ executionMode: ExecutionMode.AT_MOST_ONCE, intervalMs: 10_000 });
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(10_000);
  const [first] = await w.next();
  t.is(first ? slotOf(first) : 0, start + 10_000);
  clock.advance(10_000);
  t.deepEqual(await w.idle(), [], "the next slot waits while the first execution's lease holds");
  t.deepEqual(await w.ack(first ? [first] : []), [LeaseStatus.OK]);
  const [second] = await w.next();
  t.is(second ? slotOf(second) : 0, start + 20_000, "the next slot, never the first one again");
  w.close();
});

test("failure mode NONE: a failed execution stays locked until its lease ends, then runs again", async (t) => {
  const { clock, start, s } = await setup({ failureMode: FailureMode.NONE });
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [first] = await w.next();
  clock.advance(5_000);
  t.deepEqual(await w.ack(first ? [first] : [], Outcome.FAILURE), [LeaseStatus.OK]);
  t.deepEqual(await w.idle(), []);
  clock.advance(25_000);
  const [retry] = await w.next();
  t.is(retry ? slotOf(retry) : 0, start + 60_000);
  t.is(retry?.attempt, 2);
  w.close();
});

test("failure mode UNLOCK: a failed execution runs again at once, or after retry_after", async (t) => {
  const { clock, start, s } = await setup({ failureMode: FailureMode.UNLOCK });
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [first] = await w.next();
  t.deepEqual(await w.ack(first ? [first] : [], Outcome.FAILURE), [LeaseStatus.OK]);
  const [second] = await w.next();
  t.is(second ? slotOf(second) : 0, start + 60_000);
  t.is(second?.attempt, 2);
  t.deepEqual(await w.ack(second ? [second] : [], Outcome.FAILURE, 10_000), [LeaseStatus.OK]);
  clock.advance(9_999);
  t.deepEqual(await w.idle(), [], "not before retry_after");
  clock.advance(1);
  const [third] = await w.next();
  t.is(third ? slotOf(third) : 0, start + 60_000);
  t.is(third?.attempt, 3);
  t.deepEqual(await w.ack(third ? [third] : []), [LeaseStatus.OK]);
  clock.advance(60_000);
  const [next] = await w.next();
  t.is(next ? slotOf(next) : 0, start + 120_000, "the slot after success follows the schedule");
  w.close();
});

test("failure mode COMMIT: a failed execution counts as done; the schedule moves on", async (t) => {
  const { clock, start, s } = await setup({ failureMode: FailureMode.COMMIT });
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [first] = await w.next();
  t.deepEqual(await w.ack(first ? [first] : [], Outcome.FAILURE), [LeaseStatus.OK]);
  clock.advance(30_000);
  t.deepEqual(await w.idle(), [], "no retry");
  clock.advance(30_000);
  const [next] = await w.next();
  t.is(next ? slotOf(next) : 0, start + 120_000);
  t.is(next?.attempt, 1);
  w.close();
});
