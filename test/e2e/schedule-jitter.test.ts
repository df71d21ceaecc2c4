import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { ExecutionMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import { jitterDelay } from "../../src/domain/jitter.ts";
import { callError } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Deterministic jitter over gRPC, in every store round: an instance with jitter is delivered
 * at its slot plus its own delay, not before, while GetInstance and the execution report the
 * nominal slot, and the reply carries the jitter. The expected delay comes from the domain's
 * one function; PreviewSchedule (preview-schedule.test.ts) answers the same.
 */

const MINUTE = 60_000;
const JITTER = 30_000;
const every = (ms: number, jitter?: number) => ({
  kind: { case: "interval" as const, value: durationFromMs(ms) },
  ...(jitter === undefined ? {} : { jitter: durationFromMs(jitter) }),
});

/** An instance name whose first slot the jitter holds back at least `atLeast` ms. */
function nameDelayed(task: string, slot: number, atLeast: number): string {
  for (let i = 0; ; i++) {
    const name = `herd-${i}`;
    if (jitterDelay({ task, instance: name }, slot, JITTER) >= atLeast) return name;
  }
}

for (const mode of [ExecutionMode.AT_LEAST_ONCE, ExecutionMode.AT_MOST_ONCE]) {
  const label = mode === ExecutionMode.AT_LEAST_ONCE ? "at least once" : "at most once";
  test(`${label}: a jittered instance is delivered at slot + its delay and reports the nominal slot`, async (t) => {
    const clock = new ManualClock();
    const start = clock.now();
    await using s = await startTestServer({ clock });
    const task = `jitter-${mode}`;
    await s.scheduler.putTask({ task: { name: task, dynamic: true, executionMode: mode } });
    const slot1 = start + MINUTE;
    const name = nameDelayed(task, slot1, 5_000);
    const delay1 = jitterDelay({ task, instance: name }, slot1, JITTER);
    const reply = await s.scheduler.schedule({
      task,
      instances: [
        { name, schedule: every(MINUTE, JITTER) },
        { name: "plain", schedule: every(MINUTE) },
      ],
    });
    t.is(
      Number(reply.instances[0]?.schedule?.jitter?.seconds),
      JITTER / 1000,
      "the Schedule reply carries the jitter",
    );
    t.is(reply.instances[1]?.schedule?.jitter, undefined, "an un-jittered schedule has none");

    const got = (await s.scheduler.getInstance({ task, name })).instance;
    t.is(Number(got?.schedule?.jitter?.seconds), JITTER / 1000, "GetInstance carries the jitter");
    t.is(got?.nextRunAt && timestampMs(got.nextRunAt), slot1, "next_run_at is the nominal slot");
    t.is(got?.lockedUntil && timestampMs(got.lockedUntil), slot1 + delay1, "held until its delivery time");

    const worker = new TestWorker(s, { task });
    clock.set(slot1);
    const atSlot = await worker.next();
    t.deepEqual(
      atSlot.map((e) => [e.instance, slotOf(e)]),
      [["plain", slot1]],
      "only the un-jittered one runs at the slot",
    );
    await worker.ack(atSlot);
    clock.set(slot1 + delay1 - 1);
    t.deepEqual(await worker.idle(), [], "nothing a millisecond before its delivery time");
    clock.set(slot1 + delay1);
    const [jittered] = await worker.next();
    t.is(jittered?.instance, name);
    t.is(jittered && slotOf(jittered), slot1, "the execution's scheduled_at is the nominal slot");
    await worker.ack(jittered ? [jittered] : []);

    // The next slot waits for its own delay, the same one any replica computes.
    const slot2 = slot1 + MINUTE;
    const delay2 = jitterDelay({ task, instance: name }, slot2, JITTER);
    const after = (await s.scheduler.getInstance({ task, name })).instance;
    t.is(after?.nextRunAt && timestampMs(after.nextRunAt), slot2);
    t.is(
      after?.lockedUntil ? timestampMs(after.lockedUntil) : slot2,
      slot2 + delay2,
      "the next slot is held for its delay",
    );
    clock.set(slot2 + delay2);
    const delivered = [...(await worker.next())];
    // The un-jittered instance's second slot is due too; collect until the jittered one came.
    while (!delivered.some((e) => e.instance === name)) delivered.push(...(await worker.next()));
    const second = delivered.find((e) => e.instance === name);
    t.is(second && slotOf(second), slot2);
  });
}

test("a static task's jitter is stored with it and applies to its instance", async (t) => {
  const clock = new ManualClock();
  await using s = await startTestServer({ clock });
  const schedule = {
    kind: { case: "cron" as const, value: "0 9 * * *" },
    timezone: "UTC",
    jitter: durationFromMs(MINUTE),
  };
  await s.scheduler.putTask({ task: { name: "nightly", schedule } });
  t.is(Number((await s.scheduler.getTask({ name: "nightly" })).task?.schedule?.jitter?.seconds), 60);
  const instance = (await s.scheduler.getInstance({ task: "nightly", name: "nightly" })).instance;
  const slot = instance?.nextRunAt ? timestampMs(instance.nextRunAt) : 0;
  const delay = jitterDelay({ task: "nightly", instance: "nightly" }, slot, MINUTE);
  t.is(instance?.lockedUntil ? timestampMs(instance.lockedUntil) : slot, slot + delay);
  // PutTask again without the jitter is a changed schedule: the hold goes at once.
  await s.scheduler.putTask({ task: { name: "nightly", schedule: { ...schedule, jitter: undefined } } });
  const plain = (await s.scheduler.getInstance({ task: "nightly", name: "nightly" })).instance;
  t.is(plain?.schedule?.jitter, undefined);
  t.is(plain?.lockedUntil, undefined, "no hold without jitter");
});

test("a jitter over the bound or longer than the interval is refused naming the field", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "j", dynamic: true } });
  const longer = await callError(
    s.scheduler.schedule({ task: "j", instances: [{ name: "a", schedule: every(10_000, 10_001) }] }),
  );
  t.is(longer.code, status.INVALID_ARGUMENT);
  t.regex(longer.details, /^instances\[0\]\.schedule\.jitter: must not be longer than the interval/);
  const huge = await callError(
    s.scheduler.putTask({
      task: {
        name: "k",
        schedule: {
          kind: { case: "cron", value: "0 * * * *" },
          timezone: "",
          jitter: durationFromMs(3_600_001),
        },
      },
    }),
  );
  t.is(huge.code, status.INVALID_ARGUMENT);
  t.regex(huge.details, /^task\.schedule\.jitter: must be 0 \(none\) to 60 minutes/);
  t.deepEqual((await s.scheduler.listInstances({ task: "j" })).instances, [], "nothing was stored");
});
