import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { FailureMode } from "../gen/ts/partitura/v1/task_pb.ts";
import { RetryLater, Worker } from "../src/sdk/worker.ts";
import { startTestServer } from "./support/server.ts";
import { until } from "./support/wait.ts";

/*
 * The TypeScript SDK Worker against the real server on the wall clock: what a user of the SDK
 * sees is that each execution runs once, failures are retried as the task says, long
 * executions keep their lease by heartbeats, and stop() lets running work finish.
 */

const at = (ms: number) => ({ kind: { case: "at" as const, value: timestampFromMs(ms) } });

test("a Worker runs every due one-off once and acks it (the instances are gone after)", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true, partitionCount: 4 } });
  const names = Array.from({ length: 40 }, (_, i) => `m${i}`);
  await s.scheduler.schedule({
    task: "mail",
    instances: names.map((name) => ({ name, schedule: at(Date.now()) })),
  });
  const ran: string[] = [];
  const worker = new Worker({
    address: s.address,
    task: "mail",
    maxInFlight: 8,
    handler: async (execution) => {
      ran.push(execution.instance);
    },
  }).start();
  await until("the condition", () => ran.length >= names.length);
  await worker.stop();
  t.deepEqual([...ran].sort(), [...names].sort());
  await until("the condition", () => true);
  const { instances } = await s.scheduler.listInstances({ task: "mail" });
  t.deepEqual(instances, [], "acked one-offs are deleted");
});

test("a handler that throws RetryLater is retried after the delay (failure mode UNLOCK)", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "flaky", dynamic: true, failureMode: FailureMode.UNLOCK } });
  await s.scheduler.schedule({ task: "flaky", instances: [{ name: "once", schedule: at(Date.now()) }] });
  const attempts: Array<{ attempt: number; at: number }> = [];
  const worker = new Worker({
    address: s.address,
    task: "flaky",
    handler: async (execution) => {
      attempts.push({ attempt: execution.attempt, at: Date.now() });
      if (attempts.length === 1) throw new RetryLater(300);
    },
  }).start();
  await until("the condition", () => attempts.length >= 2);
  await worker.stop();
  t.deepEqual(
    attempts.map((a) => a.attempt),
    [1, 2],
  );
  const [first, second] = attempts;
  t.true((second?.at ?? 0) - (first?.at ?? 0) >= 250, "the retry waited for retry_after");
});

test("heartbeats keep a long execution's lease: it is not delivered a second time", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "slow", dynamic: true, leaseDuration: durationFromMs(1_000) },
  });
  await s.scheduler.schedule({ task: "slow", instances: [{ name: "report", schedule: at(Date.now()) }] });
  let runs = 0;
  let aborted = false;
  const worker = new Worker({
    address: s.address,
    task: "slow",
    handler: async (_execution, signal) => {
      runs++;
      // Three lease lengths: only heartbeats keep the lease alive this long.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      aborted = signal.aborted;
    },
  }).start();
  await until("the condition", () => runs >= 1);
  await worker.stop(10_000);
  t.is(runs, 1);
  t.false(aborted, "the lease was never lost");
  const { instances } = await s.scheduler.listInstances({ task: "slow" });
  t.deepEqual(instances, [], "the one-off was committed by the ack after 3 s");
});

test("stop(graceMs) does not wait for a handler that ignores its signal: the execution is retried", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "stuck", dynamic: true, failureMode: FailureMode.UNLOCK } });
  await s.scheduler.schedule({ task: "stuck", instances: [{ name: "job", schedule: at(Date.now()) }] });
  let release = () => {};
  const stuck = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = false;
  const first = new Worker({
    address: s.address,
    task: "stuck",
    handler: async () => {
      started = true;
      await stuck; // never looks at its signal
    },
  }).start();
  await until("the condition", () => started);
  const stopped = first.stop(200).then(() => "stopped" as const);
  const hung = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 8_000).unref());
  t.is(await Promise.race([stopped, hung]), "stopped", "stop() resolved soon after the grace");
  const attempts: number[] = [];
  const second = new Worker({
    address: s.address,
    task: "stuck",
    handler: async (execution) => {
      attempts.push(execution.attempt);
    },
  }).start();
  await until("the condition", () => attempts.length >= 1);
  // The abandoned handler settles late: that must change nothing (no second ack, no crash).
  release();
  await second.stop();
  // Attempt 2 or later: the stopping worker may have been handed the retry and released it.
  t.is(attempts.length, 1, "run again once");
  t.true((attempts[0] ?? 0) >= 2, "the aborted execution was acked as a failure and run again");
});

test("a handler that throws synchronously acks FAILURE (retried under UNLOCK) without crashing", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "sync", dynamic: true, failureMode: FailureMode.UNLOCK } });
  await s.scheduler.schedule({ task: "sync", instances: [{ name: "once", schedule: at(Date.now()) }] });
  const attempts: number[] = [];
  const worker = new Worker({
    address: s.address,
    task: "sync",
    // Not async: the throw happens inside the call, in the stream's "data" listener.
    handler: (execution) => {
      attempts.push(execution.attempt);
      if (attempts.length === 1) throw new Error("boom");
      return Promise.resolve();
    },
  }).start();
  await until("the condition", () => attempts.length >= 2);
  await worker.stop();
  t.deepEqual(attempts, [1, 2]);
  const { instances } = await s.scheduler.listInstances({ task: "sync" });
  t.deepEqual(instances, [], "the retry succeeded and committed the one-off");
});
