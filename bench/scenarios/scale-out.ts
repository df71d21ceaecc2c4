import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { startRedisCluster } from "../../test/support/redis-cluster.ts";
import { RawClient } from "../lib/grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import { connect, freshNamespace, redisCpuSeconds } from "../lib/redis.ts";
import { type Replica, startReplica, waitAgreed } from "../lib/replica-set.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { round1, roundRate, Samples, sleep } from "../lib/stats.ts";
import { BenchWorker } from "../lib/worker.ts";

const REPLICAS = 3;
/** 16 partitions a replica, so the rendezvous spread over 3 replicas and 3 masters is even. */
const PARTITIONS = 48;
/** Core counts the per-execution costs are projected onto. */
const PROJECTED_CORES = [2, 8, 16, 32] as const;

/**
 * scale-out (issue 17): 3 server replicas in membership mode on a 3-master Redis Cluster
 * (plain redis-server processes started here, as the tests start theirs), N interval instances
 * of a 48-partition task due every second (N offered executions/s), one bench worker per
 * replica holding that replica's own partitions (Execute without partitions). In the window:
 * executions/s acked, lag, and CPU per execution of each replica process, of each Redis master
 * (INFO cpu) and of the load generator (this process).
 *
 * The projection is arithmetic on those costs, not a measurement: partitions spread over
 * replicas and masters with no shared part but the workers' connections, so a machine with C
 * cores running servers and masters only (workers elsewhere) reaches about
 * C x 1e6 / (server us + Redis us per execution), and one master core caps its share of the
 * partitions at 1e6 / (its us per execution) executions/s.
 */
export const scaleOutScenario: Scenario = {
  name: "scale-out",
  summary: "3 replicas on a 3-master Redis Cluster: rate, lag, CPU per execution per replica and master",
  run: async (context: ScenarioContext) => {
    const { options, log } = context;
    const dir = mkdtempSync(join(tmpdir(), "partitura-scale-out-"));
    const cluster = await startRedisCluster(join(dir, "cluster"));
    try {
      for (const size of sizesFor(options, [30_000, 60_000], [3_000])) {
        await measure(context, cluster.url, cluster.ports, size);
      }
    } finally {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
      log("scale-out: cluster stopped");
    }
  },
};

async function measure(
  context: ScenarioContext,
  clusterUrl: string,
  ports: readonly number[],
  count: number,
) {
  const { options, log } = context;
  const url = `${clusterUrl}?ns=${freshNamespace("scale-out")}`;
  const taskName = "bench";
  const start = Math.ceil((Date.now() + 5_000 + count / 20) / 1000) * 1000;
  const store = await openBenchStore(url);
  try {
    const task = benchTask(taskName, PARTITIONS);
    await store.putTask(task);
    const loadS = await loadInstances(store, task, {
      count,
      schedule: () => ({ kind: "interval", intervalMs: 1_000 }),
      nextRunAt: (i) => start + (i % 1_000),
    });
    log(`scale-out: loaded ${count} instances in ${loadS.toFixed(1)} s`);
  } finally {
    await store.close();
  }
  const replicas: Replica[] = [];
  const workers: BenchWorker[] = [];
  const clients: RawClient[] = [];
  const masters: Redis[] = ports.map((port) => connect(`redis://127.0.0.1:${port}`));
  try {
    replicas.push(...(await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startReplica(url, i)))));
    await waitAgreed(replicas, taskName, REPLICAS, PARTITIONS);
    for (const replica of replicas) {
      const client = new RawClient(replica.process.address);
      clients.push(client);
      await client.ready();
      const worker = new BenchWorker(client, { task: taskName, streams: 1, maxInFlight: 5_000 });
      workers.push(worker);
      worker.start();
    }
    const windowStart = Math.max(Date.now(), start) + options.warmupS * 1000;
    const windowEnd = windowStart + options.durationS * 1000;
    for (const worker of workers) worker.measure(windowStart, windowEnd);
    await sleep(windowStart - Date.now());
    const server0 = replicas.map((r) => r.process.cpuSeconds());
    const master0 = await Promise.all(masters.map(redisCpuSeconds));
    const own0 = process.cpuUsage();
    await sleep(windowEnd - Date.now());
    const server1 = replicas.map((r) => r.process.cpuSeconds());
    const master1 = await Promise.all(masters.map(redisCpuSeconds));
    const own = process.cpuUsage(own0);
    // Acks of the window's last deliveries may still be on their way.
    await sleep(500);

    const delivered = workers.reduce((n, w) => n + w.deliveredInWindow, 0);
    const acked = workers.reduce((n, w) => n + w.ackedInWindow, 0);
    const usPer = (seconds: number, executions: number) => round1((seconds * 1e6) / Math.max(1, executions));
    const perExecutionUs = (seconds: number) => usPer(seconds, delivered);
    const serverSeconds = server1.map((cpu, i) => cpu - (server0[i] ?? 0));
    // A replica's own cost: its CPU over the executions it delivered (its partitions' share).
    const replicaUs = serverSeconds.map((cpu, i) => usPer(cpu, workers[i]?.deliveredInWindow ?? 0));
    const masterUs = master1.map((cpu, i) => perExecutionUs(cpu - (master0[i] ?? 0)));
    const workerUs = perExecutionUs((own.user + own.system) / 1e6);
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const costUs = perExecutionUs(sum(serverSeconds)) + sum(masterUs);
    const lags = new Samples();
    for (const worker of workers) lags.addAll(worker.lags);
    const lag = lags.summary();
    const projected = Object.fromEntries(
      PROJECTED_CORES.map((cores) => [`projected_per_s_${cores}_cores`, roundRate((cores * 1e6) / costUs)]),
    );
    context.emit({
      scenario: "scale-out",
      system: "partitura",
      store: "redis-cluster",
      size: count,
      value: roundRate(acked / options.durationS),
      unit: `executions/s acked (${REPLICAS} replicas, ${ports.length} masters)`,
      better: "higher",
      ...(lag === undefined ? {} : { lag }),
      details: {
        offered_per_s: count,
        delivered_per_s: roundRate(delivered / options.durationS),
        per_replica_delivered_per_s: workers
          .map((w) => roundRate(w.deliveredInWindow / options.durationS))
          .join(" / "),
        replica_us_per_own_execution_each: replicaUs.join(" / "),
        // A master's CPU over every execution (its slots hold about a third of the partitions).
        redis_master_us_per_execution_each: masterUs.join(" / "),
        load_generator_us_per_execution: workerUs,
        server_plus_redis_us_per_execution: round1(costUs),
        ...projected,
      },
    });
  } finally {
    for (const worker of workers) worker.close();
    for (const client of clients) client.close();
    await Promise.all(replicas.map((r) => r.process.stop(5_000)));
    for (const master of masters) master.disconnect();
  }
}
