import { RawClient } from "../lib/grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import { connect, redisCpuSeconds } from "../lib/redis.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { startServerProcess } from "../lib/server-process.ts";
import { round1, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { BenchWorker } from "../lib/worker.ts";

/**
 * idle: N instances none of which falls due during the run (daily, first slot tomorrow), a
 * server and a connected, idle worker; CPU of the server process (from /proc) and of Redis
 * (INFO cpu, which counts every client of a shared Redis) over the window.
 */
export const idleScenario: Scenario = {
  name: "idle",
  summary: "server and Redis CPU with 1,000,000 stored instances, none due",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    for (const count of sizesFor(options, [1_000_000], [50_000])) {
      const target = await prepareTarget("redis", "idle", options);
      const store = await openBenchStore(target.url);
      try {
        const task = benchTask("bench", 16);
        await store.putTask(task);
        const tomorrow = Date.now() + 86_400_000;
        const seconds = await loadInstances(
          store,
          task,
          {
            count,
            schedule: () => ({ kind: "interval", intervalMs: 86_400_000 }),
            nextRunAt: (i) => tomorrow + i,
          },
          5_000,
          4,
        );
        context.log(`idle: loaded ${count} instances in ${seconds.toFixed(1)} s`);
      } finally {
        await store.close();
      }
      const server = await startServerProcess({ store: target.url, cpuProfDir: profileDir(options, "idle") });
      const client = new RawClient(server.address);
      const redis = connect(options.redisUrl);
      const worker = new BenchWorker(client, { task: "bench", streams: 1, maxInFlight: 1_000 });
      try {
        await client.ready();
        worker.start();
        await sleep(options.warmupS * 1000);
        const cpu0 = server.cpuSeconds();
        const redis0 = await redisCpuSeconds(redis);
        const t0 = performance.now();
        await sleep(options.durationS * 1000);
        const cpu = server.cpuSeconds() - cpu0;
        const redisCpu = (await redisCpuSeconds(redis)) - redis0;
        const elapsed = (performance.now() - t0) / 1000;
        const percent = round1((cpu / elapsed) * 100);
        context.emit({
          scenario: "idle",
          system: "partitura",
          store: "redis",
          size: count,
          value: percent,
          unit: "% of a core (server)",
          better: "lower",
          target: { text: "< 1 % of a core", met: cpu / elapsed < 0.01 },
          details: {
            server_cpu_ms_per_s: Math.round((cpu / elapsed) * 1000),
            redis_cpu_percent: round1((redisCpu / elapsed) * 100),
            window_s: options.durationS,
            delivered: worker.delivered,
          },
        });
      } finally {
        worker.close();
        client.close();
        redis.disconnect();
        await sleep(100);
        await server.stop();
        await target.cleanup();
      }
    }
  },
};
