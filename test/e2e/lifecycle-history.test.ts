import { durationFromMs, type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { ExecutionReason, RunOutcome } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { FailureMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import { callError } from "../support/clients.ts";
import { LeaseStatus, Outcome, slotOf, TestWorker } from "../support/execution-worker.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Run history over gRPC (issue 14): every settled ack is recorded beside its instance, the
 * counters always and the newest history_limit runs in GetInstance; executions say why they
 * run. On the real clock, an interval instance every 400 ms.
 */

const EVERY_MS = 400;

const ms = (time: Timestamp | undefined) => (time === undefined ? Number.NaN : timestampMs(time));

test("history shows what ran, newest first, with outcomes, attempts, reasons and the worker", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({
    task: { name: "job", dynamic: true, failureMode: FailureMode.UNLOCK, historyLimit: 3 },
  });
  await server.scheduler.schedule({
    task: "job",
    instances: [{ name: "tick", schedule: { kind: { case: "interval", value: durationFromMs(EVERY_MS) } } }],
  });
  const worker = new TestWorker(server, { task: "job", workerId: "w-hist" });
  const [first] = await worker.next(1, 5_000);
  if (first === undefined) return t.fail("no delivery");
  t.like(first, { attempt: 1, reason: ExecutionReason.SCHEDULED });
  const failed = await server.execution.ack({
    items: [{ leaseId: first.leaseId, outcome: Outcome.FAILURE, error: "disk full" }],
  });
  t.is(failed.results[0]?.status, LeaseStatus.OK);
  const [retry] = await worker.next(1, 5_000);
  t.like(retry, { attempt: 2, reason: ExecutionReason.RETRY, instance: "tick" });
  t.is(retry && slotOf(retry), slotOf(first), "the failed slot runs again");
  if (retry !== undefined) await worker.ack([retry]);
  // One instance runs one slot at a time: each next slot comes after the ack of the one before.
  const later = [];
  for (let n = 0; n < 2; n++) {
    const batch = await worker.next(1, 5_000);
    await worker.ack(batch);
    later.push(...batch);
  }
  worker.close();

  const { instance } = await server.scheduler.getInstance({ task: "job", name: "tick" });
  t.like(instance, { runs: 4n, failures: 1n, lastOutcome: RunOutcome.SUCCESS });
  const history = instance?.history ?? [];
  t.deepEqual(
    history.map((run) => [ms(run.scheduledAt), run.outcome, run.attempt, run.reason]),
    [
      [slotOf(later[1] ?? first), RunOutcome.SUCCESS, 1, ExecutionReason.SCHEDULED],
      [slotOf(later[0] ?? first), RunOutcome.SUCCESS, 1, ExecutionReason.SCHEDULED],
      [slotOf(first), RunOutcome.SUCCESS, 2, ExecutionReason.RETRY],
    ],
    "the three newest of four runs, newest first (history_limit 3)",
  );
  for (const run of history) {
    t.is(run.workerId, "w-hist");
    const scheduled = ms(run.scheduledAt);
    const delivered = ms(run.deliveredAt);
    const finished = ms(run.finishedAt);
    t.true(scheduled <= delivered && delivered <= finished, "scheduled, then delivered, then finished");
    t.is(run.error, "");
  }
  const slots = (instance?.nextSlots ?? []).map((slot) => timestampMs(slot));
  t.is(slots.length, 10, "GetInstance shows the next 10 slots");
  t.is(slots[0], instance?.nextRunAt && timestampMs(instance.nextRunAt));
  t.deepEqual(
    slots.slice(1).map((slot, i) => slot - (slots[i] ?? 0)),
    Array(9).fill(EVERY_MS),
  );

  const listed = await server.scheduler.listInstances({ task: "job" });
  t.like(listed.instances[0], { runs: 4n, failures: 1n, lastOutcome: RunOutcome.SUCCESS });
  t.deepEqual(listed.instances[0]?.history, [], "ListInstances carries the counters, not the history");
  t.deepEqual(listed.instances[0]?.nextSlots, []);
});

test("a failure's error is kept in the history; history_limit 0 records nothing", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "job", dynamic: true, failureMode: FailureMode.COMMIT } });
  await server.scheduler.putTask({
    task: { name: "quiet", dynamic: true, failureMode: FailureMode.COMMIT, historyLimit: 0 },
  });
  const every = { kind: { case: "interval" as const, value: durationFromMs(EVERY_MS) } };
  for (const task of ["job", "quiet"]) {
    await server.scheduler.schedule({ task, instances: [{ name: "tick", schedule: every }] });
    const worker = new TestWorker(server, { task });
    const [execution] = await worker.next(1, 5_000);
    if (execution === undefined) return t.fail("no delivery");
    await server.execution.ack({
      items: [{ leaseId: execution.leaseId, outcome: Outcome.FAILURE, error: "x".repeat(600) }],
    });
    worker.close();
  }
  const job = (await server.scheduler.getInstance({ task: "job", name: "tick" })).instance;
  t.like(job, { runs: 1n, failures: 1n, lastOutcome: RunOutcome.FAILURE });
  t.is(job?.history.length, 1, "the default history_limit keeps it");
  t.is(job?.history[0]?.error, "x".repeat(200), "the error is cut to 200 bytes");
  const quiet = (await server.scheduler.getInstance({ task: "quiet", name: "tick" })).instance;
  t.like(quiet, { runs: 0n, failures: 0n, lastOutcome: RunOutcome.UNSPECIFIED }, "not even the counters");
  t.deepEqual(quiet?.history, []);
  const task = await server.scheduler.getTask({ name: "job" });
  t.is(task.task?.historyLimit, 10, "unset means 10");

  await server.scheduler.unschedule({ task: "job", names: ["tick"] });
  await server.scheduler.schedule({
    task: "job",
    instances: [{ name: "tick", schedule: { kind: { case: "interval", value: durationFromMs(60_000) } } }],
  });
  const fresh = (await server.scheduler.getInstance({ task: "job", name: "tick" })).instance;
  t.like(fresh, { runs: 0n, failures: 0n, lastOutcome: RunOutcome.UNSPECIFIED });
  t.deepEqual(fresh?.history, [], "the history went with the unscheduled instance");

  const refused = await callError(
    server.scheduler.putTask({ task: { name: "job", dynamic: true, historyLimit: 101 } }),
  );
  t.is(refused.code, status.INVALID_ARGUMENT);
  t.regex(refused.details, /^task\.history_limit: must be 0 \(no history, counters only\) to 100/);
});
