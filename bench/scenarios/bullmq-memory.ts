import { Queue } from "bullmq";
import { bullmqConnection, bullmqPrefix, upsertSchedulers } from "../lib/bullmq.ts";
import type { BenchOptions } from "../lib/options.ts";
import { connect, memoryOfKeys, usedMemory } from "../lib/redis.ts";
import type { BenchResult } from "../lib/report.ts";
import { sleep } from "../lib/stats.ts";

/**
 * BullMQ's side of memory: bytes per job scheduler (every 1 s, small data, no worker), which
 * holds the scheduler's hash and its next delayed job. Measured at a smaller count than ours
 * (100,000 by default, BENCH_BULLMQ_SIZE to change) because BullMQ upserts one call at a time.
 */
export async function runBullmqMemory(
  options: BenchOptions,
  count: number,
  log: (message: string) => void,
): Promise<BenchResult> {
  const { prefix, cleanup } = bullmqPrefix("memory", options.redisUrl);
  const queue = new Queue("bench", { connection: bullmqConnection(options.redisUrl), prefix });
  const redis = connect(options.redisUrl);
  try {
    await queue.waitUntilReady();
    const before = await usedMemory(redis);
    const seconds = await upsertSchedulers(queue, count, 64, () => ({
      every: 1_000,
      startDate: Date.now() + 86_400_000,
    }));
    log(`bullmq memory: ${count} job schedulers in ${seconds.toFixed(1)} s`);
    await sleep(500);
    const after = await usedMemory(redis);
    const keys = await memoryOfKeys(redis, prefix);
    return {
      scenario: "memory",
      system: "bullmq",
      store: "redis",
      size: count,
      value: Math.round((after - before) / count),
      unit: "bytes/instance",
      better: "lower",
      details: {
        used_memory_delta: after - before,
        memory_usage_bytes_per_instance: Math.round(keys.bytes / count),
        keys: keys.keys,
      },
    };
  } finally {
    await queue.close();
    redis.disconnect();
    await cleanup();
  }
}
