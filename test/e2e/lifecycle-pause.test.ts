import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  PauseOutcome,
  ResumeOutcome,
  ScheduleOutcome,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { MisfirePolicy } from "../../gen/ts/partitura/v1/task_pb.ts";
import { callError } from "../support/clients.ts";
import { LeaseStatus, slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/*
 * Pause and resume over gRPC (issue 14): an instance due every second is paused, the clock
 * moves on five seconds and nothing is delivered; resumed, the task's misfire policy decides
 * what runs of the slots it missed, or skip_missed skips them. Time is a manual clock, so the
 * seconds pass at once; "nothing is delivered" is a worker that stays quiet for a while.
 */

const SECOND = 1_000;
const everySecond = { kind: { case: "interval" as const, value: durationFromMs(SECOND) } };

async function ticking(policy: MisfirePolicy, graceMs = SECOND) {
  const clock = new ManualClock();
  const start = clock.now();
  const server = await startTestServer({ clock });
  await server.scheduler.putTask({
    task: { name: "job", dynamic: true, misfirePolicy: policy, misfireGrace: durationFromMs(graceMs) },
  });
  await server.scheduler.schedule({ task: "job", instances: [{ name: "tick", schedule: everySecond }] });
  const worker = new TestWorker(server, { task: "job" });
  /** The slot (in seconds after start) of each execution, acked as it arrives, until quiet. */
  const drain = async (): Promise<number[]> => {
    const seen: number[] = [];
    for (;;) {
      const batch = await worker.poll(600);
      if (batch.length === 0) return seen;
      for (const e of batch) seen.push((slotOf(e) - start) / SECOND);
      await worker.ack(batch);
    }
  };
  return { clock, start, server, worker, drain };
}

async function stateOf(server: TestServer, name = "tick") {
  const { instance } = await server.scheduler.getInstance({ task: "job", name });
  return {
    state: instance?.state,
    note: instance?.pauseNote,
    pausedAt: instance?.pausedAt === undefined ? undefined : timestampMs(instance.pausedAt),
  };
}

/** Pauses `tick` at slot 1's time (after it ran), then lets five more seconds pass. */
async function pauseFiveSeconds(setup: Awaited<ReturnType<typeof ticking>>, t: ExecutionContext) {
  const { clock, server, worker, drain } = setup;
  clock.advance(SECOND);
  t.deepEqual(await drain(), [1], "slot 1 runs before the pause");
  const paused = await server.scheduler.pauseInstances({
    task: "job",
    names: ["tick"],
    note: "ops: db failover",
  });
  t.deepEqual(paused.outcomes, [PauseOutcome.PAUSED]);
  for (let s = 0; s < 5; s++) clock.advance(SECOND);
  t.deepEqual(await worker.idle(1_500), [], "nothing is delivered while paused");
}

test("a paused instance is never delivered; resumed under CATCH_UP, every missed slot runs", async (t) => {
  const setup = await ticking(MisfirePolicy.CATCH_UP);
  const { clock, start, server, worker, drain } = setup;
  await using _ = server;
  const pausedAt = clock.now() + SECOND;
  await pauseFiveSeconds(setup, t);
  t.deepEqual(await stateOf(server), { state: InstanceState.PAUSED, note: "ops: db failover", pausedAt });
  const listed = await server.scheduler.listInstances({ task: "job" });
  t.like(listed.instances[0], { name: "tick", state: InstanceState.PAUSED, pauseNote: "ops: db failover" });

  const resumed = await server.scheduler.resumeInstances({ task: "job", names: ["tick"] });
  t.deepEqual(resumed.outcomes, [ResumeOutcome.RESUMED]);
  t.deepEqual(await stateOf(server), { state: InstanceState.ACTIVE, note: "", pausedAt: undefined });
  t.deepEqual(await drain(), [2, 3, 4, 5, 6], "the slots missed while paused run, one at a time");
  clock.advance(SECOND);
  const [next] = await worker.next();
  t.is(next ? slotOf(next) : 0, start + 7 * SECOND, "then it continues on schedule");
  worker.close();
});

test("resumed with skip_missed, no missed slot runs: it continues at the first slot after now", async (t) => {
  const setup = await ticking(MisfirePolicy.CATCH_UP);
  const { clock, start, server, worker } = setup;
  await using _ = server;
  await pauseFiveSeconds(setup, t);
  const resumed = await server.scheduler.resumeInstances({ task: "job", names: ["tick"], skipMissed: true });
  t.deepEqual(resumed.outcomes, [ResumeOutcome.RESUMED]);
  const { instance } = await server.scheduler.getInstance({ task: "job", name: "tick" });
  t.is(instance?.nextRunAt === undefined ? 0 : timestampMs(instance.nextRunAt), start + 7 * SECOND);
  t.deepEqual(await worker.idle(1_000), [], "the missed slots are skipped");
  clock.advance(SECOND);
  const [next] = await worker.next();
  t.is(next ? slotOf(next) : 0, start + 7 * SECOND);
  worker.close();
});

for (const [policy, expected] of [
  [MisfirePolicy.FAST_FORWARD, [6]],
  [MisfirePolicy.SKIP, []],
] as const) {
  test(`resumed under ${MisfirePolicy[policy]}, the policy decides about the missed slots`, async (t) => {
    // A grace of 100 ms and a resume half a second after slot 6: every missed slot is late.
    const setup = await ticking(policy, 100);
    const { clock, start, server, worker, drain } = setup;
    await using _ = server;
    await pauseFiveSeconds(setup, t);
    clock.advance(SECOND / 2);
    await server.scheduler.resumeInstances({ task: "job", names: ["tick"] });
    t.deepEqual(await drain(), [...expected]);
    clock.advance(SECOND / 2);
    const [next] = await worker.next();
    t.is(next ? slotOf(next) : 0, start + 7 * SECOND, "then it continues on schedule");
    worker.close();
  });
}

test("an execution in flight when paused finishes; its ack does not make the instance run again", async (t) => {
  const { clock, server, worker } = await ticking(MisfirePolicy.CATCH_UP);
  await using _ = server;
  clock.advance(SECOND);
  const running = await worker.next();
  const paused = await server.scheduler.pauseInstances({ task: "job", names: ["tick"], note: "" });
  t.deepEqual(paused.outcomes, [PauseOutcome.PAUSED]);
  t.deepEqual(await worker.ack(running), [LeaseStatus.OK], "the running execution's ack is accepted");
  for (let s = 0; s < 4; s++) clock.advance(SECOND);
  t.deepEqual(await worker.idle(1_500), [], "nothing runs after the ack while paused");
  t.is((await stateOf(server)).state, InstanceState.PAUSED);
  worker.close();
});

test("a re-Schedule keeps a paused instance paused; Unschedule and Schedule make a new, active one", async (t) => {
  const { clock, server, worker } = await ticking(MisfirePolicy.SKIP);
  await using _ = server;
  await server.scheduler.pauseInstances({ task: "job", names: ["tick"], note: "keep me paused" });
  const again = await server.scheduler.schedule({
    task: "job",
    instances: [{ name: "tick", schedule: everySecond }],
  });
  t.deepEqual(again.outcomes, [ScheduleOutcome.UPDATED]);
  t.is(again.instances[0]?.state, InstanceState.PAUSED, "the Schedule reply says it is still paused");
  t.like(await stateOf(server), { state: InstanceState.PAUSED, note: "keep me paused" });
  for (let s = 0; s < 3; s++) clock.advance(SECOND);
  t.deepEqual(await worker.idle(1_000), []);

  await server.scheduler.unschedule({ task: "job", names: ["tick"] });
  const fresh = await server.scheduler.schedule({
    task: "job",
    instances: [{ name: "tick", schedule: everySecond }],
  });
  t.deepEqual(fresh.outcomes, [ScheduleOutcome.CREATED]);
  t.is(fresh.instances[0]?.state, InstanceState.ACTIVE);
  clock.advance(SECOND);
  t.is((await worker.next()).length, 1, "the new instance runs");
  worker.close();
});

test("pause and resume answer per name, are idempotent, and refuse bad requests naming the field", async (t) => {
  const { server, worker } = await ticking(MisfirePolicy.CATCH_UP);
  await using _ = server;
  worker.close();
  const first = await server.scheduler.pauseInstances({
    task: "job",
    names: ["tick", "nobody"],
    note: "first",
  });
  t.deepEqual(first.outcomes, [PauseOutcome.PAUSED, PauseOutcome.NOT_FOUND]);
  const second = await server.scheduler.pauseInstances({ task: "job", names: ["tick"], note: "second" });
  t.deepEqual(second.outcomes, [PauseOutcome.ALREADY_PAUSED]);
  t.is((await stateOf(server)).note, "first", "a second pause keeps the first note");
  const resumed = await server.scheduler.resumeInstances({ task: "job", names: ["tick", "tick", "nobody"] });
  t.deepEqual(resumed.outcomes, [ResumeOutcome.RESUMED, ResumeOutcome.NOT_PAUSED, ResumeOutcome.NOT_FOUND]);

  const empty = await callError(server.scheduler.pauseInstances({ task: "job", names: [] }));
  t.is(empty.code, status.INVALID_ARGUMENT);
  t.regex(empty.details, /^names: /);
  const long = await callError(
    server.scheduler.pauseInstances({ task: "job", names: ["tick"], note: "x".repeat(501) }),
  );
  t.is(long.code, status.INVALID_ARGUMENT);
  t.regex(long.details, /^note: .*500 bytes/);
  const badName = await callError(server.scheduler.resumeInstances({ task: "job", names: ["ok", ""] }));
  t.is(badName.code, status.INVALID_ARGUMENT);
  t.regex(badName.details, /^names\[1\]/);
  // A static task's one instance (named after the task) pauses too, and PutTask keeps the pause.
  const heartbeat = { name: "heartbeat", schedule: everySecond };
  await server.scheduler.putTask({ task: heartbeat });
  const staticPause = await server.scheduler.pauseInstances({ task: "heartbeat", names: ["heartbeat"] });
  t.deepEqual(staticPause.outcomes, [PauseOutcome.PAUSED]);
  await server.scheduler.putTask({ task: heartbeat });
  const kept = await server.scheduler.getInstance({ task: "heartbeat", name: "heartbeat" });
  t.is(kept.instance?.state, InstanceState.PAUSED, "a repeated PutTask keeps the static instance paused");

  const noTask = await callError(server.scheduler.resumeInstances({ task: "nothing", names: ["tick"] }));
  t.is(noTask.code, status.NOT_FOUND);
  t.regex(noTask.details, /^task: /);
});
