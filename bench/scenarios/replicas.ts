import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { MisfirePolicy } from "../../gen/ts/partitura/v1/task_pb.ts";
import { Client } from "../../src/sdk/client.ts";
import { Worker } from "../../src/sdk/worker.ts";
import { byScale } from "../lib/options.ts";
import { freshNamespace } from "../lib/redis.ts";
import { type Replica, startReplica, waitAgreed } from "../lib/replica-set.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { round1, roundRate, Samples, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";

/**
 * replicas (issue 10): 1 and 3 server processes in membership mode on one Redis (and on the
 * Redis Cluster named by BENCH_REDIS_CLUSTER), the same offered load (interval instances of a
 * 32-partition task due every second, SDK Workers following the map): executions/s and lag;
 * store calls per second per replica while idle (the polling load, which must fall as 1/N);
 * and the SIGKILL failover time (kill one of 3, until every replica's map has moved its
 * partitions), over several kills, each followed by the StatefulSet's restart of the pod.
 */

const PARTITIONS = 32;

/** Store calls this replica has made so far (every operation's count in /metrics), and its claims. */
async function storeCalls(replica: Replica): Promise<{ all: number; claims: number }> {
  const text = await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text();
  let all = 0;
  let claims = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("partitura_store_operation_seconds_count")) continue;
    const value = Number(line.split(" ").at(-1));
    all += value;
    if (line.includes('operation="claim"')) claims += value;
  }
  return { all, claims };
}

export const replicasScenario: Scenario = {
  name: "replicas",
  summary: "1 vs 3 replicas (membership): rate, lag, idle store calls per replica, SIGKILL failover",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    const stores: Array<[string, string]> = [["redis", options.redisUrl]];
    const cluster = process.env.BENCH_REDIS_CLUSTER;
    if (cluster !== undefined) stores.push(["redis-cluster", cluster]);
    const instances = byScale(options, 2_000, 300);
    const kills = byScale(options, 10, 3);
    for (const [label, url] of stores) {
      for (const count of [1, 3]) {
        await measure(context, { label, url, replicas: count, instances, kills: count === 3 ? kills : 0 });
      }
    }
  },
};

interface Plan {
  readonly label: string;
  readonly url: string;
  readonly replicas: number;
  readonly instances: number;
  readonly kills: number;
}

