import type { ScheduleSpec } from "../../src/domain/model.ts";
import { RawClient } from "./grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "./load.ts";
import type { BenchOptions } from "./options.ts";
import { connect, redisCpuSeconds } from "./redis.ts";
import { startServerProcess } from "./server-process.ts";
import { type LagSummary, round1, roundRate, sleep } from "./stats.ts";
import type { StoreTarget } from "./targets.ts";
import { BenchWorker } from "./worker.ts";

/** One sustained firing run: N recurring instances against one server process and one worker. */
export interface SustainedPlan {
  readonly target: StoreTarget;
  readonly options: BenchOptions;
  readonly count: number;
  readonly partitions: number;
  readonly schedule: (i: number) => ScheduleSpec;
  /** The first slot of instance i, given the earliest instant the server may be up. */
  readonly firstSlot: (i: number, start: number) => number;
  /** Where a CPU profile of the server goes, when asked for. */
  readonly cpuProfDir?: string | undefined;
  readonly log: (message: string) => void;
}

/** What a sustained run measured inside its window. */
export interface SustainedResult {
  /** Executions acked OK per second. */
  readonly ackedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly lag: LagSummary | undefined;
  /** Server process CPU, % of one core; and CPU µs per execution. */
  readonly serverCpuPercent: number;
  readonly serverCpuUsPerExecution: number;
  /** Redis CPU % of one core (Redis runs only): global, so others' load shows too. */
  readonly redisCpuPercent: number | undefined;
  readonly details: Record<string, number | string>;
}

/**
 * Loads the instances, starts the server, opens the worker, lets the warm-up pass (the first
 * slots, the server's start), then measures for the window.
 */
export async function runSustained(plan: SustainedPlan): Promise<SustainedResult> {
  const { target, options, count, log } = plan;
  const taskName = "bench";
  const store = await openBenchStore(target.url);
  // Slots start once loading and the server start are surely over; the warm-up hides the rest.
  const loadStart = Date.now();
  const start = Math.ceil((loadStart + 3_000 + count / 20) / 1000) * 1000;
  try {
    const task = benchTask(taskName, plan.partitions);
    await store.putTask(task);
    const loadS = await loadInstances(store, task, {
      count,
      schedule: plan.schedule,
      nextRunAt: (i) => plan.firstSlot(i, start),
    });
    log(`loaded ${count} instances in ${loadS.toFixed(1)} s`);
  } finally {
    await store.close();
  }

  const server = await startServerProcess({ store: target.url, cpuProfDir: plan.cpuProfDir });
  const client = new RawClient(server.address);
  const redis = target.kind === "redis" ? connect(options.redisUrl) : undefined;
  const worker = new BenchWorker(client, {
    task: taskName,
    streams: Number(process.env.BENCH_STREAMS ?? 2),
    maxInFlight: Number(process.env.BENCH_MAX_IN_FLIGHT ?? 5_000),
  });
  try {
    await client.ready();
    worker.start();
    const windowStart = Math.max(Date.now(), start) + options.warmupS * 1000;
    const windowEnd = windowStart + options.durationS * 1000;
    worker.measure(windowStart, windowEnd);
    await sleep(windowStart - Date.now());
    const cpu0 = server.cpuSeconds();
    const own0 = process.cpuUsage();
    const redis0 = redis ? await redisCpuSeconds(redis) : 0;
    const t0 = performance.now();
    await sleep(windowEnd - Date.now());
    const cpu1 = server.cpuSeconds();
    const own = process.cpuUsage(own0);
    const redis1 = redis ? await redisCpuSeconds(redis) : 0;
    const seconds = (performance.now() - t0) / 1000;
    // Acks of the window's last deliveries may still be on their way.
    await sleep(500);
    const acked = worker.ackedInWindow / options.durationS;
    return {
      ackedPerSecond: roundRate(acked),
      deliveredPerSecond: roundRate(worker.deliveredInWindow / options.durationS),
      lag: worker.lags.summary(),
      serverCpuPercent: round1(((cpu1 - cpu0) / seconds) * 100),
      serverCpuUsPerExecution: round1(((cpu1 - cpu0) * 1e6) / Math.max(1, worker.deliveredInWindow)),
      redisCpuPercent: redis ? round1(((redis1 - redis0) / seconds) * 100) : undefined,
      details: {
        worker_cpu_percent: round1(((own.user + own.system) / 1e6 / seconds) * 100),
        offered_per_s: count,
        partitions: plan.partitions,
        window_s: options.durationS,
        delivered_total: worker.delivered,
        ...worker.ackSummary(),
      },
    };
  } finally {
    worker.close();
    client.close();
    await server.stop();
    redis?.disconnect();
    await target.cleanup();
  }
}
