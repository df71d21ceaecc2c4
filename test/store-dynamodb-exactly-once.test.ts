import test from "ava";
import { selectPartition } from "../src/domain/selector.ts";
import { openDynamoStore } from "../src/store/dynamodb/dynamodb-store.ts";
import type { Store } from "../src/store/store.ts";
import { draft, SECOND, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { dropTestTables, freshDynamoUrl } from "./support/dynamodb-local.ts";

test.after.always(dropTestTables);

/*
 * Two pollers (two stores, each with its own client, as two replicas would have) poll the same
 * partitions of one table while 50 instances fall due every second for 20 s. Each poller steps
 * its own clock through the 20 slots and drains every partition at each step, so the two race
 * for the very same candidates at the same moments: the claim path where half the conditional
 * writes lose and the loser reads the index again. (store-dynamodb-engines.test.ts runs the
 * full 100 instances through two engines.) Sized for DynamoDB Local (about 850 conditional
 * writes/s on this machine): 1,000 claims plus 1,000 commits, and the lost claims.
 */

const INSTANCES = 50;
const SLOTS = 20;
const PARTITIONS = 4;
const LAST_SLOT = T0 + (SLOTS - 1) * SECOND;
// Far longer than the run: a lease never expires, so a slot can only repeat through a bug.
const LEASE_MS = 10 * 60 * SECOND;

interface Delivery {
  readonly slot: string;
  readonly owner: string;
}

/** One poller: every step, drain every partition (claim, then commit the next slot). */
async function poll(store: Store, owner: string, deliveries: Delivery[], refusals: string[]): Promise<void> {
  for (let step = 0; step < SLOTS; step++) {
    const now = T0 + step * SECOND;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      for (;;) {
        const claimed = (
          await store.claim({ task: "tick", partition, now, limit: 25, leaseMs: LEASE_MS, owner })
        ).claimed;
        if (claimed.length === 0) break;
        for (const record of claimed) deliveries.push({ slot: `${record.name}@${record.nextRunAt}`, owner });
        const results = await store.commit(
          claimed.map((record) => ({
            lease: {
              task: record.task,
              partition: record.partition,
              name: record.name,
              version: record.version,
              incarnation: record.incarnation,
            },
            // The last slot deletes the instance: nothing is left once the backlog drained.
            nextRunAt: record.nextRunAt >= LAST_SLOT ? null : record.nextRunAt + SECOND,
          })),
          now,
        );
        results.forEach((result, i) => {
          if (result.status !== "ok") refusals.push(`${claimed[i]?.name}: ${result.status}`);
        });
      }
    }
  }
}

test("dynamodb: two pollers on one table deliver every slot of 50 instances x 20 s exactly once", async (t) => {
  const url = await freshDynamoUrl();
  const [a, b] = await Promise.all([openDynamoStore(url), openDynamoStore(url)]);
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const task = taskRecord("tick", { partitionCount: PARTITIONS });
  const names = Array.from({ length: INSTANCES }, (_, i) => `tick-${i}`);
  await seed(
    t,
    a,
    task,
    names.map((name) => draft(name, T0, { partition: selectPartition(name, PARTITIONS) })),
  );

  const deliveries: Delivery[] = [];
  const refusals: string[] = [];
  const started = Date.now();
  await Promise.all([poll(a, "replica-a", deliveries, refusals), poll(b, "replica-b", deliveries, refusals)]);
  const seconds = (Date.now() - started) / 1000;
  t.log(
    `${deliveries.length} executions in ${seconds.toFixed(1)} s: ${(deliveries.length / seconds).toFixed(0)}/s`,
  );

  t.deepEqual(refusals, [], "every commit of a claimed slot is accepted");
  const expected = names.flatMap((name) =>
    Array.from({ length: SLOTS }, (_, s) => `${name}@${T0 + s * SECOND}`),
  );
  const seen = new Map<string, number>();
  for (const { slot } of deliveries) seen.set(slot, (seen.get(slot) ?? 0) + 1);
  t.deepEqual(
    [...seen].filter(([, count]) => count > 1),
    [],
    "no slot is delivered twice",
  );
  t.deepEqual(
    expected.filter((slot) => !seen.has(slot)),
    [],
    "no slot is missed",
  );
  t.is(deliveries.length, INSTANCES * SLOTS);
  for (const owner of ["replica-a", "replica-b"]) {
    t.true(
      deliveries.some((d) => d.owner === owner),
      `${owner} took part`,
    );
  }
  for (let partition = 0; partition < PARTITIONS; partition++) {
    t.deepEqual(
      (await a.listInstances({ task: "tick", partition, limit: 10 })).instances,
      [],
      `partition ${partition} drained`,
    );
  }
});
