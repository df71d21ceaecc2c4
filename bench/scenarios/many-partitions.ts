import { GetTaskRequestSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { encode, RawClient } from "../lib/grpc-raw.ts";
import { benchTask, openBenchStore } from "../lib/load.ts";
import { byScale, sizesFor } from "../lib/options.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { startServerProcess } from "../lib/server-process.ts";
import { round1, Samples, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { BenchWorker } from "../lib/worker.ts";

const GET_TASK = "/partitura.v1.SchedulerService/GetTask";

/**
 * many-partitions (issue 12): one Execute stream on an empty task of N partitions (SQLite).
 * After a settling time, the server's CPU over a quiet window (from /proc), then the latency of
 * a GetTask every 20 ms over a second window with the stream still open; then how long the server takes to exit on SIGTERM once the
 * worker left. Bounds: under 5 % of a core, GetTask p99 under 20 ms.
 */
export const manyPartitionsScenario: Scenario = {
  name: "many-partitions",
  summary: "server CPU and unary p99 with one stream on an empty 65,536-partition task",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    for (const count of sizesFor(options, [4_096, 65_536], [65_536])) {
      const target = await prepareTarget("sqlite", "many-partitions", options);
      const store = await openBenchStore(target.url);
      try {
        await store.putTask(benchTask("wide", count));
      } finally {
        await store.close();
      }
      const server = await startServerProcess({
        store: target.url,
        cpuProfDir: profileDir(options, "many-partitions"),
      });
      const client = new RawClient(server.address);
      const worker = new BenchWorker(client, { task: "wide", streams: 1, maxInFlight: 100 });
      const latencies = new Samples();
      const body = encode(GetTaskRequestSchema, { name: "wide" });
      let failed = 0;
      try {
        await client.ready();
        worker.start();
        const settleS = byScale(options, 30, 15);
        await sleep(settleS * 1000);
        // The stream's own cost first, in a quiet window: the probes below cost CPU of their own.
        const cpu0 = server.cpuSeconds();
        const t0 = performance.now();
        await sleep(options.durationS * 1000);
        const cpu = server.cpuSeconds() - cpu0;
        const elapsed = (performance.now() - t0) / 1000;
        // Then other calls meanwhile: a GetTask every 20 ms for the same length of time.
        const end = performance.now() + options.durationS * 1000;
        while (performance.now() < end) {
          const started = performance.now();
          try {
            await client.unary(GET_TASK, body, 5_000);
            latencies.add(performance.now() - started);
          } catch {
            failed++;
          }
          await sleep(20);
        }
        worker.close();
        await sleep(200);
        const stopStarted = performance.now();
        await server.stop(60_000);
        const exitMs = Math.round(performance.now() - stopStarted);
        const unary = latencies.summary();
        const percent = round1((cpu / elapsed) * 100);
        context.emit({
          scenario: "many-partitions",
          system: "partitura",
          store: "sqlite",
          size: count,
          value: percent,
          unit: "% of a core (server, settled)",
          better: "lower",
          target: {
            text: "< 5 % of a core; GetTask p99 < 20 ms",
            met: cpu / elapsed < 0.05 && unary !== undefined && unary.p99 < 20 && failed === 0,
          },
          details: {
            settle_s: settleS,
            window_s: options.durationS,
            get_task_p50_ms: unary?.p50 ?? "n/a",
            get_task_p99_ms: unary?.p99 ?? "n/a",
            get_task_max_ms: unary?.max ?? "n/a",
            get_task_failed: failed,
            sigterm_exit_ms: exitMs,
          },
        });
      } finally {
        worker.close();
        client.close();
        await server.stop(60_000);
        await target.cleanup();
      }
    }
  },
};
