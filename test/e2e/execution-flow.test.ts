import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { LeaseStatus, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Flow control and the stream's contract: never more unacked executions than max_in_flight,
 * batches under load, requests refused with the field named, and instances or tasks that go
 * away while executions are out.
 */

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

async function withInstances(count: number, partitionCount = 1) {
  const clock = new ManualClock();
  const s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "bulk", dynamic: true, partitionCount } });
  await s.scheduler.schedule({
    task: "bulk",
    instances: Array.from({ length: count }, (_, i) => ({ name: `i${i}`, schedule: every(60_000) })),
  });
  return { clock, s };
}

test("a worker never holds more unacked executions than max_in_flight; acks return credit", async (t) => {
  const { clock, s } = await withInstances(25);
  await using _ = s;
  const w = new TestWorker(s, { task: "bulk", maxInFlight: 10 });
  clock.advance(60_000);
  const first = await w.next(10);
  t.true(w.messages <= 2, `10 due executions came batched (${w.messages} messages)`);
  t.deepEqual(await w.idle(), [], "nothing beyond the credit");
  t.deepEqual(await w.ack(first.slice(0, 4)), Array(4).fill(LeaseStatus.OK));
  await w.next(4);
  t.deepEqual(await w.idle(), [], "exactly the returned credit");
  t.is(new Set(w.received.map((e) => e.instance)).size, 14, "all distinct");
  w.close();
});

test("credit is per stream across partitions: two workers each stay within their own bound", async (t) => {
  const { clock, s } = await withInstances(40, 4);
  await using _ = s;
  const a = new TestWorker(s, { task: "bulk", workerId: "a", maxInFlight: 5 });
  const b = new TestWorker(s, { task: "bulk", workerId: "b", maxInFlight: 3, partitions: [0, 1, 2, 3] });
  clock.advance(60_000);
  await a.next(5);
  await b.next(3);
  t.deepEqual(await a.idle(), []);
  t.deepEqual(await b.idle(0), []);
  t.is(new Set([...a.received, ...b.received].map((e) => e.instance)).size, 8);
  a.close();
  b.close();
});

test("Execute refuses an unknown task, a partition out of range and max_in_flight above 10,000", async (t) => {
  const { s } = await withInstances(0, 4);
  await using _ = s;
  const unknown = await new TestWorker(s, { task: "nope" }).ended;
  t.is(unknown.code, 5); // NOT_FOUND
  t.regex(unknown.details, /nope/);
  const partition = await new TestWorker(s, { task: "bulk", partitions: [1, 4] }).ended;
  t.is(partition.code, 3); // INVALID_ARGUMENT
  t.regex(partition.details, /partitions\[1\]/);
  const credit = await new TestWorker(s, { task: "bulk", maxInFlight: 10_001 }).ended;
  t.is(credit.code, 3);
  t.regex(credit.details, /max_in_flight/);
});

test("an instance unscheduled while in flight is gone: its ack and heartbeat get NOT_FOUND", async (t) => {
  const { clock, s } = await withInstances(1);
  await using _ = s;
  const w = new TestWorker(s, { task: "bulk" });
  clock.advance(60_000);
  const [execution] = await w.next();
  const { removed } = await s.scheduler.unschedule({ task: "bulk", names: ["i0"] });
  t.is(removed, 1);
  const { results } = await s.execution.extendLeases({ items: [{ leaseId: execution?.leaseId ?? "" }] });
  t.is(results[0]?.status, LeaseStatus.NOT_FOUND);
  t.deepEqual(await w.ack(execution ? [execution] : []), [LeaseStatus.NOT_FOUND]);
  clock.advance(3_600_000);
  t.deepEqual(await w.idle(), [], "nothing fires again");
  w.close();
});

test("a disabled task delivers nothing; enabling it delivers what is due", async (t) => {
  const { clock, s } = await withInstances(2);
  await using _ = s;
  await s.scheduler.putTask({ task: { name: "bulk", dynamic: true, enabled: false } });
  const w = new TestWorker(s, { task: "bulk" });
  clock.advance(60_000);
  t.deepEqual(await w.idle(), []);
  await s.scheduler.putTask({ task: { name: "bulk", dynamic: true, enabled: true } });
  const due = await w.next(2);
  t.deepEqual(due.map((e) => e.instance).sort(), ["i0", "i1"]);
  w.close();
});
