import test from "ava";
import { pino } from "pino";
import { Engine } from "../src/engine/engine.ts";
import { openStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { ackingSink } from "./support/acking-sink.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { testStoreUrl } from "./support/server.ts";
import { until } from "./support/wait.ts";

/*
 * Two replicas (two engines, each with its own store connection) serve every partition of
 * one task at once, as during a rollout. Claims are atomic, so every slot of every instance is
 * delivered exactly once between them, whatever the interleaving of their polls and acks.
 */

const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

test("two engines on one store deliver each slot of 40 instances exactly once over 5 slots", async (t) => {
  const url = testStoreUrl();
  const clock = new ManualClock();
  const start = clock.now();
  const stores: Store[] = [await openStore(url, logger), await openStore(url, logger)];
  const task = taskRecord("race", { partitionCount: 4 });
  const [first] = stores as [Store, Store];
  await first.putTask(task);
  await first.upsertInstances(
    task,
    Array.from({ length: 40 }, (_, i) =>
      draft(`i${i}`, start + 1000, { partition: i % 4, schedule: { kind: "interval", intervalMs: 1000 } }),
    ),
    "force",
    start,
  );
  const seen: string[] = [];
  const failures: unknown[] = [];
  const engines = stores.map(
    (store, i) =>
      new Engine({ store, clock, logger, owner: `replica-${i}`, claimBatch: 7, maxPollMs: 60_000 }),
  );
  for (const engine of engines) {
    await engine.openStream(
      { task: "race", partitions: [], workerId: "w", maxInFlight: 5 },
      ackingSink(() => engine, seen, failures),
    );
  }
  for (let round = 1; round <= 5; round++) {
    clock.advance(1000);
    await until(`round ${round}`, () => seen.length >= 40 * round);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(seen.length, 200, "no slot delivered twice");
  t.is(new Set(seen).size, 200);
  t.deepEqual(failures, []);
  for (const [i, engine] of engines.entries()) {
    await engine.shutdown(1000);
    await stores[i]?.close();
  }
});
