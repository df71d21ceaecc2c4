import { Queue } from "bullmq";
import { bullmqConnection, bullmqPrefix, upsertSchedulers } from "../lib/bullmq.ts";
import type { BenchOptions } from "../lib/options.ts";
import type { BenchResult } from "../lib/report.ts";
import { roundRate } from "../lib/stats.ts";

/** One run of BullMQ's schedule: `count` upserts, `inFlight` calls at once. */
export interface BullmqScheduleRun {
  readonly scenario: string;
  readonly options: BenchOptions;
  readonly count: number;
  /** Calls of upsertJobScheduler in flight at once (BullMQ has no batch form). */
  readonly inFlight: number;
  readonly log: (message: string) => void;
}

/** BullMQ's side of schedule: upsertJobScheduler calls per second, `inFlight` at a time. */
export async function runBullmqSchedule(run: BullmqScheduleRun): Promise<BenchResult> {
  const { scenario, options, count, inFlight, log } = run;
  const { prefix, cleanup } = bullmqPrefix(scenario, options.redisUrl);
  const queue = new Queue("bench", { connection: bullmqConnection(options.redisUrl), prefix });
  try {
    await queue.waitUntilReady();
    const seconds = await upsertSchedulers(queue, count, inFlight, () => ({ every: 1_000 }));
    log(`bullmq: ${count} upserts in ${seconds.toFixed(1)} s (${inFlight} in flight)`);
    return {
      scenario,
      system: "bullmq",
      setting: `${inFlight} in flight`,
      store: "redis",
      size: count,
      value: roundRate(count / seconds),
      unit: "instances/s",
      better: "higher",
      details: { calls_in_flight: inFlight, seconds: Math.round(seconds * 100) / 100 },
    };
  } finally {
    await queue.close();
    await cleanup();
  }
}
