import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ExecutionContext } from "ava";
import { clientsFor } from "./clients.ts";
import { allAcked, checkLedger, type LedgerEntry, oneOffs, scheduleOneOffs } from "./execution-ledger.ts";
import { freePort, type ReplicaProcess, startReplica } from "./replica-process.ts";
import { startTestServer, testStoreUrl } from "./server.ts";
import { startServerProcess } from "./server-process.ts";
import { startTcpProxy } from "./tcp-proxy.ts";
import { until } from "./wait.ts";

/*
 * Issue 11, must-show 2, once for both SDKs: each scenario drives real servers and breaks
 * something while executions are in flight, and the Worker under test (TypeScript in-process,
 * or Python in a process of its own) only reports what its handler started and finished. Every
 * handler holds its execution HOLD_MS, so several run at any moment of the fault.
 */

/** How long each handler holds its execution. */
export const HOLD_MS = 250;
/** Most executions a Worker under test runs at once. */
export const MAX_IN_FLIGHT = 16;
/** Outlasts every run where no lease may expire: any repeat is then a real duplicate. */
const LONG_LEASE_MS = 30_000;
/** Short enough that leases a killed server held come back within the restart test. */
const SHORT_LEASE_MS = 2_000;

/** A Worker of some SDK, started on one task, reporting its handler's ledger. */
export interface WorkerUnderTest {
  readonly ledger: readonly LedgerEntry[];
  /** Handlers started and not yet returned. */
  inFlight(): number;
  /** A graceful stop; rejects when the Worker failed. */
  stop(): Promise<void>;
}

/** Starts a Worker following the partition map from `address`. */
export type StartWorker = (address: string, task: string) => WorkerUnderTest | Promise<WorkerUnderTest>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function assertLedger(
  t: ExecutionContext,
  worker: WorkerUnderTest,
  scheduled: readonly { readonly instance: string; readonly slot: number }[],
  leasesMayExpire: boolean,
): void {
  const check = checkLedger(worker.ledger, scheduled);
  t.log(
    `${worker.ledger.length} runs for ${scheduled.length} slots; ${check.expired.length} after an expired lease`,
  );
  t.deepEqual(check.missing, [], "none lost");
  t.deepEqual(check.unexplained, [], "no slot ran again before its earlier lease expired");
  if (!leasesMayExpire) t.deepEqual(check.expired, [], "no lease expired (they outlast the run)");
}

/**
 * A stream cut: the server advertises a TCP proxy in its map, so the Worker streams through
 * it; the proxy severs every connection twice while executions run, the server staying up.
 */
export async function streamCut(t: ExecutionContext, startWorker: StartWorker, task: string): Promise<void> {
  const listen = `127.0.0.1:${await freePort()}`;
  await using proxy = await startTcpProxy(listen);
  await using s = await startTestServer({ config: { listen, advertise: proxy.address } });
  await s.scheduler.putTask({
    task: { name: task, dynamic: true, partitionCount: 4, leaseDuration: durationFromMs(LONG_LEASE_MS) },
  });
  const slots = oneOffs(60, Date.now() + 300, 50);
  await scheduleOneOffs(s, task, slots);
  const worker = await startWorker(proxy.address, task);
  t.teardown(() => worker.stop().catch(() => undefined));
  const inFlightAtCut: number[] = [];
  for (const after of [10, 30]) {
    await until(`${after} executions`, () => worker.ledger.length >= after, 30_000);
    inFlightAtCut.push(worker.inFlight());
    t.true(proxy.cut() >= 1, "a connection was open to cut");
  }
  await until("every slot ran", () => checkLedger(worker.ledger, slots).missing.length === 0, 30_000);
  t.true(await allAcked(s, task), "every one-off was acked");
  await worker.stop();
  t.log(`in flight at the cuts: ${inFlightAtCut.join(", ")}; ${proxy.accepted} connections accepted`);
  t.true(
    inFlightAtCut.every((n) => n > 0),
    "executions were in flight at each cut",
  );
  t.true(proxy.accepted >= 3, "the Worker reconnected through the proxy after each cut");
  assertLedger(t, worker, slots, false);
}

/**
 * A server restart the hard way: the server process is SIGKILLed with executions in flight
 * (their acks cannot reach it; the leases it wrote stay in the store until they expire) and a
 * new process starts on the same address and store. Leases are short, so a repeat after an
 * expired lease is allowed; any other repeat fails.
 */
