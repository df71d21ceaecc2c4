import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { FailureMode } from "../gen/ts/partitura/v1/task_pb.ts";
import { Worker } from "../src/sdk/worker.ts";
import { startTestServer } from "./support/server.ts";

/* The Worker's async-iterator form and Symbol.asyncDispose, against the real server. */

const now = () => ({ kind: { case: "at" as const, value: timestampFromMs(Date.now()) } });

test("for await hands out each execution; ack() finishes it, fail() retries it (UNLOCK)", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "it", dynamic: true, partitionCount: 2, failureMode: FailureMode.UNLOCK },
  });
  await s.scheduler.schedule({
    task: "it",
    instances: ["a", "b", "c"].map((name) => ({ name, schedule: now() })),
  });
  const seen: string[] = [];
  const worker = new Worker({ address: s.address, task: "it", maxInFlight: 4 });
  for await (const execution of worker) {
    seen.push(`${execution.instance}#${execution.attempt}`);
    if (execution.instance === "b" && execution.attempt === 1) execution.fail({ retryAfterMs: 50 });
    else execution.ack();
    if (seen.length === 4) break;
  }
  t.deepEqual([...seen].sort(), ["a#1", "b#1", "b#2", "c#1"]);
  t.is(worker.inFlight, 0);
  t.deepEqual(worker.addresses, [], "leaving the loop stopped the Worker");
  const { instances } = await s.scheduler.listInstances({ task: "it" });
  t.deepEqual(instances, [], "every one-off acked once it succeeded");
});

test("await using stops the Worker at the end of the block, once the execution still running is settled", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "disp", dynamic: true } });
  await s.scheduler.schedule({ task: "disp", instances: [{ name: "x", schedule: now() }] });
  let stopped: Worker | undefined;
  {
    await using worker = new Worker({ address: s.address, task: "disp" });
    stopped = worker;
    const iterator = worker[Symbol.asyncIterator]();
    const first = await iterator.next();
    t.false(first.done);
    // Settled only after the block ends: dispose waits for it (the stream stays open for its ack).
    setTimeout(() => (first.value as { ack(): void }).ack(), 50);
  }
  t.is(stopped.inFlight, 0);
  t.deepEqual(stopped.addresses, []);
  await t.throwsAsync(s.scheduler.getInstance({ task: "disp", name: "x" }), {
    message: /NOT_FOUND|no instance/,
  });
});
