import { durationFromMs, type Timestamp, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { ExecutionReason, RunOutcome } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { ManualRunOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { callError } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { startTestServer } from "../support/server.ts";

/*
 * TriggerInstances and BackfillInstances over gRPC (issue 14), on the store of the round: a
 * trigger runs once now without moving the next slot and never overlaps an execution in
 * flight; a backfill runs a past range's slots oldest first, one at a time; both are
 * idempotent by request id and say why they run.
 */

const HOUR = 3_600_000;
const ms = (time: Timestamp | undefined) => (time === undefined ? Number.NaN : timestampMs(time));
const hourly = { kind: { case: "interval" as const, value: durationFromMs(HOUR) } };

test("a trigger runs once now, says so, and leaves the next slot where it was", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "report", dynamic: true } });
  await server.scheduler.schedule({ task: "report", instances: [{ name: "daily", schedule: hourly }] });
  const before = (await server.scheduler.getInstance({ task: "report", name: "daily" })).instance;
  const worker = new TestWorker(server, { task: "report", workerId: "w-trigger" });
  const asked = Date.now();
  const answer = await server.scheduler.triggerInstances({
    task: "report",
    names: ["daily", "nobody"],
    requestId: "ops-1",
  });
  t.deepEqual(answer.outcomes, [ManualRunOutcome.ACCEPTED, ManualRunOutcome.NOT_FOUND]);
  t.is(answer.requestId, "ops-1");
  const [run] = await worker.next(1, 5_000);
  t.like(run, { instance: "daily", reason: ExecutionReason.TRIGGERED, attempt: 1 });
  t.true(
    run !== undefined && slotOf(run) >= asked - 5 && slotOf(run) <= Date.now(),
    "its slot is the trigger's time",
  );
  if (run !== undefined) await worker.ack([run]);
  t.deepEqual(await worker.idle(600), [], "one run, not more");

  const again = await server.scheduler.triggerInstances({
    task: "report",
    names: ["daily"],
    requestId: "ops-1",
  });
  t.deepEqual(again.outcomes, [ManualRunOutcome.DUPLICATE], "the same request id is not run twice");
  t.deepEqual(await worker.idle(600), []);
  worker.close();

  const { instance } = await server.scheduler.getInstance({ task: "report", name: "daily" });
  t.is(ms(instance?.nextRunAt), ms(before?.nextRunAt), "the scheduled slot did not move");
  t.is(instance?.manualRun, ExecutionReason.UNSPECIFIED, "no manual run left pending");
  t.deepEqual(
    (instance?.history ?? []).map((r) => [r.reason, r.outcome]),
    [[ExecutionReason.TRIGGERED, RunOutcome.SUCCESS]],
    "the history shows the triggered run",
  );
  t.is(ms(instance?.nextSlots[0]), ms(before?.nextRunAt), "the next slots are the schedule's");
});

test("a trigger of a running instance waits for its execution to be settled", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "sync", dynamic: true } });
  await server.scheduler.schedule({
    task: "sync",
    instances: [{ name: "s", schedule: { kind: { case: "interval", value: durationFromMs(500) } } }],
  });
  const worker = new TestWorker(server, { task: "sync", workerId: "w-busy" });
  const [scheduled] = await worker.next(1, 5_000);
  t.like(scheduled, { reason: ExecutionReason.SCHEDULED });
  const answer = await server.scheduler.triggerInstances({ task: "sync", names: ["s"] });
  t.deepEqual(answer.outcomes, [ManualRunOutcome.QUEUED], "queued behind the execution in flight");
  t.not(answer.requestId, "", "the server made a request id");
  const busy = await server.scheduler.triggerInstances({ task: "sync", names: ["s"], requestId: "other" });
  t.deepEqual(busy.outcomes, [ManualRunOutcome.BUSY], "a second trigger is not stacked");
  t.is(
    (await server.scheduler.getInstance({ task: "sync", name: "s" })).instance?.manualRun,
    ExecutionReason.TRIGGERED,
  );
  t.deepEqual(await worker.idle(1_000), [], "no second execution while the first is open");
  if (scheduled === undefined) return;
  const acked = Date.now();
  await worker.ack([scheduled]);
  // The next scheduled slot is due by now too: the trigger goes first, then the schedule.
  const [triggered] = await worker.next(1, 5_000);
  t.like(triggered, { instance: "s", reason: ExecutionReason.TRIGGERED });
  t.true(Date.now() >= acked, "it ran after the ack");
  if (triggered === undefined) return;
  t.deepEqual(await worker.idle(300), [], "and alone");
  await worker.ack([triggered]);
  const [following] = await worker.next(1, 5_000);
  t.like(following, { reason: ExecutionReason.SCHEDULED });
  t.is(following && slotOf(following), slotOf(scheduled) + 500, "the schedule goes on at the slot after");
  if (following !== undefined) await worker.ack([following]);
  worker.close();
  const { instance } = await server.scheduler.getInstance({ task: "sync", name: "s" });
  t.deepEqual(
    (instance?.history ?? []).slice(-3).map((r) => r.reason),
    [ExecutionReason.SCHEDULED, ExecutionReason.TRIGGERED, ExecutionReason.SCHEDULED],
  );
});

