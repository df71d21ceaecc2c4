import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { callError } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Schedule.max_runs over gRPC, in every store round (issue 14): an instance every 200 ms with
 * max_runs 3 runs exactly three times and is then gone; the Schedule reply and GetInstance
 * show the end_at it became (max_runs 0); a dynamic task's default schedule counts per
 * instance; a static task runs its N and a redeploy neither recounts nor reruns; refusals
 * name the field. The clock is a manual one, so no test waits for wall-clock slots.
 */

const TICK = 200;
const every = (ms: number, maxRuns: number) => ({
  kind: { case: "interval" as const, value: durationFromMs(ms) },
  maxRuns,
});

/** Steps the clock slot by slot, acking each delivery, and answers the slots delivered. */
async function runSlots(clock: ManualClock, worker: TestWorker, slots: number[]): Promise<number[]> {
  const ran: number[] = [];
  for (const slot of slots) {
    clock.set(slot);
    const executions = await worker.next();
    ran.push(...executions.map(slotOf));
    await worker.ack(executions);
  }
  return ran;
}

test("an interval every 200 ms with max_runs 3 runs exactly three times, then is gone", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "trial", dynamic: true } });
  const reply = await s.scheduler.schedule({
    task: "trial",
    instances: [{ name: "three", schedule: every(TICK, 3) }],
  });
  const last = start + 3 * TICK;
  const echoed = reply.instances[0]?.schedule;
  t.is(echoed?.endAt && timestampMs(echoed.endAt), last, "the reply carries the end_at max_runs became");
  t.is(echoed?.maxRuns, 0, "and max_runs 0");
  const got = (await s.scheduler.getInstance({ task: "trial", name: "three" })).instance?.schedule;
  t.is(got?.endAt && timestampMs(got.endAt), last, "GetInstance shows the same end_at");
  t.is(got?.maxRuns, 0);

  const worker = new TestWorker(s, { task: "trial" });
  const ran = await runSlots(clock, worker, [start + TICK, start + 2 * TICK, start + 3 * TICK]);
  t.deepEqual(ran, [start + TICK, start + 2 * TICK, start + 3 * TICK], "three runs, one per slot");
  const gone = await callError(s.scheduler.getInstance({ task: "trial", name: "three" }));
  t.is(gone.code, status.NOT_FOUND, "removed after its third run");
  clock.set(start + 10 * TICK);
  t.deepEqual(await worker.idle(300), [], "no fourth run");
});

test("a dynamic task's default schedule with max_runs counts from each instance's own first slot", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "drip", dynamic: true, schedule: every(TICK, 2) } });
  const task = (await s.scheduler.getTask({ name: "drip" })).task;
  t.is(task?.schedule?.maxRuns, 2, "the task keeps max_runs: it is the template");
  await s.scheduler.schedule({ task: "drip", instances: [{ name: "early" }] });
  clock.set(start + 50);
  await s.scheduler.schedule({ task: "drip", instances: [{ name: "late" }] });
  const endOf = async (name: string) => {
    const end = (await s.scheduler.getInstance({ task: "drip", name })).instance?.schedule?.endAt;
    return end && timestampMs(end);
  };
  t.is(await endOf("early"), start + 2 * TICK);
  t.is(await endOf("late"), start + 50 + 2 * TICK);
});

test("a static task with max_runs runs its runs once; PutTask again neither recounts nor reruns", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  const put = () => s.scheduler.putTask({ task: { name: "warmup", schedule: every(TICK, 2) } });
  await put();
  const worker = new TestWorker(s, { task: "warmup" });
  t.deepEqual(await runSlots(clock, worker, [start + TICK]), [start + TICK]);
  await put(); // a redeploy between the runs: the end stays where the first PutTask put it
  const end = (await s.scheduler.getInstance({ task: "warmup", name: "warmup" })).instance?.schedule?.endAt;
  t.is(end && timestampMs(end), start + 2 * TICK);
  t.deepEqual(await runSlots(clock, worker, [start + 2 * TICK]), [start + 2 * TICK]);
  t.is((await callError(s.scheduler.getInstance({ task: "warmup", name: "warmup" }))).code, status.NOT_FOUND);
  clock.set(start + 5 * TICK);
  await put(); // a redeploy after the last run
  t.is((await callError(s.scheduler.getInstance({ task: "warmup", name: "warmup" }))).code, status.NOT_FOUND);
  t.deepEqual(await worker.idle(300), [], "not run again");
});

test("max_runs on an at schedule or above 100,000 is refused naming the field", async (t) => {
  const clock = new ManualClock();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "r", dynamic: true } });
  const once = { kind: { case: "at" as const, value: timestampFromMs(clock.now() + TICK) }, maxRuns: 1 };
  const onAt = await callError(
    s.scheduler.schedule({ task: "r", instances: [{ name: "a", schedule: once }] }),
  );
  t.is(onAt.code, status.INVALID_ARGUMENT);
  t.regex(onAt.details, /^instances\[0\]\.schedule\.max_runs: must be 0 for an at schedule/);
  const many = await callError(
    s.scheduler.schedule({ task: "r", instances: [{ name: "b", schedule: every(TICK, 100_001) }] }),
  );
  t.is(many.code, status.INVALID_ARGUMENT);
  t.regex(many.details, /^instances\[0\]\.schedule\.max_runs: must be at most 100000/);
  const task = await callError(s.scheduler.putTask({ task: { name: "s", schedule: every(TICK, 100_001) } }));
  t.is(task.code, status.INVALID_ARGUMENT);
  t.regex(task.details, /^task\.schedule\.max_runs: must be at most 100000/);
  t.deepEqual((await s.scheduler.listInstances({ task: "r" })).instances, [], "nothing stored");
});
