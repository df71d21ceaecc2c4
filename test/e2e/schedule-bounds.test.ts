import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { ExecutionMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import { callError } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Schedule bounds over gRPC, in every store round: an instance with end_at runs its slots up
 * to the end and is then gone (as a one-off that ran), one with start_at ahead is not
 * delivered before it, and bounds out of order are refused naming the field. The clock is a
 * manual one, so no test waits for wall-clock slots.
 */

const MINUTE = 60_000;
const every = (ms: number, bounds: { start?: number; end?: number } = {}) => ({
  kind: { case: "interval" as const, value: durationFromMs(ms) },
  ...(bounds.start === undefined ? {} : { startAt: timestampFromMs(bounds.start) }),
  ...(bounds.end === undefined ? {} : { endAt: timestampFromMs(bounds.end) }),
});

for (const mode of [ExecutionMode.AT_LEAST_ONCE, ExecutionMode.AT_MOST_ONCE]) {
  const label = mode === ExecutionMode.AT_LEAST_ONCE ? "at least once" : "at most once";
  test(`${label}: an instance with end_at runs every slot up to the end, then is gone`, async (t) => {
    const clock = new ManualClock();
    const start = clock.now();
    await using s = await startTestServer({ clock });
    const task = `bounds-end-${mode}`;
    await s.scheduler.putTask({ task: { name: task, dynamic: true, executionMode: mode } });
    const end = start + 3 * MINUTE + 30_000;
    const reply = await s.scheduler.schedule({
      task,
      instances: [{ name: "campaign", schedule: every(MINUTE, { end }) }],
    });
    const echoed = reply.instances[0]?.schedule?.endAt;
    t.is(echoed && timestampMs(echoed), end, "the Schedule reply carries end_at");
    t.is(reply.instances[0]?.schedule?.startAt, undefined, "and no start_at, none was sent");
    const got = (await s.scheduler.getInstance({ task, name: "campaign" })).instance?.schedule?.endAt;
    t.is(got && timestampMs(got), end, "GetInstance carries end_at");

    const worker = new TestWorker(s, { task });
    const ran: number[] = [];
    for (let slot = start + MINUTE; slot <= end; slot += MINUTE) {
      clock.set(slot);
      const executions = await worker.next();
      ran.push(...executions.map(slotOf));
      t.deepEqual(
        await worker.ack(executions),
        executions.map(() => 1),
        "acked",
      );
    }
    t.deepEqual(ran, [start + MINUTE, start + 2 * MINUTE, start + 3 * MINUTE], "every slot up to end_at");
    const gone = await callError(s.scheduler.getInstance({ task, name: "campaign" }));
    t.is(gone.code, status.NOT_FOUND, "removed after its last run");
    clock.set(start + 10 * MINUTE);
    t.deepEqual(await worker.idle(300), [], "nothing after end_at");
  });
}

test("an instance with start_at ahead is not delivered before it; its first slot is start_at", async (t) => {
  const clock = new ManualClock();
  const now = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "later", dynamic: true } });
  const startAt = now + 10 * MINUTE + 7_000;
  await s.scheduler.schedule({
    task: "later",
    instances: [
      { name: "interval", schedule: every(10 * MINUTE, { start: startAt }) },
      // A cron's first slot is its first at or after start_at: the quarter hour after it.
      {
        name: "cron",
        schedule: {
          kind: { case: "cron", value: "*/15 * * * *" },
          timezone: "UTC",
          startAt: timestampFromMs(startAt),
        },
      },
    ],
  });
  const nextRunAt = async (name: string) => {
    const at = (await s.scheduler.getInstance({ task: "later", name })).instance?.nextRunAt;
    return at && timestampMs(at);
  };
  t.is(await nextRunAt("interval"), startAt);
  t.is(await nextRunAt("cron"), now + 15 * MINUTE);

  const worker = new TestWorker(s, { task: "later" });
  clock.set(now + 10 * MINUTE);
  t.deepEqual(await worker.idle(300), [], "no slot of now + interval, as an unbounded interval would have");
  clock.set(startAt - 1);
  t.deepEqual(await worker.idle(300), [], "nothing a millisecond before start_at");
  clock.set(startAt);
  const [first] = await worker.next();
  t.is(first?.instance, "interval");
  t.is(first && slotOf(first), startAt);
  await worker.ack(first ? [first] : []);
  clock.set(now + 15 * MINUTE);
  const [cron] = await worker.next();
  t.is(cron?.instance, "cron");
  t.is(cron && slotOf(cron), now + 15 * MINUTE);
});

test("a static task with end_at runs to its end; PutTask again neither fails nor runs it again", async (t) => {
  const clock = new ManualClock();
  const now = clock.now();
  await using s = await startTestServer({ clock });
  const end = now + 2 * MINUTE;
  const put = () => s.scheduler.putTask({ task: { name: "trial", schedule: every(MINUTE, { end }) } });
  await put();
  const worker = new TestWorker(s, { task: "trial" });
  for (const slot of [now + MINUTE, now + 2 * MINUTE]) {
    clock.set(slot);
    const executions = await worker.next();
    t.deepEqual(executions.map(slotOf), [slot]);
    await worker.ack(executions);
  }
  t.is((await callError(s.scheduler.getInstance({ task: "trial", name: "trial" }))).code, status.NOT_FOUND);
  clock.set(now + 5 * MINUTE);
  await put(); // a redeploy, after the end
  t.is((await callError(s.scheduler.getInstance({ task: "trial", name: "trial" }))).code, status.NOT_FOUND);
  t.deepEqual(await worker.idle(300), []);
  // A changed schedule that has ended is a mistake, refused naming the field.
  const changed = await callError(
    s.scheduler.putTask({ task: { name: "trial", schedule: every(2 * MINUTE, { end }) } }),
  );
  t.is(changed.code, status.INVALID_ARGUMENT);
  t.regex(changed.details, /^task\.schedule\.end_at: .* leaves no slot/);
});

test("bounds out of order, on an at schedule or with no slot left are refused naming the field", async (t) => {
  const clock = new ManualClock();
  const now = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "b", dynamic: true } });
  const refused = async (schedule: Parameters<typeof every>[1] & { at?: boolean }, pattern: RegExp) => {
    const body = schedule.at
      ? { kind: { case: "at" as const, value: timestampFromMs(now + MINUTE) }, startAt: timestampFromMs(now) }
      : every(MINUTE, schedule);
    const error = await callError(
      s.scheduler.schedule({ task: "b", instances: [{ name: "a", schedule: body }] }),
    );
    t.is(error.code, status.INVALID_ARGUMENT, error.details);
    t.regex(error.details, pattern);
  };
  await refused(
    { start: now + MINUTE, end: now + MINUTE },
    /^instances\[0\]\.schedule\.end_at: must be after start_at/,
  );
  await refused(
    { start: now + MINUTE, end: now },
    /^instances\[0\]\.schedule\.end_at: must be after start_at/,
  );
  await refused({ end: now + MINUTE - 1 }, /^instances\[0\]\.schedule\.end_at: .* leaves no slot/);
  await refused({ at: true }, /^instances\[0\]\.schedule\.start_at: .*apply to cron and interval schedules/);
  const task = await callError(
    s.scheduler.putTask({
      task: { name: "c", schedule: every(MINUTE, { start: now + 2 * MINUTE, end: now }) },
    }),
  );
  t.is(task.code, status.INVALID_ARGUMENT);
  t.regex(task.details, /^task\.schedule\.end_at: must be after start_at/);
  t.deepEqual((await s.scheduler.listInstances({ task: "b" })).instances, [], "nothing was stored");
});
