import { Queue } from "bullmq";
import { bullmqConnection, bullmqPrefix, upsertSchedulers } from "../lib/bullmq.ts";
import type { BenchOptions } from "../lib/options.ts";
import type { BenchResult } from "../lib/report.ts";
import { roundRate } from "../lib/stats.ts";

/** Calls of upsertJobScheduler in flight at once (BullMQ has no batch form). */
const IN_FLIGHT = 64;

/** BullMQ's side of schedule: upsertJobScheduler calls per second, `IN_FLIGHT` at a time. */
export async function runBullmqSchedule(
  scenario: string,
  options: BenchOptions,
  count: number,
  log: (message: string) => void,
): Promise<BenchResult> {
  const { prefix, cleanup } = bullmqPrefix(scenario, options.redisUrl);
  const queue = new Queue("bench", { connection: bullmqConnection(options.redisUrl), prefix });
  try {
    await queue.waitUntilReady();
    const seconds = await upsertSchedulers(queue, count, IN_FLIGHT, () => ({ every: 1_000 }));
    log(`bullmq: ${count} upserts in ${seconds.toFixed(1)} s`);
    return {
      scenario,
      system: "bullmq",
      store: "redis",
      size: count,
      value: roundRate(count / seconds),
      unit: "instances/s",
      better: "higher",
      details: { calls_in_flight: IN_FLIGHT, seconds: Math.round(seconds * 100) / 100 },
    };
  } finally {
    await queue.close();
    await cleanup();
  }
}
