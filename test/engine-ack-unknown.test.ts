import test from "ava";
import { pino } from "pino";
import { systemClock } from "../src/domain/clock.ts";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { Engine } from "../src/engine/engine.ts";
import { openStore } from "../src/store/open.ts";
import type { CommitItem, CommitResult, Store } from "../src/store/store.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { testStoreUrl } from "./support/server.ts";
import { until } from "./support/wait.ts";

/*
 * SHARED-DECISIONS #2: a commit the store cannot confirm ("unknown") must not lose the lease.
 * A real SQLite store is wrapped so that one commit call applies the first item for real and
 * answers "unknown" for the other without applying it, as a Redis group failing mid-batch does.
 */

const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

/** The real store, whose next commit applies only its first item and calls the rest unknown. */
function halfFailingCommit(store: Store): { store: Store; arm(): void } {
  let armed = false;
  const commit = async (items: readonly CommitItem[], now: number): Promise<CommitResult[]> => {
    if (!armed) return store.commit(items, now);
    armed = false;
    const [first, ...rest] = items;
    const applied = first === undefined ? [] : await store.commit([first], now);
    return [...applied, ...rest.map((): CommitResult => ({ status: "unknown" }))];
  };
  // Every other method runs on the real store itself (the adapter keeps private fields).
  const wrapped = new Proxy(store, {
    get(target, key) {
      if (key === "commit") return commit;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    store: wrapped,
    arm: () => {
      armed = true;
    },
  };
}

test("an ack the store did not confirm keeps its lease and fails UNAVAILABLE; the retried ack succeeds", async (t) => {
  const real = await openStore(testStoreUrl(), logger);
  const { store, arm } = halfFailingCommit(real);
  const task = taskRecord("unknown", { partitionCount: 1 });
  await store.putTask(task);
  const now = Date.now();
  await store.upsertInstances(task, [draft("a", now - 10), draft("b", now - 5)], "force", now);
  const engine = new Engine({ store, clock: systemClock, logger, owner: "r", maxPollMs: 60_000 });
  const received: Delivery[] = [];
  await engine.openStream(
    { task: "unknown", partitions: [], workerId: "w", maxInFlight: 10 },
    { send: (batch) => received.push(...batch), end() {} },
  );
  await until("both executions", () => received.length === 2);
  const ids = received.map((d) => ({ leaseId: d.leaseId, failed: false }));

  arm();
  const error = await t.throwsAsync(engine.ack(ids));
  t.true(error instanceof PartituraError && error.code === ErrorCode.Unavailable, String(error));
  t.regex(error?.message ?? "", /did not confirm 1 acks/);
  t.is(engine.stats().leases, 1, "the unconfirmed lease is still held; the confirmed one is settled");

  t.deepEqual(await engine.ack(ids), ["lease_lost", "ok"], "the retry settles the kept lease");
  t.is(engine.stats().leases, 0);
  await engine.shutdown(100);
  await real.close();
});
