import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import test from "ava";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.ts";
import { TestWorker } from "../support/execution-worker.ts";
import { startRedisServer } from "../support/redis-server.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { until } from "../support/wait.ts";

/*
 * The store goes away under a running server: a Redis with AOF (appendfsync always) is killed
 * with SIGKILL while a worker holds an Execute stream on an interval task, then restarted on
 * the same directory and port. What a user notices: readiness turns NOT_SERVING while liveness
 * stays SERVING (so Kubernetes stops routing but restarts nothing), the worker's stream stays
 * open throughout, and once Redis is back readiness returns, executions resume on that same
 * stream, and every scheduled instance is still there.
 *
 * Real time throughout (the outage is real). Resuming gets 30 s after readiness returns, three
 * times the engine's poll bound with Redis (10 s), since a failed look may be retried only then.
 */

const INSTANCES = 8;
const names = Array.from({ length: INSTANCES }, (_, i) => `beat-${i}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function status(s: TestServer, service: string): Promise<ServingStatus> {
  return (await s.health.check({ service })).status;
}

/** Every instance name of `task`, page by page, sorted. */
async function listNames(s: TestServer, task: string): Promise<string[]> {
  const found: string[] = [];
  let pageToken = "";
  do {
    const page = await s.scheduler.listInstances({ task, pageToken });
    found.push(...page.instances.map((i) => i.name));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found.sort();
}

/**
 * Acks whatever arrives until stopped. An ack that fails while Redis is down is recorded with
 * its gRPC code, not fatal: the lease stays and the slot is redelivered after it expires.
 */
function ackLoop(worker: TestWorker): { stop(): Promise<void>; readonly failedCodes: number[] } {
  let running = true;
  const failedCodes: number[] = [];
  const loop = (async () => {
    while (running) {
      const batch = await worker.poll(200);
      if (batch.length === 0) continue;
      try {
        await worker.ack(batch);
      } catch (thrown) {
        failedCodes.push((thrown as Partial<ServiceError>).code ?? -1);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    failedCodes,
  };
}

/** True while the server has not ended the worker's Execute stream. */
async function stillOpen(worker: TestWorker): Promise<boolean> {
  const ended = await Promise.race([worker.ended, sleep(0).then(() => undefined)]);
  return ended === undefined;
}

test("a Redis killed under a running server: NOT_SERVING, liveness and the stream stay; after restart executions resume, nothing lost", async (t) => {
  const redis = await startRedisServer({ appendOnly: true });
  t.teardown(() => redis.dispose());
  const s = await startTestServer({ storeUrl: `${redis.url}?ns=outage`, config: { shutdownGraceMs: 500 } });
  t.teardown(() => s.stop());

  await s.scheduler.putTask({
    task: { name: "beat", dynamic: true, partitionCount: 4, leaseDuration: durationFromMs(3_000) },
  });
  await s.scheduler.schedule({
    task: "beat",
    instances: names.map((name) => ({
      name,
      schedule: { kind: { case: "interval", value: durationFromMs(1_000) } },
    })),
  });
  const worker = new TestWorker(s, { task: "beat", workerId: "steady" });
  t.teardown(() => worker.close());
  const acks = ackLoop(worker);
  t.teardown(() => acks.stop());
  const seen = (from: number) => new Set(worker.received.slice(from).map((e) => e.instance));

  await until("every instance fires before the outage", () => seen(0).size === INSTANCES, 15_000);
  // Several partitions on one stream: a partition must not stay asleep while its siblings resume.
  t.is(new Set(worker.received.map((e) => e.partition)).size, 4, "the instances span every partition");
  t.is(await status(s, ""), ServingStatus.SERVING);

  const killedAt = Date.now();
  await redis.kill("SIGKILL");
  await until(
    "readiness turns NOT_SERVING",
    async () => (await status(s, "")) === ServingStatus.NOT_SERVING,
    5_000,
  );
  t.is(await status(s, "liveness"), ServingStatus.SERVING, "liveness stays SERVING during the outage");
  // Long enough for the pollers' next looks (the interval is 1 s) to fail against the dead store.
  await sleep(2_500);
  t.is(await status(s, ""), ServingStatus.NOT_SERVING, "still NOT_SERVING while Redis is down");
  t.is(await status(s, "liveness"), ServingStatus.SERVING);
  t.true(await stillOpen(worker), "the server keeps the Execute stream open during the outage");

  const restarted = await startRedisServer({ dir: redis.dir, port: redis.port, appendOnly: true });
  t.teardown(() => restarted.kill());
  await until("readiness returns", async () => (await status(s, "")) === ServingStatus.SERVING, 15_000);
  const servingAt = Date.now();
  const mark = worker.received.length;
  await until("every instance fires again on the same stream", () => seen(mark).size === INSTANCES, 30_000);
  t.log(
    `serving again ${servingAt - killedAt} ms after the kill; resumed after ${Date.now() - servingAt} ms more`,
  );

  t.true(await stillOpen(worker), "executions resumed on the stream opened before the outage");
  t.truthy((await s.scheduler.getTask({ name: "beat" })).task, "the task is still defined");
  t.deepEqual(await listNames(s, "beat"), [...names].sort(), "every instance is still scheduled");
  t.true(
    acks.failedCodes.every((code) => code === grpcStatus.UNAVAILABLE),
    `acks during the outage fail as UNAVAILABLE (got ${acks.failedCodes.join(", ")})`,
  );
  t.log(`${worker.received.length} executions, ${acks.failedCodes.length} acks failed during the outage`);
});
