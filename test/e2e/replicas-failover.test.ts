import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { MisfirePolicy } from "../../gen/ts/partitura/v1/task_pb.ts";
import { selectPartition } from "../../src/domain/selector.ts";
import { Worker } from "../../src/sdk/worker.ts";
import { clientsFor } from "../support/clients.ts";
import { metric, type ReplicaProcess, startReplica } from "../support/replica-process.ts";
import { testStoreUrl } from "../support/server.ts";

/*
 * Partition-sharded replicas for real (issue 10): server processes started with the
 * environment k8s/base gives its pods (membership mode, default timings 1 s / 3 s / 2 s), a
 * task of 32 partitions with a few hundred instances due every second, SDK Workers following
 * the partition map, and a ledger of every (instance, slot) delivered. One run walks through
 * a join, a crash (SIGKILL) and a graceful stop (SIGTERM); the test prints the measured times.
 * It needs a store shared by processes over the network: it runs in the Redis, Redis Cluster
 * and DynamoDB Local rounds of scripts/test.sh.
 */

const PARTITIONS = 32;
const SLOT_MS = 1000;
const LEASE_MS = 4000;
/** How long after SIGKILL is sent a delivery the dying replica wrote may still reach a worker. */
const KILL_SETTLE_MS = 1_000;
const STORE = process.env.PARTITURA_TEST_STORE ?? "sqlite";
/*
 * DynamoDB Local (a Java emulator) keeps up with about 150 executions a second on the shared
 * 2-core machine, two conditional writes each; the Redis stores with far more.
 */
const INSTANCES = STORE.startsWith("dynamodb:") ? 100 : 240;
const networked = /^(rediss?(\+cluster)?|dynamodb):/i.test(STORE);

interface Delivery {
  readonly instance: string;
  readonly partition: number;
  readonly slot: number;
  readonly at: number;
}

interface MapView {
  readonly version: bigint;
  /** replica address -> partitions */
  readonly owners: Map<string, number[]>;
}

async function readMap(address: string, task: string): Promise<MapView> {
  const clients = clientsFor(address);
  try {
    const map = await clients.scheduler.getPartitionMap({ task }, { deadline: Date.now() + 2_000 });
    const owners = new Map(
      map.replicas.filter((r) => r.partitions.length > 0).map((r) => [r.address, [...r.partitions]]),
    );
    return { version: map.version, owners };
  } finally {
    clients.close();
  }
}