test("a backfill runs a past range's slots oldest first, one at a time, then the schedule", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "etl", dynamic: true } });
  await server.scheduler.schedule({
    task: "etl",
    instances: [{ name: "e", schedule: { kind: { case: "cron", value: "0 * * * *" } } }],
  });
  const before = (await server.scheduler.getInstance({ task: "etl", name: "e" })).instance;
  const next = ms(before?.nextRunAt);
  const worker = new TestWorker(server, { task: "etl", workerId: "w-back" });
  // The three full hours before the next slot: (next - 4h, next - 1h] holds next-3h .. next-1h.
  const answer = await server.scheduler.backfillInstances({
    task: "etl",
    names: ["e"],
    start: timestampFromMs(next - 4 * HOUR),
    end: timestampFromMs(next - HOUR),
    requestId: "fill-1",
  });
  t.deepEqual(answer.outcomes, [ManualRunOutcome.ACCEPTED]);
  t.deepEqual(answer.slots, [3]);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const batch = await worker.next(1, 5_000);
    t.deepEqual(await worker.idle(150), [], "one slot at a time");
    for (const run of batch) {
      t.is(run.reason, ExecutionReason.BACKFILL);
      seen.push(slotOf(run));
    }
    await worker.ack(batch);
  }
  t.deepEqual(seen, [next - 3 * HOUR, next - 2 * HOUR, next - HOUR], "oldest first, each once");
  t.deepEqual(await worker.idle(600), [], "then nothing until the next scheduled slot");
  worker.close();
  const { instance } = await server.scheduler.getInstance({ task: "etl", name: "e" });
  t.is(ms(instance?.nextRunAt), next, "the schedule goes on where it was");
  t.is(instance?.manualRun, ExecutionReason.UNSPECIFIED);

  const repeat = await server.scheduler.backfillInstances({
    task: "etl",
    names: ["e"],
    start: timestampFromMs(next - 4 * HOUR),
    end: timestampFromMs(next - HOUR),
    requestId: "fill-1",
  });
  t.deepEqual(repeat.outcomes, [ManualRunOutcome.DUPLICATE]);
  const empty = await server.scheduler.backfillInstances({
    task: "etl",
    names: ["e"],
    start: timestampFromMs(next - HOUR + 1),
    end: timestampFromMs(next - HOUR + 2),
  });
  t.deepEqual(empty.outcomes, [ManualRunOutcome.NO_SLOTS]);
});

test("a backfill past its bound, into the future or backwards is refused, and nothing is stored", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "m", dynamic: true } });
  await server.scheduler.schedule({
    task: "m",
    instances: [{ name: "minutely", schedule: { kind: { case: "cron", value: "* * * * *" } } }],
  });
  const now = Date.now();
  const call = (start: number, end: number) =>
    callError(
      server.scheduler.backfillInstances({
        task: "m",
        names: ["minutely"],
        start: timestampFromMs(start),
        end: timestampFromMs(end),
      }),
    );
  const tooMany = await call(now - 2 * 24 * HOUR, now - HOUR);
  t.is(tooMany.code, status.INVALID_ARGUMENT);
  t.regex(tooMany.details, /^end: .*more than 1000 slots of instance "minutely"/);
  const future = await call(now - HOUR, now + HOUR);
  t.is(future.code, status.INVALID_ARGUMENT);
  t.regex(future.details, /^end: must not be in the future/);
  const backwards = await call(now - HOUR, now - 2 * HOUR);
  t.regex(backwards.details, /^end: must be after start/);
  const longId = await callError(
    server.scheduler.triggerInstances({ task: "m", names: ["minutely"], requestId: "x".repeat(65) }),
  );
  t.is(longId.code, status.INVALID_ARGUMENT);
  t.regex(longId.details, /^request_id: must be at most 64 bytes/);
  const { instance } = await server.scheduler.getInstance({ task: "m", name: "minutely" });
  t.is(instance?.manualRun, ExecutionReason.UNSPECIFIED, "nothing was asked of the instance");
});
