import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { pino } from "pino";
import { ErrorCode, type PartituraError } from "../src/domain/errors.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { Engine } from "../src/engine/engine.ts";
import type { Ownership } from "../src/engine/ownership/ownership.ts";
import { REFRESH_MAP_TRAILER } from "../src/engine/ownership-moved.ts";
import { openStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { draft, taskRecord } from "./store-conformance/fixtures.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { startTestServer, testStoreUrl } from "./support/server.ts";
import { until } from "./support/wait.ts";

/*
 * The engine follows ownership (issue 10): a stream that names no partitions is served the
 * replica's owned partitions and gains those it comes to own; when one moves away the stream
 * ends with UNAVAILABLE and the refresh-map trailer, while what it had delivered can still be
 * acked (never delivered twice). A stream naming partitions serves them whatever is owned.
 * The ownership here is set by hand: which replica owns what is Ownership's business
 * (test/engine-membership.test.ts); this is what the engine does with the answer.
 */

const logger = pino({ level: process.env.PARTITURA_TEST_LOG ?? "silent" });

/** Ownership whose owned partitions a test sets. */
class HandOwnership implements Pick<Ownership, "owned" | "onChange"> {
  readonly #listeners = new Set<() => void>();
  constructor(private partitions: number[]) {}
  owned(): number[] {
    return [...this.partitions];
  }
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  set(partitions: number[]): void {
    this.partitions = partitions;
    for (const listener of this.#listeners) listener();
  }
}

interface Recorded {
  readonly received: Delivery[];
  ended: PartituraError | "clean" | undefined;
}

function recordingSink(): Recorded & { sink: Parameters<Engine["openStream"]>[1] } {
  const recorded: Recorded = { received: [], ended: undefined };
  return Object.assign(recorded, {
    sink: {
      send: (batch: readonly Delivery[]) => recorded.received.push(...batch),
      end: (error?: PartituraError) => {
        recorded.ended = error ?? "clean";
      },
    },
  });
}

async function setUp(t: { teardown: (f: () => Promise<void>) => void }, owned: number[]) {
  const clock = new ManualClock();
  const store: Store = await openStore(testStoreUrl(), logger);
  const task = taskRecord("follow", { partitionCount: 4 });
  await store.putTask(task);
  // Two one-offs per partition, due now.
  await store.upsertInstances(
    task,
    Array.from({ length: 8 }, (_, i) => draft(`i${i}`, clock.now(), { partition: i % 4 })),
    "force",
    clock.now(),
  );
  const ownership = new HandOwnership(owned);
  const counts: Array<[string, number]> = [];
  const engine = new Engine({
    store,
    clock,
    logger,
    owner: "r",
    maxPollMs: 60_000,
    ownership,
    ownedPartitions: (task, count) => counts.push([task, count]),
  });
  t.teardown(async () => {
    await engine.shutdown(100);
    await store.close();
  });
  return { engine, ownership, counts };
}

const partitionsOf = (ds: readonly Delivery[]) => [...new Set(ds.map((d) => d.partition))].sort();

test("a stream naming no partitions gets the owned ones, gains new ones, and ends with the refresh status on a loss", async (t) => {
  const { engine, ownership, counts } = await setUp(t, [0]);
  const s = recordingSink();
  await engine.openStream({ task: "follow", partitions: [], workerId: "w", maxInFlight: 100 }, s.sink);
  await until("partition 0's two executions", () => s.received.length === 2);
  t.deepEqual(partitionsOf(s.received), [0], "only the owned partition is served");
  t.is(engine.stats().pollers, 1, "only the owned partition is polled");
  t.deepEqual(counts.at(-1), ["follow", 1]);

  ownership.set([0, 1]);
  await until("the gained partition's executions", () => s.received.length === 4);
  t.deepEqual(partitionsOf(s.received), [0, 1]);
  t.is(s.ended, undefined, "gaining a partition does not end the stream");
  t.deepEqual(counts.at(-1), ["follow", 2]);

  // Partition 0 moves away: the stream ends at once with the refresh-map status...
  ownership.set([1, 2]);
  const ended = s.ended as PartituraError | undefined;
  t.is(ended?.code, ErrorCode.Unavailable);
  t.is(ended?.message, "partition ownership changed; refresh the partition map (GetPartitionMap)");
  t.deepEqual(ended?.trailers, { [REFRESH_MAP_TRAILER]: "1" });
  t.is(engine.stats().pollers, 0, "nothing is polled for an ended stream");
  // ...but what it delivered was not released: the worker's acks still land.
  const statuses = await engine.ack(s.received.map((d) => ({ leaseId: d.leaseId, failed: false })));
  t.deepEqual(statuses, ["ok", "ok", "ok", "ok"]);
  t.is(engine.stats().leases, 0);
});

test("a stream naming no partitions on a replica that owns none of the task is refused with the refresh status", async (t) => {
  const { engine } = await setUp(t, []);
  const s = recordingSink();
  const error = await t.throwsAsync(
    engine.openStream({ task: "follow", partitions: [], workerId: "w", maxInFlight: 10 }, s.sink),
  );
  t.deepEqual((error as PartituraError).trailers, { [REFRESH_MAP_TRAILER]: "1" });
  t.is(engine.stats().streams, 0);
});

test("a stream naming partitions serves them whether owned or not, and outlives ownership changes", async (t) => {
  const { engine, ownership } = await setUp(t, [0]);
  const named = recordingSink();
  await engine.openStream(
    { task: "follow", partitions: [2, 3], workerId: "w", maxInFlight: 100 },
    named.sink,
  );
  await until("partitions 2 and 3", () => named.received.length === 4);
  t.deepEqual(partitionsOf(named.received), [2, 3]);
  ownership.set([1]);
  ownership.set([]);
  t.is(named.ended, undefined, "a named stream is never ended for an ownership change");
  t.is(engine.stats().streams, 1);
});

test("over gRPC the refresh status carries the partitura-refresh-map trailer", async (t) => {
  // Static ownership of partition 7 only: a 4-partition task has nothing here.
  await using s = await startTestServer({ config: { ownership: { mode: "static-list", partitions: [7] } } });
  await s.scheduler.putTask({ task: { name: "elsewhere", dynamic: true, partitionCount: 4 } });
  const call = s.execution.execute({ task: "elsewhere", partitions: [], workerId: "w", maxInFlight: 1 });
  const error = await new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
  t.is(error.code, grpc.status.UNAVAILABLE);
  t.is(error.details, "partition ownership changed; refresh the partition map (GetPartitionMap)");
  t.deepEqual(error.metadata.get(REFRESH_MAP_TRAILER), ["1"]);
});

test("shutdown waits for the claim in progress of a poller retired by an ownership change", async (t) => {
  const clock = new ManualClock();
  const store = await openStore(testStoreUrl(), logger);
  t.teardown(() => store.close());
  const task = taskRecord("slow", { partitionCount: 1 });
  await store.putTask(task);
  await store.upsertInstances(task, [draft("a", clock.now())], "force", clock.now());
  // The real store, its claims answered late: the claim is still out when the partition moves.
  let claiming = 0;
  let released = 0;
  const claim = async (request: Parameters<Store["claim"]>[0]) => {
    claiming++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      return await store.claim(request);
    } finally {
      claiming--;
    }
  };
  const release = (...args: Parameters<Store["release"]>) => {
    released++;
    return store.release(...args);
  };
  const slow = new Proxy(store, {
    get(target, property) {
      if (property === "claim") return claim;
      if (property === "release") return release;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const ownership = new HandOwnership([0]);
  const engine = new Engine({ store: slow, clock, logger, owner: "r", maxPollMs: 60_000, ownership });
  const s = recordingSink();
  await engine.openStream({ task: "slow", partitions: [], workerId: "w", maxInFlight: 10 }, s.sink);
  await until("the claim to start", () => claiming === 1);
  ownership.set([]);
  t.truthy(s.ended, "the stream ended at once");
  await engine.shutdown(100);
  t.is(claiming, 0, "shutdown resolved only after the retired poller's claim came back");
  t.is(released, 1, "and after what it claimed for the ended stream was released");
});
