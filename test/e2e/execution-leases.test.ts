import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { callError } from "../support/clients.ts";
import { LeaseStatus, slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Leases: a worker that goes away gives its executions back at once; one that goes silent
 * loses them when the lease ends; heartbeats keep them; an ack that comes too late is refused.
 */

const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

async function setup(leaseMs = 30_000) {
  const clock = new ManualClock();
  const start = clock.now();
  const s = await startTestServer({ clock });
  await s.scheduler.putTask({
    task: { name: "job", schedule: every(60_000), leaseDuration: durationFromMs(leaseMs) },
  });
  return { clock, start, s };
}

test("a closed stream's execution is redelivered at once to another worker, same slot, attempt 2", async (t) => {
  const { clock, start, s } = await setup();
  await using _ = s;
  const a = new TestWorker(s, { task: "job", workerId: "a" });
  clock.advance(60_000);
  const [first] = await a.next();
  const b = new TestWorker(s, { task: "job", workerId: "b" });
  t.deepEqual(await b.idle(300), [], "b gets nothing while a holds it");
  a.close();
  // No clock step: the release alone makes it due again.
  const [again] = await b.next();
  t.is(again ? slotOf(again) : 0, start + 60_000);
  t.is(first?.attempt, 1);
  t.is(again?.attempt, 2);
  t.deepEqual(await b.ack(again ? [again] : []), [LeaseStatus.OK]);
  b.close();
});

test("an expired lease is redelivered; the late ack of the old lease is refused", async (t) => {
  const { clock, start, s } = await setup(30_000);
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [first] = await w.next();
  t.is(first?.leaseExpiresAt ? timestampMs(first.leaseExpiresAt) : 0, start + 90_000);
  clock.advance(29_999);
  t.deepEqual(await w.idle(300), [], "still leased one millisecond before the end");
  clock.advance(1);
  const [again] = await w.next();
  t.is(again ? slotOf(again) : 0, start + 60_000);
  t.is(again?.attempt, 2);
  t.deepEqual(await w.ack(first ? [first] : []), [LeaseStatus.LEASE_LOST]);
  t.deepEqual(await w.ack(again ? [again] : []), [LeaseStatus.OK]);
  w.close();
});

test("heartbeats keep a lease past its first end; the ack then succeeds", async (t) => {
  const { clock, start, s } = await setup(30_000);
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [execution] = await w.next();
  if (execution === undefined) throw new Error("no execution");
  for (let beat = 1; beat <= 3; beat++) {
    clock.advance(20_000);
    const { results } = await s.execution.extendLeases({ items: [{ leaseId: execution.leaseId }] });
    t.is(results[0]?.status, LeaseStatus.OK);
    // Unset duration means the task's lease: 30 s from now.
    t.is(
      results[0]?.leaseExpiresAt ? timestampMs(results[0].leaseExpiresAt) : 0,
      start + 60_000 + beat * 20_000 + 30_000,
    );
  }
  const custom = await s.execution.extendLeases({
    items: [{ leaseId: execution.leaseId, duration: durationFromMs(5_000) }],
  });
  t.is(
    custom.results[0]?.leaseExpiresAt ? timestampMs(custom.results[0].leaseExpiresAt) : 0,
    start + 125_000,
  );
  t.deepEqual(await w.idle(300), [], "never redelivered while heartbeats hold it");
  t.deepEqual(await w.ack([execution]), [LeaseStatus.OK]);
  w.close();
});

test("a heartbeat after the lease ended gets LEASE_LOST; the redelivered lease's heartbeat is OK", async (t) => {
  const { clock, s } = await setup(30_000);
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [old] = await w.next();
  clock.advance(30_000);
  const [fresh] = await w.next();
  const { results } = await s.execution.extendLeases({
    items: [{ leaseId: old?.leaseId ?? "" }, { leaseId: fresh?.leaseId ?? "" }],
  });
  t.deepEqual(
    results.map((r) => r.status),
    [LeaseStatus.LEASE_LOST, LeaseStatus.OK],
  );
  w.close();
});

test("acks are idempotent: the second ack of a lease is LEASE_LOST and changes nothing", async (t) => {
  const { clock, start, s } = await setup();
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [execution] = await w.next();
  const batch = execution ? [execution] : [];
  t.deepEqual(await w.ack(batch), [LeaseStatus.OK]);
  t.deepEqual(await w.ack(batch), [LeaseStatus.LEASE_LOST]);
  const { instance } = await s.scheduler.getInstance({ task: "job", name: "job" });
  t.is(instance?.nextRunAt ? timestampMs(instance.nextRunAt) : 0, start + 120_000, "advanced exactly once");
  w.close();
});

test("an ack through another replica on the same store commits the next slot", async (t) => {
  const { clock, start, s } = await setup();
  await using _ = s;
  await using other = await startTestServer({ clock, storeUrl: s.storeUrl });
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [execution] = await w.next();
  const { results } = await other.execution.ack({ items: [{ leaseId: execution?.leaseId ?? "" }] });
  t.is(results[0]?.status, LeaseStatus.OK);
  clock.advance(60_000);
  const [next] = await w.next();
  t.is(next ? slotOf(next) : 0, start + 120_000);
  t.is(next?.attempt, 1);
  w.close();
});

test("a malformed lease id refuses the whole ack, naming the item", async (t) => {
  const { clock, s } = await setup();
  await using _ = s;
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [execution] = await w.next();
  const error = await callError(
    s.execution.ack({ items: [{ leaseId: execution?.leaseId ?? "" }, { leaseId: "not-a-lease" }] }),
  );
  t.is(error.code, 3); // INVALID_ARGUMENT
  t.regex(error.details, /items\[1\]\.lease_id/);
  const late = await callError(
    s.execution.ack({
      items: [
        { leaseId: execution?.leaseId ?? "", outcome: 2, retryAfter: { seconds: 8n * 86_400n, nanos: 0 } },
      ],
    }),
  );
  t.is(late.code, 3);
  t.regex(late.details, /^items\[0\]\.retry_after: must be between 0 and 604800000 ms/);
  // Nothing was settled: the valid lease still acks.
  t.deepEqual(await w.ack(execution ? [execution] : []), [LeaseStatus.OK]);
  const extend = await callError(s.execution.extendLeases({ items: [{ leaseId: "x.y" }] }));
  t.is(extend.code, 3);
  t.regex(extend.details, /items\[0\]\.lease_id/);
  w.close();
});
