import { LeaseStatus } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { computeCronNext } from "../../src/domain/cron-next.ts";
import { deliveryAt, holdUntil } from "../../src/domain/jitter.ts";
import type { ScheduleSpec } from "../../src/domain/model.ts";
import { RawClient } from "../lib/grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import { connect, redisCpuSeconds } from "../lib/redis.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { startServerProcess } from "../lib/server-process.ts";
import { round1, roundRate, Samples, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { BenchWorker } from "../lib/worker.ts";

const TASK = "bench";
/** The goal: the herd drained, every one acked, this soon after it fell due. */
const GOAL_S = 12;
/** The runs: no jitter, and the lifecycle issue's 60 s. */
const JITTERS_MS = [0, 60_000] as const;
/**
 * Instances loaded per second assumed when placing the due instant (direct upserts ran at
 * about 60,000/s here, 1,000,000 in 17 s); a slower load fails the run instead of measuring
 * a late start.
 */
const LOAD_PER_S = Number(process.env.BENCH_BURST_LOAD_PER_S ?? 40_000);

/**
 * burst: the 09:00 herd. N instances of one daily cron (`S M H * * *` in UTC, its one slot a
 * few seconds after loading ends) all fall due at the same instant, on Redis, one server and
 * one worker acking everything. Figures: seconds from the due instant to the last ack, lag from
 * the nominal slot and from each slot's jittered delivery time (deliveryAt, the engine's own
 * function), executions/s from the first delivery to the last ack. Run with jitter 0 and 60 s.
 */
export const burstScenario: Scenario = {
  name: "burst",
  summary: "N daily-cron instances due at one instant (jitter 0 and 60 s); time to the last ack, lag",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    const partitions = Number(process.env.BENCH_PARTITIONS ?? 16);
    for (const count of sizesFor(options, [1_000_000], [100_000])) {
      for (const jitterMs of JITTERS_MS) {
        context.log(`burst: ${count} instances, jitter ${jitterMs / 1000} s`);
        await runBurst(context, count, partitions, jitterMs);
      }
    }
  },
};