/** The map every live replica agrees on, once it has `expected` owners covering every partition once. */
async function agreedMap(
  live: readonly ReplicaProcess[],
  task: string,
  expected: number,
): Promise<MapView | undefined> {
  const views = await Promise.all(live.map((r) => readMap(r.address, task).catch(() => undefined)));
  const first = views[0];
  if (first === undefined || views.some((v) => v === undefined || v.version !== first.version))
    return undefined;
  if (first.owners.size !== expected) return undefined;
  const all = [...first.owners.values()].flat().sort((a, b) => a - b);
  if (all.length !== PARTITIONS || all.some((p, i) => p !== i)) return undefined;
  return first;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  detail: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const maxLate = (ds: readonly Delivery[]) => ds.reduce((m, d) => Math.max(m, d.at - d.slot), 0);

/** Every replica polls exactly the partitions the map gives it (its metrics say so). */
async function pollsItsShare(
  t: { deepEqual: (a: unknown, b: unknown, m: string) => void },
  live: readonly ReplicaProcess[],
  map: MapView,
): Promise<void> {
  const polled = await Promise.all(live.map((r) => metric(r, "partitura_polled_partitions")));
  const owned = await Promise.all(live.map((r) => metric(r, "partitura_owned_partitions")));
  const shares = live.map((r) => map.owners.get(r.address)?.length ?? 0);
  t.deepEqual(polled, shares, "each replica polls only its own partitions");
  t.deepEqual(owned, shares, "partitura_owned_partitions matches the map");
}

const register = networked ? test.serial : test.skip;

register(
  "replicas share partitions, survive SIGKILL and SIGTERM, and a joining replica takes its share",
  async (t) => {
    t.timeout(120_000);
    const store = testStoreUrl(STORE);
    const task = "replicated";
    const replicas: ReplicaProcess[] = [];
    const workers: Worker[] = [];
    t.teardown(async () => {
      for (const w of workers) await w.stop(500).catch(() => undefined);
      for (const r of replicas) r.child.kill("SIGKILL");
      await Promise.all(replicas.map((r) => r.exited));
    });
    replicas.push(...(await Promise.all([0, 1, 2].map((i) => startReplica(store, i)))));
    const [r0, r1, r2] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    const admin = clientsFor(r0.address);
    t.teardown(() => admin.close());
    await admin.scheduler.putTask({
      task: {
        name: task,
        dynamic: true,
        partitionCount: PARTITIONS,
        leaseDuration: durationFromMs(LEASE_MS),
        misfirePolicy: MisfirePolicy.CATCH_UP,
      },
    });
    // 1. Three replicas: the partition sets are disjoint and cover every partition, on every replica.
    const three = await waitFor("three owners agreed by every replica", 20_000, () =>
      agreedMap(replicas, task, 3),
    );
    t.deepEqual(new Set(three.owners.keys()), new Set([r0.address, r1.address, r2.address]));
    for (const partitions of three.owners.values())
      t.true(partitions.length <= Math.ceil(PARTITIONS / 3) + 1);

    const ledger: Delivery[] = [];
    for (let w = 0; w < 2; w++) {
      workers.push(
        new Worker({
          address: r0.address,
          task,
          workerId: `w${w}`,
          maxInFlight: 200,
          handler: async (execution) => {
            ledger.push({
              instance: execution.instance,
              partition: execution.partition,
              slot: execution.scheduledAt ? timestampMs(execution.scheduledAt) : 0,
              at: Date.now(),
            });
          },
        }).start(),
      );
    }
    // The partitions holding instances (with 100 instances one of 32 may well hold none).
    const held = new Set(Array.from({ length: INSTANCES }, (_, i) => selectPartition(`i${i}`, PARTITIONS)))
      .size;
    // Scheduled once the workers run, so the first slots' lateness is the system's own.
    await admin.scheduler.schedule({
      task,
      instances: Array.from({ length: INSTANCES }, (_, i) => ({
        name: `i${i}`,
        schedule: { kind: { case: "interval" as const, value: durationFromMs(SLOT_MS) } },
      })),
    });

    await waitFor(
      "deliveries from every partition",
      15_000,
      async () => (new Set(ledger.map((d) => d.partition)).size === held ? true : undefined),
      () =>
        `(${ledger.length} deliveries, partitions ${[...new Set(ledger.map((d) => d.partition))].sort((a, b) => a - b)}); ` +
        replicas.map((r) => r.tail().split("\n").slice(-3).join("\n")).join("\n"),
    );
    await sleep(2_000);
    // Each replica polls only what it owns: the polling load is shared, not repeated.
    await pollsItsShare(t, replicas, three);

    // 2. A fourth replica joins: it takes its share, the others keep running.
    const joinAt = Date.now();
    const r3 = await startReplica(store, 3);
    replicas.push(r3);
    const four = await waitFor("four owners", 20_000, () => agreedMap(replicas, task, 4));
    const joinMs = Date.now() - joinAt;
    const r3Share = new Set(four.owners.get(r3.address));
    t.true(r3Share.size >= PARTITIONS / 4 - 1, `the new replica owns ${r3Share.size} partitions`);
    const joined = Date.now();
    await waitFor("deliveries from the new replica's partitions", 15_000, async () =>
      ledger.some((d) => d.at > joined && r3Share.has(d.partition)) ? true : undefined,
    );
    for (const r of [r0, r1, r2]) t.is(r.child.exitCode, null, `${r.id} was not restarted`);
    await sleep(2_000);
    await pollsItsShare(t, replicas, four);

    // 3. SIGKILL: the dead replica's partitions show up owned by the others.
    const before = await readMap(r0.address, task);
    const r1Share = new Set(before.owners.get(r1.address));
    const killAt = Date.now();
    r1.child.kill("SIGKILL");
    await r1.exited;
    const afterKill = [r0, r2, r3];
    await waitFor("the killed replica's partitions to move", 15_000, () => agreedMap(afterKill, task, 3));
    const failoverMs = Date.now() - killAt;
    t.true(failoverMs <= 10_000, `failover took ${failoverMs} ms`);
    await sleep(LEASE_MS + 3_000);
    const recovered = Date.now();

    // 4. SIGTERM: the stopping replica's partitions move at the others' next heartbeat.
    const termAt = Date.now();
    r2.child.kill("SIGTERM");
    const afterTerm = [r0, r3];
    await waitFor("the stopped replica's partitions to move", 10_000, () => agreedMap(afterTerm, task, 2));
    const handoffMs = Date.now() - termAt;
    t.is(await r2.exited, 0, "the stopped replica exits cleanly");
    await sleep(3_000);
    // Every instance is caught up (CATCH_UP runs each missed slot): the backlog drains.
    const latest = new Map<string, number>();
    await waitFor("every instance to catch up", 20_000, async () => {
      for (const d of ledger) latest.set(d.instance, Math.max(latest.get(d.instance) ?? 0, d.slot));
      const now = Date.now();
      return latest.size === INSTANCES && [...latest.values()].every((slot) => slot >= now - 2 * SLOT_MS)
        ? true
        : undefined;
    });
    const end = Date.now();
    for (const w of workers) await w.stop(2_000);

    // The ledger: every slot once, on time except around the crash.
    const bySlot = new Map<string, Delivery[]>();
    for (const d of ledger) {
      const key = `${d.instance}@${d.slot}`;
      bySlot.set(key, [...(bySlot.get(key) ?? []), d]);
    }
    const firsts = [...bySlot.values()].map((ds) => ds[0] as Delivery);
    const lateIn = (from: number, to: number) => maxLate(firsts.filter((d) => d.slot >= from && d.slot < to));
    const lateStart = lateIn(0, joinAt);
    const lateJoin = lateIn(joinAt, killAt - SLOT_MS);
    const lateKill = lateIn(killAt - SLOT_MS, recovered - 2 * SLOT_MS);
    const lateCalm = lateIn(recovered - SLOT_MS, termAt);
    const lateTerm = lateIn(termAt, end - 2 * SLOT_MS);
    t.log(
      `store ${STORE.split(":")[0]}: ${ledger.length} deliveries; most late slot before the join ${lateStart} ms; ` +
        `join: 4 owners after ${joinMs} ms (process start + 2 s join delay), slots late by at most ${lateJoin} ms; ` +
        `SIGKILL failover ${failoverMs} ms, slots late by at most ${lateKill} ms around it, ${lateCalm} ms after; ` +
        `SIGTERM handoff ${handoffMs} ms, slots late by at most ${lateTerm} ms`,
    );
    const twice = [...bySlot.values()].filter((ds) => ds.length > 1);
    const unexplained = twice.filter(
      ([first]) =>
        first === undefined ||
        !r1Share.has(first.partition) ||
        // Written by the killed replica just before the signal took effect, received just after.
        first.at > killAt + KILL_SETTLE_MS ||
        first.at < killAt - LEASE_MS - SLOT_MS,
    );
    t.deepEqual(
      unexplained.map((ds) => ds[0]),
      [],
      "only executions in flight on the killed replica ran twice",
    );
    const slots = new Map<string, number[]>();
    for (const d of ledger) slots.set(d.instance, [...(slots.get(d.instance) ?? []), d.slot]);
    t.is(slots.size, INSTANCES, "every instance fired");
    const gaps: string[] = [];
    for (const [instance, list] of slots) {
      const sorted = [...new Set(list)].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) {
        if ((sorted[i] as number) - (sorted[i - 1] as number) !== SLOT_MS)
          gaps.push(`${instance} after ${sorted[i - 1]}`);
      }
      if ((sorted.at(-1) ?? 0) < end - 3 * SLOT_MS) gaps.push(`${instance} stopped at ${sorted.at(-1)}`);
    }
    t.deepEqual(gaps, [], "no slot was missed");

    /*
     * Loose bounds on a shared 2-core machine (the figures are printed above): lateness is
     * measured over what the store keeps up with when nothing moves (DynamoDB Local lags
     * seconds behind under load, the Redis stores milliseconds).
     */
    const baseline = Math.min(lateJoin, lateCalm);
    t.true(lateKill <= baseline + 10_000 + LEASE_MS, `slots around the crash late by ${lateKill} ms`);
    t.true(handoffMs <= 2_500, `SIGTERM handoff took ${handoffMs} ms`);
    t.true(lateTerm <= lateCalm + 2_500, `slots around the SIGTERM late by ${lateTerm} ms`);
  },
);
