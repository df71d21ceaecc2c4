import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { ScheduleOutcome } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startRedisServer } from "./support/redis-server.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

/*
 * Redis with AOF (appendonly yes, appendfsync always; its own directory and port) killed with
 * SIGKILL while clients schedule and a worker runs executions, then started again on the same
 * directory. The promise a user relies on: a Schedule the server answered is durable. A ledger
 * of every instance named in an answered Schedule is compared with what the server lists after
 * the restart; the server reconnects by itself and executions continue.
 */

const SCHEDULERS = 3;
const BATCH = 50;
const BEATS = Array.from({ length: 8 }, (_, i) => `beat-${i}`);
const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

async function listNames(s: TestServer, task: string): Promise<Set<string>> {
  const found = new Set<string>();
  let pageToken = "";
  do {
    const page = await s.scheduler.listInstances({ task, pageToken, pageSize: 1_000 });
    for (const instance of page.instances) found.add(instance.name);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

/**
 * A client scheduling batches of hourly instances back to back until stopped. `acknowledged`
 * gets the names of every batch the server answered; a batch that failed (Redis gone) may or
 * may not be stored, so it is not in the ledger, and the client keeps trying.
 */
function scheduler(s: TestServer, lane: number, acknowledged: Set<string>) {
  let running = true;
  let batches = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const names = Array.from({ length: BATCH }, (_, i) => `l${lane}-b${batches}-${i}`);
      batches++;
      try {
        const reply = await s.scheduler.schedule({
          task: "ledger",
          instances: names.map((name) => ({ name, schedule: every(3_600_000) })),
        });
        if (reply.outcomes.every((o) => o === ScheduleOutcome.CREATED))
          for (const n of names) acknowledged.add(n);
      } catch {
        failures++;
        await sleep(100);
      }
    }
  })();
  return {
    failures: () => failures,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

test("redis with AOF killed (SIGKILL) under load: every acknowledged schedule is back, executions continue", async (t) => {
  const redis = await startRedisServer({ appendOnly: true });
  t.teardown(() => redis.dispose());
  const s = await startTestServer({ storeUrl: `${redis.url}?ns=aof`, config: { shutdownGraceMs: 500 } });
  t.teardown(() => s.stop());
  await s.scheduler.putTask({ task: { name: "ledger", dynamic: true, partitionCount: 8 } });
  await s.scheduler.putTask({
    task: { name: "beat", dynamic: true, partitionCount: 4, leaseDuration: durationFromMs(3_000) },
  });
  await s.scheduler.schedule({
    task: "beat",
    instances: BEATS.map((name) => ({ name, schedule: every(1_000) })),
  });
  const worker = new TestWorker(s, { task: "beat", workerId: "w" });
  t.teardown(() => worker.close());
  let acking = true;
  const acks = (async () => {
    while (acking) {
      const batch = await worker.poll(200);
      // An ack that fails while Redis is down leaves the lease; the slot comes back later.
      if (batch.length > 0) await worker.ack(batch).catch(() => undefined);
    }
  })();
  t.teardown(async () => {
    acking = false;
    await acks;
  });

  const acknowledged = new Set<string>();
  const lanes = Array.from({ length: SCHEDULERS }, (_, lane) => scheduler(s, lane, acknowledged));
  await until("schedules acknowledged under load", () => acknowledged.size >= 3_000, 20_000);
  await until(
    "executions flowing",
    () => new Set(worker.received.map((e) => e.instance)).size === BEATS.length,
    15_000,
  );
  await redis.kill("SIGKILL");
  const atKill = acknowledged.size;
  await sleep(1_000); // the schedulers keep trying against the dead store
  const restarted = await startRedisServer({ dir: redis.dir, port: redis.port, appendOnly: true });
  t.teardown(() => restarted.kill());
  await until(
    "readiness returns",
    async () => (await s.health.check({ service: "" })).status === ServingStatus.SERVING,
    15_000,
  );
  await until("schedules acknowledged after the restart", () => acknowledged.size >= atKill + 500, 15_000);
  await Promise.all(lanes.map((lane) => lane.stop()));

  const stored = await listNames(s, "ledger");
  const lost = [...acknowledged].filter((name) => !stored.has(name));
  t.deepEqual(lost.slice(0, 20), [], `every acknowledged schedule is back (${lost.length} lost)`);
  const failures = lanes.reduce((sum, lane) => sum + lane.failures(), 0);
  t.true(failures > 0, "the kill happened while clients were scheduling");

  const mark = worker.received.length;
  await until(
    "every beat fires again on the same stream",
    () => new Set(worker.received.slice(mark).map((e) => e.instance)).size === BEATS.length,
    30_000,
  );
  t.log(
    `${atKill} schedules acknowledged before the kill, ${acknowledged.size} in all, ${failures} Schedule calls failed during the outage, ${stored.size} stored`,
  );
});