async function runBurst(context: ScenarioContext, count: number, partitions: number, jitterMs: number) {
  const { options, log } = context;
  const target = await prepareTarget("redis", "burst", options);
  // The due instant: a whole second after loading and the server start are surely over.
  const due = Math.ceil((Date.now() + 8_000 + (count / LOAD_PER_S) * 1000) / 1000) * 1000;
  const at = new Date(due);
  const spec: ScheduleSpec = {
    kind: "cron",
    cron: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`,
    timezone: "UTC",
    ...(jitterMs > 0 ? { jitterMs } : {}),
  };
  if (spec.kind === "cron" && computeCronNext(spec.cron, "UTC", due - 1_000) !== due) {
    throw new Error(`burst: ${spec.cron} does not fall due at ${at.toISOString()}`);
  }
  const key = (i: number) => ({ task: TASK, instance: `i${i}` });
  const store = await openBenchStore(target.url);
  let loadS: number;
  try {
    await store.putTask(benchTask(TASK, partitions));
    loadS = await loadInstances(store, benchTask(TASK, partitions), {
      count,
      schedule: () => spec,
      nextRunAt: () => due,
      holdUntil: (i) => holdUntil(key(i), spec, due),
    });
    log(`burst: loaded ${count} instances in ${loadS.toFixed(1)} s`);
  } finally {
    await store.close();
  }

  const server = await startServerProcess({
    store: target.url,
    cpuProfDir: profileDir(options, `burst-${count}-j${jitterMs}`),
  });
  const client = new RawClient(server.address);
  const redis = connect(options.redisUrl);
  const worker = new BenchWorker(client, {
    task: TASK,
    streams: Number(process.env.BENCH_STREAMS ?? 2),
    maxInFlight: Number(process.env.BENCH_MAX_IN_FLIGHT ?? 5_000),
  });
  // First receive time per instance (index from the name inside the lease id); NaN: none yet.
  const received = new Float64Array(count).fill(Number.NaN);
  let redeliveries = 0;
  worker.onDelivery = (receivedAt, _slot, leaseId) => {
    const i = instanceIndex(leaseId);
    if (Number.isNaN(received[i] ?? 0)) received[i] = receivedAt;
    else redeliveries++;
  };
  try {
    await client.ready();
    worker.start();
    const ready = Date.now();
    if (ready > due - 1_000) {
      throw new Error(
        `burst: ready ${ready - due + 1_000} ms too late for the due instant; lower BENCH_BURST_LOAD_PER_S`,
      );
    }
    await sleep(due - Date.now());
    const cpu0 = server.cpuSeconds();
    const redis0 = await redisCpuSeconds(redis);
    // The last ack: polled, so it is known to within the poll period.
    const giveUp = due + jitterMs + 120_000;
    let lastAck = Number.NaN;
    while (Date.now() < giveUp) {
      if ((worker.ackStatuses[LeaseStatus.OK] ?? 0) >= count) {
        lastAck = Date.now();
        break;
      }
      await sleep(5);
    }
    const cpu1 = server.cpuSeconds();
    const redis1 = await redisCpuSeconds(redis);
    const acked = worker.ackStatuses[LeaseStatus.OK] ?? 0;
    const nominal = new Samples();
    const jittered = new Samples();
    let first = Number.POSITIVE_INFINITY;
    let lastDelivery = due;
    for (let i = 0; i < count; i++) {
      const t = received[i] ?? Number.NaN;
      if (Number.isNaN(t)) continue;
      if (t < first) first = t;
      nominal.add(t - due);
      jittered.add(t - deliveryAt(key(i), spec, due));
      lastDelivery = Math.max(lastDelivery, deliveryAt(key(i), spec, due));
    }
    const drainS = (lastAck - due) / 1000;
    const afterLastDeliveryS = (lastAck - lastDelivery) / 1000;
    const drainingS = (lastAck - first) / 1000;
    const cpuS = cpu1 - cpu0;
    const elapsedS = ((Number.isNaN(lastAck) ? Date.now() : lastAck) - due) / 1000;
    const fromDelivery = jittered.summary();
    const lag = nominal.summary();
    context.emit({
      scenario: "burst",
      system: "partitura",
      setting: `jitter ${jitterMs / 1000} s`,
      store: "redis",
      size: count,
      value: Number.isNaN(lastAck) ? Number.NaN : round1(drainS),
      unit: "s due -> last ack",
      better: "lower",
      ...(lag ? { lag } : {}),
      target:
        jitterMs === 0
          ? { text: `all acked within ${GOAL_S} s of the due instant`, met: drainS <= GOAL_S }
          : {
              text: `all acked within ${GOAL_S} s of the last jittered delivery time`,
              met: afterLastDeliveryS <= GOAL_S,
            },
      details: {
        jitter_s: jitterMs / 1000,
        acked: acked,
        redeliveries,
        load_s: round1(loadS),
        s_last_delivery_time_to_last_ack: round1(afterLastDeliveryS),
        executions_per_s_draining: roundRate(count / drainingS),
        first_delivery_ms_after_due: round1(first - due),
        lag_from_delivery_p50_ms: fromDelivery?.p50 ?? Number.NaN,
        lag_from_delivery_p99_ms: fromDelivery?.p99 ?? Number.NaN,
        lag_from_delivery_max_ms: fromDelivery?.max ?? Number.NaN,
        server_cpu_percent: round1((cpuS / elapsedS) * 100),
        server_cpu_us_per_execution: round1((cpuS * 1e6) / Math.max(1, acked)),
        redis_cpu_percent: round1(((redis1 - redis0) / elapsedS) * 100),
        partitions,
        cron: spec.kind === "cron" ? spec.cron : "",
        ...worker.ackSummary(),
      },
    });
    if (acked < count) throw new Error(`burst: only ${acked} of ${count} acked within ${giveUp - due} ms`);
  } finally {
    worker.close();
    client.close();
    await server.stop();
    redis.disconnect();
    await target.cleanup();
  }
}

const DOT = 0x2e;
const ZERO = 0x30;

/**
 * The index k of instance `i<k>` from its lease id bytes,
 * `partition.version.incarnation.taskLength.` + task + name (src/domain/lease-id.ts).
 */
function instanceIndex(leaseId: Uint8Array): number {
  let pos = 0;
  for (let dots = 0; dots < 3; pos++) if (leaseId[pos] === DOT) dots++;
  let taskLength = 0;
  for (; leaseId[pos] !== DOT; pos++) taskLength = taskLength * 10 + (leaseId[pos] ?? ZERO) - ZERO;
  pos += 1 + taskLength + 1; // the dot, the task, the name's "i"
  let index = 0;
  for (; pos < leaseId.length; pos++) index = index * 10 + (leaseId[pos] ?? ZERO) - ZERO;
  return index;
}
