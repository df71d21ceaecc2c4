import test from "ava";
import { TestWorker } from "../support/execution-worker.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Issue 12: one Execute stream on an empty task of 65,536 partitions used to saturate the
 * server (each empty claim's returned credit kicked every poller of the stream: quadratic), so
 * other calls hung for seconds and the server stayed busy long after the worker left. The
 * bounds here are loose (seconds); bench/scenarios/many-partitions.ts measures the real cost.
 */

/*
 * DynamoDB Local answers about a thousand requests a second: the first look of 65,536
 * partitions would hold the emulator (shared with the other tests of the round) for a minute.
 * The engine's cost does not depend on the store, so that round uses a smaller task.
 */
const PARTITIONS = (process.env.PARTITURA_TEST_STORE ?? "").startsWith("dynamodb:") ? 1_024 : 65_536;
const UNARY_BOUND_MS = 3_000;

test(`with a stream open on a ${PARTITIONS}-partition task, unary calls complete and the server stops promptly after the worker leaves`, async (t) => {
  const s = await startTestServer();
  await using _ = s;
  await s.scheduler.putTask({ task: { name: "wide", dynamic: true, partitionCount: PARTITIONS } });
  const worker = new TestWorker(s, { task: "wide", workerId: "w", maxInFlight: 100 });
  // Let the first look of every partition get under way.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  let slowest = 0;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const reply = await s.scheduler.getTask({ name: "wide" }, { deadline: Date.now() + UNARY_BOUND_MS });
    slowest = Math.max(slowest, performance.now() - started);
    t.is(reply.task?.partitionCount, PARTITIONS);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.log(`slowest GetTask while the stream is open: ${slowest.toFixed(1)} ms`);
  t.true(slowest < UNARY_BOUND_MS);
  t.deepEqual(await worker.idle(200), [], "nothing is due: nothing delivered");

  worker.close();
  await worker.ended;
  const started = performance.now();
  await s.scheduler.listTasks({}, { deadline: Date.now() + UNARY_BOUND_MS });
  await s.stop();
  const stopMs = performance.now() - started;
  t.log(`server stopped ${stopMs.toFixed(0)} ms after the worker left`);
  t.true(stopMs < 10_000, "the server stops within seconds once the worker left");
  t.is(s.server.engine.stats().pollers, 0);
});
