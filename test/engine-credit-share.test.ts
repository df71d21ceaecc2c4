import test from "ava";
import { pino } from "pino";
import type { Delivery } from "../src/engine/delivery.ts";
import { Engine } from "../src/engine/engine.ts";
import { openStore } from "../src/store/open.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { testStoreUrl } from "./support/server.ts";

/*
 * One stream's credit is shared by the pollers of every partition it serves. A busy partition
 * must not starve the others by taking each unit of credit back the moment an ack returns it:
 * with a one-minute poll bound, only credit handed to the waiting pollers explains every
 * partition being served within seconds.
 */

const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

test("pollers sharing a stream's credit all get served; none waits for its poll bound", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  const store = await openStore(testStoreUrl(), logger);
  const task = taskRecord("share", { partitionCount: 4 });
  await store.putTask(task);
  await store.upsertInstances(
    task,
    Array.from({ length: 40 }, (_, i) => draft(`i${i}`, start, { partition: i % 4 })),
    "force",
    start,
  );
  const engine = new Engine({ store, clock, logger, owner: "r", maxPollMs: 60_000 });
  const received: Delivery[] = [];
  await engine.openStream(
    { task: "share", partitions: [], workerId: "w", maxInFlight: 3 },
    {
      send(batch) {
        received.push(...batch);
        void engine.ack(batch.map((d) => ({ leaseId: d.leaseId, failed: false })));
      },
      end() {},
    },
  );
  const deadline = Date.now() + 15_000;
  while (received.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(received.length, 40);
  t.deepEqual([...new Set(received.map((d) => d.partition))].sort(), [0, 1, 2, 3]);
  await engine.shutdown(1000);
  await store.close();
});