async function measure(context: ScenarioContext, plan: Plan): Promise<void> {
  const { options } = context;
  // A cluster URL lists several seeds, which URL() cannot parse: its namespace is appended, and
  // its keys stay behind (BENCH_REDIS_CLUSTER is a scratch cluster, e.g. test/support/redis-cluster.ts).
  const target = plan.url.startsWith("redis+cluster:")
    ? {
        url: `${plan.url}${plan.url.includes("?") ? "&" : "?"}ns=${freshNamespace("replicas")}`,
        cleanup: async () => {},
      }
    : await prepareTarget("redis", "replicas", options);
  const replicas: Replica[] = [];
  const workers: Worker[] = [];
  try {
    replicas.push(
      ...(await Promise.all(Array.from({ length: plan.replicas }, (_, i) => startReplica(target.url, i)))),
    );
    const first = replicas[0] as Replica;
    const admin = new Client({ address: first.process.address });
    const task = "bench-replicas";
    await admin.putTask({
      task: {
        name: task,
        dynamic: true,
        partitionCount: PARTITIONS,
        leaseDuration: durationFromMs(5_000),
        misfirePolicy: MisfirePolicy.CATCH_UP,
      },
    });
    await waitAgreed(replicas, task, plan.replicas, PARTITIONS);
    // Lag is sampled only inside the measurement window.
    let lag: Samples | undefined;
    let delivered = 0;
    for (let w = 0; w < 2; w++) {
      workers.push(
        new Worker({
          address: first.process.address,
          task,
          maxInFlight: 500,
          handler: async (execution) => {
            delivered++;
            if (lag !== undefined && execution.scheduledAt)
              lag.add(Date.now() - timestampMs(execution.scheduledAt));
          },
        }).start(),
      );
    }
    // Idle: the workers are connected, nothing is due; only polling and heartbeats reach the store.
    await sleep(options.warmupS * 1000 + 2_000);
    const idleS = Math.max(5, Math.min(options.durationS, 10));
    const idle0 = await Promise.all(replicas.map(storeCalls));
    await sleep(idleS * 1000);
    const idle1 = await Promise.all(replicas.map(storeCalls));
    const rates = (pick: (c: { all: number; claims: number }) => number) =>
      idle1.map((c, i) => (pick(c) - pick(idle0[i] ?? { all: 0, claims: 0 })) / idleS);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const idlePerReplica = rates((c) => c.all);
    const claimsPerReplica = rates((c) => c.claims);

    // Load: the instances fall due every second; the window opens after the warm-up.
    for (let i = 0; i < plan.instances; i += 1_000) {
      await admin.schedule({
        task,
        instances: Array.from({ length: Math.min(1_000, plan.instances - i) }, (_, k) => ({
          name: `i${i + k}`,
          schedule: { kind: { case: "interval" as const, value: durationFromMs(1_000) } },
        })),
      });
    }
    await sleep(options.warmupS * 1000 + 1_000);
    const window = new Samples();
    lag = window;
    const start = delivered;
    const t0 = performance.now();
    const cpu0 = replicas.map((r) => r.process.cpuSeconds());
    await sleep(options.durationS * 1000);
    lag = undefined;
    const elapsed = (performance.now() - t0) / 1000;
    const rate = (delivered - start) / elapsed;
    const cpu = replicas.reduce((sum, r, i) => sum + r.process.cpuSeconds() - (cpu0[i] ?? 0), 0);
    const lagSummary = window.summary();
    context.emit({
      scenario: "replicas",
      system: "partitura",
      store: plan.label,
      size: plan.instances,
      value: roundRate(rate),
      unit: `executions/s (${plan.replicas} replica${plan.replicas > 1 ? "s" : ""})`,
      better: "higher",
      ...(lagSummary === undefined ? {} : { lag: lagSummary }),
      details: {
        replicas: plan.replicas,
        offered_per_s: plan.instances,
        idle_store_calls_per_s_per_replica: round1(mean(idlePerReplica)),
        idle_store_calls_per_s_each: idlePerReplica.map(round1).join(" / "),
        // The polling part (the rest is the membership heartbeat, 2 calls a second per replica).
        idle_claims_per_s_per_replica: round1(mean(claimsPerReplica)),
        server_cpu_ms_per_execution: round1((cpu * 1000) / Math.max(1, delivered - start)),
      },
    });

    if (plan.kills > 0) {
      const times = new Samples();
      for (let k = 0; k < plan.kills; k++) {
        // Never the replica the workers and the admin client talk to.
        const victimAt = 1 + (k % (replicas.length - 1));
        const victim = replicas[victimAt] as Replica;
        const killedAt = performance.now();
        process.kill(victim.process.pid, "SIGKILL");
        const live = replicas.filter((r) => r !== victim);
        await waitAgreed(live, task, live.length, PARTITIONS);
        const ms = performance.now() - killedAt;
        times.add(ms);
        context.log(`replicas: kill ${k + 1}/${plan.kills}: partitions moved after ${Math.round(ms)} ms`);
        // The StatefulSet restarts the pod under the same name; wait until it owns again.
        const back = await startReplica(target.url, Number(victim.id.split("-")[1]));
        replicas[victimAt] = back;
        await waitAgreed(replicas, task, replicas.length, PARTITIONS);
      }
      const summary = times.summary();
      context.emit({
        scenario: "replicas",
        system: "partitura",
        store: plan.label,
        size: plan.kills,
        value: round1((summary?.p50 ?? 0) / 1000),
        unit: "s SIGKILL failover (median)",
        better: "lower",
        target: { text: "at most 5 s", met: (summary?.max ?? Number.POSITIVE_INFINITY) <= 5_000 },
        details: {
          kills: plan.kills,
          failover_median_ms: Math.round(summary?.p50 ?? 0),
          failover_max_ms: Math.round(summary?.max ?? 0),
        },
      });
    }
    admin.close();
  } finally {
    for (const w of workers) await w.stop(1_000).catch(() => undefined);
    await Promise.all(replicas.map((r) => r.process.stop(5_000)));
    await target.cleanup();
  }
}
