import test from "ava";
import { ErrorCode, hasCode } from "../src/domain/errors.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { draft, LEASE_MS, leaseOf, listAll, SECOND, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { startRedisServer } from "./support/redis-server.ts";
import { waitFor } from "./support/wait.ts";

/*
 * A Redis with AOF (appendfsync always), killed with SIGKILL while a store writes to it, then
 * restarted on the same directory: every schedule it acknowledged is still there and still
 * fires, and a lease in flight holds until it expires, then the instance is redelivered.
 * Time is passed to the store as arguments, so expiry needs no sleeping.
 */

const PARTITIONS = 8;

test("redis fault: SIGKILL mid-run loses no acknowledged schedule; a lease in flight expires and is redelivered", async (t) => {
  const server = await startRedisServer({ appendOnly: true });
  t.teardown(() => server.dispose());
  const store = await openRedisStore(`${server.url}?ns=fault`, { onError: () => {} });
  t.teardown(() => store.close());
  const task = taskRecord("faulty", { partitionCount: PARTITIONS });
  await store.putTask(task);

  // One instance leased before the crash.
  await store.upsertInstances(task, [draft("leased", T0)], "safe", T0);
  const [claimed] = (
    await store.claim({
      task: "faulty",
      partition: 0,
      now: T0,
      limit: 1,
      leaseMs: LEASE_MS,
      owner: "replica-a",
    })
  ).claimed;
  if (claimed === undefined) return t.fail("the due instance is claimed");

  // A writer that keeps scheduling batches until Redis goes away.
  const acknowledged = new Set<string>(["leased"]);
  let batches = 0;
  const writer = (async () => {
    for (;;) {
      const names = Array.from({ length: 20 }, (_, i) => `s${batches}-${i}`);
      const drafts = names.map((name, i) => draft(name, T0 + SECOND, { partition: i % PARTITIONS }));
      try {
        await store.upsertInstances(task, drafts, "safe", T0);
      } catch (thrown) {
        if (hasCode(thrown, ErrorCode.Unavailable)) return;
        throw thrown;
      }
      for (const name of names) acknowledged.add(name);
      batches++;
    }
  })();
  await waitFor(() => acknowledged.size > 400, 30_000);
  await server.kill("SIGKILL");
  await writer;
  t.log(`${acknowledged.size} schedules acknowledged before the kill`);

  const restarted = await startRedisServer({ dir: server.dir, port: server.port, appendOnly: true });
  t.teardown(() => restarted.kill());
  await waitFor(() => store.healthy(), 15_000);
  t.true(store.healthy(), "the store reconnected by itself");

  const stored = new Set<string>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const record of await listAll(store, "faulty", p, 1_000)) stored.add(record.name);
  }
  const lost = [...acknowledged].filter((name) => !stored.has(name));
  t.deepEqual(lost, [], "every acknowledged schedule survived");
  t.truthy(await store.getTask("faulty"), "the task survived");

  // The lease in flight still holds...
  t.like(await store.getInstance("faulty", 0, "leased"), {
    lockedUntil: T0 + LEASE_MS,
    leaseOwner: "replica-a",
    version: claimed.version,
  });
  const early = (
    await store.claim({
      task: "faulty",
      partition: 0,
      now: T0 + 2 * SECOND,
      limit: 1_000,
      leaseMs: LEASE_MS,
      owner: "replica-b",
    })
  ).claimed;
  t.false(
    early.some((r) => r.name === "leased"),
    "not redelivered while its lease holds",
  );
  t.true(early.length > 0, "the other schedules keep firing");

  // ...and once it has expired the instance is delivered again (at-least-once).
  const after = T0 + LEASE_MS + 1;
  const again = (
    await store.claim({
      task: "faulty",
      partition: 0,
      now: after,
      limit: 1_000,
      leaseMs: LEASE_MS,
      owner: "replica-b",
    })
  ).claimed;
  const redelivered = again.find((r) => r.name === "leased");
  t.like(redelivered, { attempt: 2, version: claimed.version + 1, leaseOwner: "replica-b" });
  t.deepEqual(await store.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + 60 * SECOND }], after), [
    { status: "lease_lost" },
  ]);
});

test("redis fault: wake-ups published while the subscriber was cut off are reported as a gap", async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.dispose());
  const store = await openRedisStore(`${server.url}?ns=gap`, { onError: () => {} });
  t.teardown(() => store.close());
  let gaps = 0;
  const wakes: number[] = [];
  const unwatch = store.watch?.(
    (_task, partition) => wakes.push(partition),
    () => gaps++,
  );
  t.teardown(() => unwatch?.());
  const task = taskRecord("gappy", { partitionCount: 4 });
  await store.putTask(task);
  // The subscription is live once a wake-up gets through.
  for (let i = 0; i < 50 && wakes.length === 0; i++) {
    await store.upsertInstances(task, [draft(`first-${i}`, T0 - i)], "safe", T0);
    await waitFor(() => wakes.length > 0, 100);
  }
  t.true(wakes.length > 0, "wake-ups arrive while connected");
  t.is(gaps, 0, "no gap on the first connection");

  await server.kill("SIGKILL");
  const restarted = await startRedisServer({ dir: server.dir, port: server.port });
  t.teardown(() => restarted.kill());
  await waitFor(() => gaps > 0, 15_000);
  t.is(gaps, 1, "one gap reported after the reconnect");
});
