import { ScheduleOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { METHOD, RawClient } from "../lib/grpc-raw.ts";
import { byScale, sizesFor } from "../lib/options.ts";
import { connect, redisCpuSeconds } from "../lib/redis.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { putTask, scheduleRequests } from "../lib/schedule-requests.ts";
import { startServerProcess } from "../lib/server-process.ts";
import { roundRate } from "../lib/stats.ts";
import { prepareTarget, type StoreKind } from "../lib/targets.ts";
import { readScheduleOutcomes } from "../lib/wire.ts";
import { runBullmqSchedule } from "./bullmq-schedule.ts";

const SIZES: Record<StoreKind, { full: number[]; small: number[]; batch: number; lanes: number }> = {
  redis: { full: [500_000], small: [20_000], batch: 2_000, lanes: 4 },
  sqlite: { full: [50_000], small: [5_000], batch: 1_000, lanes: 2 },
  dynamodb: { full: [2_000], small: [300], batch: 100, lanes: 2 },
};

/**
 * schedule: instances stored per second through batched Schedule calls (several in flight),
 * into an empty task. On Redis BullMQ's upsertJobScheduler runs too, on the same Redis.
 */
export function scheduleScenario(kind: StoreKind): Scenario {
  const name = kind === "redis" ? "schedule" : `${kind}-schedule`;
  return {
    name,
    summary: `instances/s stored by batched Schedule calls on ${kind}`,
    run: async (context: ScenarioContext) => {
      const { options } = context;
      if (kind === "redis" && !options.noBullmq) {
        // One row per setting: ours is judged against BullMQ's best of this run (report.ts).
        for (const inFlight of options.bullmqInFlight) {
          const count = byScale(options, 50_000, 5_000);
          context.emit(
            await runBullmqSchedule({ scenario: name, options, count, inFlight, log: context.log }),
          );
        }
      }
      const sizes = SIZES[kind];
      const batch = Number(process.env.BENCH_BATCH ?? sizes.batch);
      const lanes = Number(process.env.BENCH_LANES ?? sizes.lanes);
      for (const count of sizesFor(options, sizes.full, sizes.small)) {
        const target = await prepareTarget(kind, name, options);
        const server = await startServerProcess({
          store: target.url,
          cpuProfDir: profileDir(options, `${name}-${count}`),
        });
        const client = new RawClient(server.address);
        const redis = kind === "redis" ? connect(options.redisUrl) : undefined;
        try {
          await client.ready();
          await putTask(client, "bench", 16);
          const requests = scheduleRequests("bench", count, batch, 3_600);
          const outcomes: number[] = [];
          let next = 0;
          const cpu0 = server.cpuSeconds();
          const redis0 = redis ? await redisCpuSeconds(redis) : 0;
          const started = performance.now();
          const lane = async (): Promise<void> => {
            while (next < requests.length) {
              const request = requests[next++] as Buffer;
              readScheduleOutcomes(await client.unary(METHOD.schedule, request), outcomes);
            }
          };
          await Promise.all(Array.from({ length: lanes }, lane));
          const seconds = (performance.now() - started) / 1000;
          const cpu = server.cpuSeconds() - cpu0;
          const redisCpu = redis ? (await redisCpuSeconds(redis)) - redis0 : undefined;
          const created = outcomes[ScheduleOutcome.CREATED] ?? 0;
          if (created !== count) throw new Error(`${name}: ${created} of ${count} instances created`);
          const rate = roundRate(count / seconds);
          context.emit({
            scenario: name,
            system: "partitura",
            store: kind,
            size: count,
            value: rate,
            unit: "instances/s",
            better: "higher",
            ...(kind === "redis" ? { target: { text: ">= 100,000/s", met: rate >= 100_000 } } : {}),
            details: {
              batch,
              calls_in_flight: lanes,
              seconds: Math.round(seconds * 100) / 100,
              server_cpu_us_per_instance: Math.round((cpu * 1e6) / count),
              ...(redisCpu === undefined
                ? {}
                : { redis_cpu_us_per_instance: Math.round((redisCpu * 1e6) / count) }),
            },
          });
        } finally {
          client.close();
          redis?.disconnect();
          await server.stop();
          await target.cleanup();
        }
      }
    },
  };
}
