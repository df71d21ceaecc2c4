import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { startRedisServer } from "../support/redis-server.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Two replicas, A and B, on one Redis namespace; only B has a worker. A one-off scheduled
 * through A lands in Redis, and A's engine has no stream for the task, so nothing claims it
 * there. B's pollers sleep until the poll bound (the engine's default with Redis wake-ups:
 * 10 s), so only the pub/sub wake-up that A's Schedule publishes can bring the one-off to B's
 * worker in time. The margin is 500 ms after the slot, twenty times looser than the bench's
 * target, because the machine is small and shared.
 */

const AHEAD_MS = 50;
const MARGIN_MS = 500;
const TRIES = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a one-off scheduled through replica A is delivered by replica B's worker within 500 ms of its slot", async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.dispose());
  const storeUrl = `${redis.url}?ns=wake`;
  const a = await startTestServer({ storeUrl, config: { replicaId: "replica-a" } });
  t.teardown(() => a.stop());
  const b = await startTestServer({ storeUrl, config: { replicaId: "replica-b" } });
  t.teardown(() => b.stop());

  await a.scheduler.putTask({ task: { name: "ping", dynamic: true, partitionCount: 4 } });
  const worker = new TestWorker(b, { task: "ping", workerId: "on-b" });
  t.teardown(() => worker.close());
  // Let B's pollers make their first look (nothing due) and fall into their long sleep.
  await sleep(1_000);

  for (let i = 0; i < TRIES; i++) {
    const slot = Date.now() + AHEAD_MS;
    await a.scheduler.schedule({
      task: "ping",
      instances: [{ name: `once-${i}`, schedule: { kind: { case: "at", value: timestampFromMs(slot) } } }],
    });
    const [execution] = await worker.next(1, 5_000).catch((thrown: unknown) => {
      throw new Error(`try ${i}: the one-off due at ${slot} never reached B's worker`, { cause: thrown });
    });
    const lag = Date.now() - slot;
    t.is(execution?.instance, `once-${i}`);
    t.is(execution && slotOf(execution), slot, "delivered for its slot");
    t.true(lag < MARGIN_MS, `try ${i}: delivered ${lag} ms after its slot`);
    t.log(`try ${i}: ${lag} ms after the slot`);
    await worker.ack(execution ? [execution] : []);
    // An idle pause, so every try starts from sleeping pollers.
    await sleep(300 + Math.floor(Math.random() * 300));
  }
  t.is(a.server.engine.stats().streams, 0, "A served no worker: B delivered every one-off");
  t.is(worker.received.length, TRIES, "each one-off once");
});
