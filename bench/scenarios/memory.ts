import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { byScale, sizesFor } from "../lib/options.ts";
import { connect, memoryOfKeys, usedMemory } from "../lib/redis.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { runBullmqMemory } from "./bullmq-memory.ts";

/**
 * memory: Redis bytes per instance for N interval instances with small args (`{"user":"u<i>"}`),
 * loaded straight through the store's batched upsert. The headline is INFO used_memory's delta
 * over N; the sum of MEMORY USAGE over the namespace's keys is kept beside it, because other
 * clients of a shared Redis move the global figure.
 */
export const memoryScenario: Scenario = {
  name: "memory",
  summary: "Redis bytes per instance at 1,000,000 interval instances (and per BullMQ job scheduler)",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    if (!options.noBullmq) {
      const count = Number(process.env.BENCH_BULLMQ_SIZE ?? byScale(options, 100_000, 10_000));
      context.emit(await runBullmqMemory(options, count, context.log));
    }
    for (const count of sizesFor(options, [1_000_000], [50_000])) {
      const target = await prepareTarget("redis", "memory", options);
      const redis = connect(options.redisUrl);
      const store = await openBenchStore(target.url);
      try {
        const task = benchTask("bench", 16);
        await store.putTask(task);
        const before = await usedMemory(redis);
        const far = Date.now() + 86_400_000;
        const seconds = await loadInstances(
          store,
          task,
          {
            count,
            schedule: () => ({ kind: "interval", intervalMs: 1_000 }),
            nextRunAt: (i) => far + (i % 1000),
          },
          5_000,
          4,
        );
        context.log(`memory: loaded ${count} instances in ${seconds.toFixed(1)} s`);
        await sleep(500);
        const after = await usedMemory(redis);
        const keys = await memoryOfKeys(redis, target.where);
        const perInstance = Math.round((after - before) / count);
        context.emit({
          scenario: "memory",
          system: "partitura",
          store: "redis",
          size: count,
          value: perInstance,
          unit: "bytes/instance",
          better: "lower",
          target: { text: "<= 250 bytes", met: perInstance <= 250 },
          details: {
            used_memory_delta: after - before,
            memory_usage_bytes_per_instance: Math.round(keys.bytes / count),
            keys: keys.keys,
            partitions: 16,
            load_per_s: Math.round(count / seconds),
          },
        });
      } finally {
        await store.close();
        redis.disconnect();
        await target.cleanup();
      }
    }
  },
};