export async function serverRestart(
  t: ExecutionContext,
  startWorker: StartWorker,
  task: string,
): Promise<void> {
  const store = testStoreUrl();
  const listen = `127.0.0.1:${await freePort()}`;
  const env = { PARTITURA_LISTEN: listen };
  const first = await startServerProcess(store, env);
  const admin = clientsFor(listen);
  t.teardown(() => admin.close());
  await admin.scheduler.putTask({
    task: { name: task, dynamic: true, partitionCount: 4, leaseDuration: durationFromMs(SHORT_LEASE_MS) },
  });
  const slots = oneOffs(60, Date.now() + 300, 50);
  await scheduleOneOffs(admin, task, slots);
  const worker = await startWorker(listen, task);
  t.teardown(() => worker.stop().catch(() => undefined));
  await until("15 executions", () => worker.ledger.length >= 15, 30_000);
  const inFlightAtKill = worker.inFlight();
  const killedAt = Date.now();
  await first.kill();
  const ranBefore = new Set(worker.ledger.map((e) => e.instance)).size;
  await sleep(300);
  const second = await startServerProcess(store, env);
  const servingAgain = Date.now() - killedAt;
  t.teardown(() => second.kill());
  await until("every slot ran", () => checkLedger(worker.ledger, slots).missing.length === 0, 30_000);
  const allRan = Date.now() - killedAt;
  t.true(await allAcked(admin, task), "every one-off was acked");
  const stopping = Date.now();
  await worker.stop();
  const stopMs = Date.now() - stopping;
  await second.stop();
  t.log(`in flight at the kill: ${inFlightAtKill}; ${ranBefore} slots had started before it`);
  t.log(
    `after the kill: serving again at ${servingAgain} ms, every slot ran at ${allRan} ms; stop() took ${stopMs} ms (shared machine: noisy)`,
  );
  t.true(inFlightAtKill > 0, "executions were in flight at the kill");
  t.true(ranBefore < slots.length, "the restart happened mid-run");
  assertLedger(t, worker, slots, true);
}

/** Membership timings for the move test: fast, so partitions move within a second. */
const FAST_MEMBERSHIP = {
  PARTITURA_HEARTBEAT_MS: "250",
  PARTITURA_MEMBER_TTL_MS: "1000",
  PARTITURA_JOIN_DELAY_MS: "500",
};

/** How many replicas own partitions of `task`, as `address` tells. */
async function owners(address: string, task: string): Promise<number> {
  const clients = clientsFor(address);
  try {
    const map = await clients.scheduler.getPartitionMap({ task }, { deadline: Date.now() + 2_000 });
    return map.replicas.filter((r) => r.partitions.length > 0).length;
  } catch {
    return -1;
  } finally {
    clients.close();
  }
}

/**
 * A partition move: replica processes in membership mode on one store (the StatefulSet env),
 * a Worker following the map, one-offs fed continuously through replica 0; a third replica
 * joins (partitions move to it), then replica 1 leaves with SIGTERM (its partitions move to the
 * others), both while executions run. Leases outlast the run: no repeat at all.
 */
export async function partitionMove(
  t: ExecutionContext,
  startWorker: StartWorker,
  task: string,
): Promise<void> {
  const store = testStoreUrl();
  const replicas: ReplicaProcess[] = [];
  t.teardown(async () => {
    for (const r of replicas) r.child.kill("SIGKILL");
    await Promise.all(replicas.map((r) => r.exited));
  });
  replicas.push(...(await Promise.all([0, 1].map((i) => startReplica(store, i, FAST_MEMBERSHIP)))));
  const [r0, r1] = replicas as [ReplicaProcess, ReplicaProcess];
  const admin = clientsFor(r0.address);
  t.teardown(() => admin.close());
  await admin.scheduler.putTask({
    task: { name: task, dynamic: true, partitionCount: 8, leaseDuration: durationFromMs(LONG_LEASE_MS) },
  });
  await until("two owners", async () => (await owners(r0.address, task)) === 2, 20_000);
  const worker = await startWorker(r0.address, task);
  t.teardown(() => worker.stop().catch(() => undefined));

  // Two one-offs due every 100 ms, until stopped: executions are in flight at every moment.
  const scheduled: { instance: string; slot: number }[] = [];
  let feeding = true;
  const feeder = (async () => {
    for (let n = 0; feeding; n += 2) {
      const batch = oneOffs(2, Date.now(), 0).map((s, i) => ({ ...s, instance: `f-${n + i}` }));
      await scheduleOneOffs(admin, task, batch);
      scheduled.push(...batch);
      await sleep(100);
    }
  })();
  await until("10 executions", () => worker.ledger.length >= 10, 30_000);
  // The most executions running at once while partitions move (from the start of the move
  // until every replica's map shows it): the moment of the move itself is the servers' own.
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, worker.inFlight());
  }, 10);
  t.teardown(() => clearInterval(sampler));
  replicas.push(await startReplica(store, 2, FAST_MEMBERSHIP));
  await until("three owners", async () => (await owners(r0.address, task)) === 3, 20_000);
  const inFlightAtJoin = peak;
  const ranAtJoin = worker.ledger.length;
  await sleep(1_000);
  peak = 0;
  r1.child.kill("SIGTERM");
  t.is(await r1.exited, 0, r1.tail());
  await until("two owners again", async () => (await owners(r0.address, task)) === 2, 20_000);
  const inFlightAtLeave = peak;
  clearInterval(sampler);
  await sleep(1_000);
  feeding = false;
  await feeder;
  await until("every slot ran", () => checkLedger(worker.ledger, scheduled).missing.length === 0, 30_000);
  t.true(await allAcked(admin, task), "every one-off was acked");
  await worker.stop();
  t.log(`most in flight during the join: ${inFlightAtJoin}, during the leave: ${inFlightAtLeave}`);
  t.true(inFlightAtJoin > 0 && inFlightAtLeave > 0, "executions were in flight at each move");
  t.true(worker.ledger.length > ranAtJoin, "executions ran after the join");
  assertLedger(t, worker, scheduled, false);
}
