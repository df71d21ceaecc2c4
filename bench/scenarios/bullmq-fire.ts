import { Queue, Worker } from "bullmq";
import { bullmqConnection, bullmqPrefix, slotOfJobId, upsertSchedulers } from "../lib/bullmq.ts";
import type { BenchOptions } from "../lib/options.ts";
import { connect, redisCpuSeconds } from "../lib/redis.ts";
import type { BenchResult } from "../lib/report.ts";
import { round1, roundRate, Samples, sleep } from "../lib/stats.ts";

/** One run of BullMQ's fire: `count` job schedulers, one Worker at `concurrency`. */
export interface BullmqFireRun {
  readonly scenario: string;
  readonly options: BenchOptions;
  readonly count: number;
  /** The Worker's `concurrency`: jobs its processor runs at once. */
  readonly concurrency: number;
  readonly log: (message: string) => void;
}

/**
 * BullMQ's side of fire: `count` job schedulers every 1 s (first slots spread evenly over the
 * second through startDate, like ours), one Worker with a no-op processor at `concurrency` in
 * this process, in a fresh prefix; completions/s inside the window and lag (processor start
 * minus the slot in the job id).
 */
export async function runBullmqFire(run: BullmqFireRun): Promise<BenchResult> {
  const { scenario, options, count, concurrency, log } = run;
  const connection = bullmqConnection(options.redisUrl);
  const { prefix, cleanup } = bullmqPrefix(scenario, options.redisUrl);
  const queue = new Queue("bench", { connection, prefix });
  const redis = connect(options.redisUrl);
  const start = Math.ceil((Date.now() + 3_000 + count / 5) / 1000) * 1000;
  let worker: Worker | undefined;
  try {
    const loadS = await upsertSchedulers(queue, count, 64, (i) => ({
      every: 1_000,
      startDate: start + Math.floor((i * 1000) / count),
    }));
    log(
      `bullmq: upserted ${count} job schedulers in ${loadS.toFixed(1)} s (worker concurrency ${concurrency})`,
    );

    const windowStart = Math.max(Date.now(), start) + options.warmupS * 1000;
    const windowEnd = windowStart + options.durationS * 1000;
    const lags = new Samples();
    let completedInWindow = 0;
    let failed = 0;
    worker = new Worker(
      "bench",
      async (job) => {
        const now = Date.now();
        if (now >= windowStart && now < windowEnd) lags.add(now - slotOfJobId(job.id));
      },
      { connection, prefix, concurrency },
    );
    worker.on("completed", () => {
      const now = Date.now();
      if (now >= windowStart && now < windowEnd) completedInWindow++;
    });
    worker.on("failed", () => failed++);
    worker.on("error", (err) => process.stderr.write(`bullmq worker: ${err.message}\n`));

    await sleep(windowStart - Date.now());
    const cpu0 = process.cpuUsage();
    const redis0 = await redisCpuSeconds(redis);
    const t0 = performance.now();
    await sleep(windowEnd - Date.now());
    const cpu = process.cpuUsage(cpu0);
    const redis1 = await redisCpuSeconds(redis);
    const seconds = (performance.now() - t0) / 1000;
    const rate = completedInWindow / options.durationS;
    const lag = lags.summary();
    return {
      scenario,
      system: "bullmq",
      setting: `concurrency ${concurrency}`,
      store: "redis",
      size: count,
      value: roundRate(rate),
      unit: "executions/s",
      better: "higher",
      ...(lag ? { lag } : {}),
      details: {
        kept_up: rate >= count * 0.98 ? "yes" : "no",
        offered_per_s: count,
        concurrency,
        worker_cpu_percent: round1(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
        redis_cpu_percent: round1(((redis1 - redis0) / seconds) * 100),
        failed,
        window_s: options.durationS,
      },
    };
  } finally {
    // A graceful close lets jobs in flight finish, so none re-creates keys after the clean-up.
    await worker?.close();
    await queue.close();
    redis.disconnect();
    await cleanup();
  }
}
