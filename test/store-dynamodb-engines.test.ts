import test from "ava";
import { pino } from "pino";
import { selectPartition } from "../src/domain/selector.ts";
import { Engine } from "../src/engine/engine.ts";
import { openDynamoStore } from "../src/store/dynamodb/dynamodb-store.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { ackingSink } from "./support/acking-sink.ts";
import { dropTestTables, freshDynamoUrl } from "./support/dynamodb-local.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { until } from "./support/wait.ts";

test.after.always(dropTestTables);

/*
 * Two replicas (two engines, each with its own DynamoDB store) serve every partition of one
 * task on one table, as during a rollout. Time runs ahead of them: 100 instances fall due every
 * second for 20 s of the test clock, stepped faster than DynamoDB Local (about 850 conditional
 * writes/s on this machine, two per execution) can keep up, so a backlog builds. Once it has
 * drained, every slot was delivered exactly once: no duplicate, no gap.
 */

const INSTANCES = 100;
const SLOTS = 20;
const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

test("dynamodb: two engines on one table deliver 100 instances due every second for 20 s exactly once", async (t) => {
  const url = await freshDynamoUrl();
  const stores = await Promise.all([openDynamoStore(url), openDynamoStore(url)]);
  const clock = new ManualClock();
  const start = clock.now();
  const task = taskRecord("tick", { partitionCount: 4 });
  const names = Array.from({ length: INSTANCES }, (_, i) => `tick-${i}`);
  const [first] = stores;
  if (first === undefined) return t.fail("two stores");
  await first.putTask(task);
  await first.upsertInstances(
    task,
    names.map((name) =>
      draft(name, start + 1000, {
        partition: selectPartition(name, 4),
        schedule: { kind: "interval", intervalMs: 1000 },
      }),
    ),
    "safe",
    start,
  );

  const seen: string[] = [];
  const failures: unknown[] = [];
  const engines = stores.map((store, i) => new Engine({ store, clock, logger, owner: `replica-${i}` }));
  t.teardown(async () => {
    for (const [i, engine] of engines.entries()) {
      await engine.shutdown(1000);
      await stores[i]?.close();
    }
  });
  for (const engine of engines) {
    await engine.openStream(
      { task: "tick", partitions: [], workerId: "w", maxInFlight: 100 },
      ackingSink(() => engine, seen, failures),
    );
  }
  const started = Date.now();
  for (let second = 1; second <= SLOTS; second++) {
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await until("the backlog to drain", () => seen.length >= INSTANCES * SLOTS, 90_000);
  const seconds = (Date.now() - started) / 1000;
  t.log(`${seen.length} executions in ${seconds.toFixed(1)} s: ${(seen.length / seconds).toFixed(0)}/s`);
  // Anything delivered twice would show up within this grace.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const expected = names.flatMap((name) =>
    Array.from({ length: SLOTS }, (_, s) => `${name}@${start + (s + 1) * 1000}`),
  );
  const counts = new Map<string, number>();
  for (const slot of seen) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  t.deepEqual(
    [...counts].filter(([, count]) => count > 1),
    [],
    "no slot delivered twice",
  );
  t.deepEqual(
    expected.filter((slot) => !counts.has(slot)),
    [],
    "no slot missed",
  );
  t.is(seen.length, INSTANCES * SLOTS);
  t.deepEqual(failures, [], "every ack is accepted");
});
