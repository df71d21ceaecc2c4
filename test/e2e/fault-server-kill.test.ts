import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import type { Execution } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Instance } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { ExecutionMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import type { Clients } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { testStoreUrl } from "../support/server.ts";
import { type SpawnedServer, spawnServer } from "../support/spawn-server.ts";

/*
 * The server process killed with SIGKILL mid-load, on the test store (a SQLite file, Redis or
 * DynamoDB Local; the data outlives the process), then started again on the same store. What a
 * user notices: an at-least-once execution that was delivered and never acked comes back (same
 * slot, next attempt) once its lease has ended, from the restarted server; an at-most-once one
 * never comes back (its slot was committed before delivery); every instance is still scheduled
 * with its next slot. Real time throughout: the lease runs out on the wall clock.
 */

const LEASE_MS = 6_000;
const every = (ms: number) => ({ kind: { case: "interval" as const, value: durationFromMs(ms) } });
/** At-least-once instances the worker acks (the load that keeps flowing)... */
const acked = ["a0", "a1", "a2", "a3", "a4", "a5"];
/** ...those it holds without acking when the server dies... */
const held = ["h0", "h1", "h2", "h3", "h4", "h5"];
/** ...and at-most-once instances, also held. */
const once = ["m0", "m1", "m2", "m3", "m4", "m5"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

async function setUp(s: Clients): Promise<void> {
  for (const [name, executionMode] of [
    ["alo", ExecutionMode.AT_LEAST_ONCE],
    ["amo", ExecutionMode.AT_MOST_ONCE],
  ] as const) {
    await s.scheduler.putTask({
      task: {
        name,
        dynamic: true,
        partitionCount: 4,
        leaseDuration: durationFromMs(LEASE_MS),
        executionMode,
      },
    });
  }
  const instances = (names: string[]) => names.map((name) => ({ name, schedule: every(1_000) }));
  await s.scheduler.schedule({ task: "alo", instances: instances([...acked, ...held]) });
  await s.scheduler.schedule({ task: "amo", instances: instances(once) });
}

/** Acks the deliveries of `ackable` instances as they arrive; the rest are held. */
function ackLoop(worker: TestWorker, ackable: (e: Execution) => boolean): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      const batch = (await worker.poll(100)).filter(ackable);
      // An ack racing the kill fails; its slot is then redelivered, which the test allows.
      if (batch.length > 0) await worker.ack(batch).catch(() => undefined);
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function listAll(s: Clients, task: string): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>();
  let pageToken = "";
  do {
    const page = await s.scheduler.listInstances({ task, pageToken });
    for (const instance of page.instances) found.set(instance.name, instance);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

const ms = (t: Parameters<typeof timestampMs>[0] | undefined) =>
  t === undefined ? undefined : timestampMs(t);
const byName = (list: readonly Execution[], name: string) => list.filter((e) => e.instance === name);

test("server SIGKILL mid-load: unacked at-least-once executions come back after the lease, at-most-once ones never, no schedule lost", async (t) => {
  const storeUrl = testStoreUrl();
  let first: SpawnedServer | undefined = await spawnServer(storeUrl, { PARTITURA_REPLICA_ID: "first" });
  t.teardown(() => first?.kill());
  await setUp(first);
  const alo = new TestWorker(first, { task: "alo", workerId: "w1", maxInFlight: 100 });
  const amo = new TestWorker(first, { task: "amo", workerId: "w1", maxInFlight: 100 });
  const stopAcking = ackLoop(alo, (e) => acked.includes(e.instance));

  await until(
    "every instance delivered, the acked ones twice",
    () =>
      held.every((n) => byName(alo.received, n).length > 0) &&
      acked.every((n) => byName(alo.received, n).length > 1) &&
      once.every((n) => byName(amo.received, n).length > 0),
    15_000,
  );
  await first.kill();
  first = undefined;
  const killedAt = Date.now();
  await stopAcking();
  const heldBefore = new Map(held.map((n) => [n, byName(alo.received, n).at(-1) as Execution]));
  const onceSlots = new Set(amo.received.map((e) => `${e.instance}@${slotOf(e)}`));
  t.true(
    [...heldBefore.values()].every((e) => (ms(e.leaseExpiresAt) ?? 0) > killedAt),
    "the held leases were still live when the server died",
  );

  const second = await spawnServer(storeUrl, { PARTITURA_REPLICA_ID: "second" });
  t.teardown(() => second.kill());
  const aloAfter = await listAll(second, "alo");
  const amoAfter = await listAll(second, "amo");
  t.deepEqual(
    [...aloAfter.keys()].sort(),
    [...acked, ...held].sort(),
    "every at-least-once instance is there",
  );
  t.deepEqual([...amoAfter.keys()].sort(), [...once].sort(), "every at-most-once instance is there");
  for (const [name, execution] of heldBefore) {
    const stored = aloAfter.get(name);
    t.is(ms(stored?.nextRunAt), slotOf(execution), `${name} still waits on its unacked slot`);
    t.is(ms(stored?.lockedUntil), ms(execution.leaseExpiresAt), `${name} stays leased until its lease ends`);
  }
  for (const name of once) {
    const last = Math.max(...byName(amo.received, name).map(slotOf));
    t.is(
      ms(amoAfter.get(name)?.nextRunAt),
      last + 1_000,
      `${name} moved on to its next slot before delivery`,
    );
  }

  const alo2 = new TestWorker(second, { task: "alo", workerId: "w2", maxInFlight: 100 });
  const amo2 = new TestWorker(second, { task: "amo", workerId: "w2", maxInFlight: 100 });
  const stop2 = [ackLoop(alo2, () => true), ackLoop(amo2, () => true)];
  t.teardown(() => Promise.all(stop2.map((stop) => stop())));
  await until(
    "held executions redelivered; every instance running again",
    () =>
      held.every((n) => alo2.received.some((e) => e.instance === n && e.attempt > 1)) &&
      once.every((n) => byName(amo2.received, n).length > 1) &&
      acked.every((n) => byName(alo2.received, n).length > 0),
    LEASE_MS + 15_000,
  );
  for (const [name, before] of heldBefore) {
    const again = alo2.received.find((e) => e.instance === name && e.attempt > 1);
    t.like(again, { attempt: before.attempt + 1 }, `${name} came back as the next attempt`);
    t.is(again && slotOf(again), slotOf(before), `${name} came back with the same slot`);
  }
  const repeated = amo2.received.filter((e) => onceSlots.has(`${e.instance}@${slotOf(e)}`));
  t.deepEqual(repeated, [], "no at-most-once slot delivered before the kill came again");
  t.true(
    amo2.received.every((e) => e.attempt === 1),
    "at-most-once executions are always first attempts",
  );
  t.log(`store ${storeUrl.split(":")[0]}: redelivered ${held.length} held executions after the lease`);
  alo2.close();
  amo2.close();
});
