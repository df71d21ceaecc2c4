import { createServer } from "node:net";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { Worker } from "../src/sdk/worker.ts";
import { startTestServer, testStoreUrl } from "./support/server.ts";

/*
 * The Worker follows the partition map: it asks the address it was given for the map and
 * streams from the replicas the map names, and re-reads the map when a replica goes away.
 * Two servers share one SQLite store file, as two replicas share a store.
 */

const due = (ms = Date.now()) => ({ kind: { case: "at" as const, value: timestampFromMs(ms) } });

function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error("condition not met in time"));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

test("the Worker streams from the replica the map advertises, not from the address it was given", async (t) => {
  const storeUrl = testStoreUrl("sqlite");
  await using b = await startTestServer({ storeUrl, config: { replicaId: "b" } });
  await using a = await startTestServer({ storeUrl, config: { replicaId: "a", advertise: b.address } });
  await a.scheduler.putTask({ task: { name: "mapped", dynamic: true, partitionCount: 4 } });
  const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
  await a.scheduler.schedule({ task: "mapped", instances: names.map((name) => ({ name, schedule: due() })) });
  const ran: string[] = [];
  const worker = new Worker({
    address: a.address,
    task: "mapped",
    handler: async (execution) => {
      ran.push(execution.instance);
    },
  }).start();
  await until(() => ran.length >= names.length);
  t.deepEqual(worker.addresses, [b.address]);
  await worker.stop();
  t.deepEqual([...ran].sort(), [...names].sort());
});

test("a replica that shuts down ends its streams UNAVAILABLE; the Worker re-reads the map and loses nothing", async (t) => {
  const storeUrl = testStoreUrl("sqlite");
  const membership = {
    ownership: {
      mode: "membership" as const,
      timings: { heartbeatMs: 150, memberTtlMs: 600, joinDelayMs: 150 },
    },
  };
  const [portA, portB] = [await freePort(), await freePort()];
  const listenA = `127.0.0.1:${portA}`;
  const listenB = `127.0.0.1:${portB}`;
  await using a = await startTestServer({
    storeUrl,
    config: { ...membership, listen: listenA, advertise: listenA, replicaId: "a" },
  });
  const b = await startTestServer({
    storeUrl,
    config: { ...membership, listen: listenB, advertise: listenB, replicaId: "b" },
  });
  await a.scheduler.putTask({ task: { name: "moving", dynamic: true, partitionCount: 8 } });
  const map = async () =>
    (await a.scheduler.getPartitionMap({ task: "moving" })).replicas.filter((r) => r.partitions.length > 0);
  // Both replicas own partitions before the Worker starts.
  const deadline = Date.now() + 10_000;
  while ((await map()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.is((await map()).length, 2, "both replicas own partitions");
  const ran = new Map<string, number>();
  const errors: string[] = [];
  const worker = new Worker({
    address: listenA,
    task: "moving",
    mapPollMs: 60_000, // only the stream's end may make it re-read the map in time
    onError: (error) => errors.push(error.message),
    handler: async (execution) => {
      ran.set(execution.instance, (ran.get(execution.instance) ?? 0) + 1);
    },
  }).start();
  await until(() => worker.addresses.length === 2);
  t.deepEqual([...worker.addresses].sort(), [listenA, listenB].sort());
  const first = Array.from({ length: 20 }, (_, i) => `before${i}`);
  await a.scheduler.schedule({ task: "moving", instances: first.map((name) => ({ name, schedule: due() })) });
  await until(() => first.every((n) => ran.has(n)));
  await b.stop();
  const after = Array.from({ length: 20 }, (_, i) => `after${i}`);
  await a.scheduler.schedule({ task: "moving", instances: after.map((name) => ({ name, schedule: due() })) });
  await until(() => after.every((n) => ran.has(n)));
  await until(() => worker.addresses.length === 1);
  t.deepEqual(worker.addresses, [listenA], "the Worker left the stopped replica");
  t.true(
    errors.some((m) => /UNAVAILABLE/.test(m)),
    errors.join("; "),
  );
  await worker.stop();
  t.deepEqual([...ran.keys()].sort(), [...first, ...after].sort(), "none lost");
  t.true(
    [...ran.values()].every((n) => n === 1),
    "no duplicates (no lease expired)",
  );
});
