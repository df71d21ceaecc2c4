import test from "ava";
import { pino } from "pino";
import { systemClock } from "../src/domain/clock.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { Engine } from "../src/engine/engine.ts";
import { openStore } from "../src/store/open.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { testStoreUrl } from "./support/server.ts";

/*
 * A poller sleeps until its partition's earliest due time, bounded by maxPollMs; an in-process
 * wake-up (what Schedule does after its upsert) must cut that sleep short. The bound here is a
 * minute, so only the wake-up can explain a delivery within seconds.
 */

const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

test("engine.wake delivers a newly due instance at once, without waiting for the poll bound", async (t) => {
  const store = await openStore(testStoreUrl(), logger);
  const task = taskRecord("wake", { partitionCount: 1 });
  await store.putTask(task);
  const engine = new Engine({ store, clock: systemClock, logger, owner: "r", maxPollMs: 60_000 });
  const received: Delivery[] = [];
  await engine.openStream(
    { task: "wake", partitions: [], workerId: "w", maxInFlight: 0 },
    { send: (batch) => received.push(...batch), end() {} },
  );
  // Let the first look (nothing due) finish and the poller fall asleep.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const now = Date.now();
  await store.upsertInstances(task, [draft("soon", now)], "force", now);
  engine.wake("wake", 0, now);
  const deadline = Date.now() + 10_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(
    received.map((d) => d.instance),
    ["soon"],
  );
  t.is(engine.stats().leases, 1);
  await engine.shutdown(100);
  t.is(engine.stats().leases, 0, "shutdown released what was not acked");
  await store.close();
});
