import { fromBinary } from "@bufbuild/protobuf";
import type { Redis } from "ioredis";
import {
  ListInstancesRequestSchema,
  ListInstancesResponseSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { encode, METHOD, RawClient } from "../lib/grpc-raw.ts";
import { byScale } from "../lib/options.ts";
import { connect } from "../lib/redis.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { putTask, scheduleRequests } from "../lib/schedule-requests.ts";
import { type ServerProcess, startServerProcess } from "../lib/server-process.ts";
import { Samples } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";

const LIST_INSTANCES = "/partitura.v1.SchedulerService/ListInstances";

/** The bounds (issue 12, bounded listing). */
const PAGE_TARGET_MS = 10;
const REDIS_CALL_TARGET_MS = 2;

/** SLOWLOG entries read after each page: far more than one page's calls and others' traffic. */
const SLOWLOG_READ = 5_000;

/**
 * list-large (issue 12): one partition of 200,000 instances on Redis, listed through the real
 * server with ListInstances, in pages of 100 and of 1,000. Figures: ms per page (p50/p99 of
 * the client's round trip) and the slowest Redis command the listing ran, from SLOWLOG with
 * slowlog-log-slower-than 0 for the run (restored after). The Redis is shared, so only
 * commands naming this run's namespace count, and SLOWLOG is read and reset after every page.
 */
export const listLargeScenario: Scenario = {
  name: "list-large",
  summary: "ListInstances over one 200,000-instance partition on Redis: ms a page, slowest Redis call",
  run: async (context: ScenarioContext) => {
    const { options, log } = context;
    const size = options.sizes?.[0] ?? byScale(options, 200_000, 20_000);
    const pagesPerWalk = byScale(options, 100, 20);
    const target = await prepareTarget("redis", "list-large", options);
    const redis = connect(options.redisUrl);
    let server: ServerProcess | undefined;
    let client: RawClient | undefined;
    const saved = await slowlogConfig(redis);
    try {
      server = await startServerProcess({ store: target.url, replicaId: "bench-list-large" });
      client = new RawClient(server.address);
      await client.ready();
      await putTask(client, "big", 1);
      const seeding = performance.now();
      for (const request of scheduleRequests("big", size, 10_000, 3_600)) {
        await client.unary(METHOD.schedule, request);
      }
      log(`seeded ${size} instances in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

      await redis.config("SET", "slowlog-max-len", String(SLOWLOG_READ));
      await redis.config("SET", "slowlog-log-slower-than", "0");
      for (const pageSize of [100, 1_000]) {
        const pages = new Samples();
        let slowest = { micros: 0, command: "" };
        let token = "";
        let listed = 0;
        await redis.slowlog("RESET");
        for (let page = 0; page < pagesPerWalk; page++) {
          const request = encode(ListInstancesRequestSchema, {
            task: "big",
            partition: 0,
            pageSize,
            pageToken: token,
          });
          const started = performance.now();
          const bytes = await client.unary(LIST_INSTANCES, request);
          // The round trip only: decoding the page here is the client's cost, not the server's.
          pages.add(performance.now() - started);
          const reply = fromBinary(ListInstancesResponseSchema, bytes);
          listed += reply.instances.length;
          const worst = await slowestOf(redis, target.where);
          if (worst.micros > slowest.micros) slowest = worst;
          token = reply.nextPageToken;
          if (token === "") break;
        }
        const summary = pages.summary();
        const p99 = summary?.p99 ?? Number.NaN;
        const slowestMs = slowest.micros / 1000;
        context.emit({
          scenario: "list-large",
          system: "partitura",
          store: "redis",
          size,
          value: summary?.p50 ?? Number.NaN,
          unit: `ms/page p50 (pages of ${pageSize})`,
          better: "lower",
          ...(summary ? { lag: summary } : {}),
          target: {
            text: `p99 < ${PAGE_TARGET_MS} ms a page, no Redis call over ${REDIS_CALL_TARGET_MS} ms`,
            met: p99 < PAGE_TARGET_MS && slowestMs <= REDIS_CALL_TARGET_MS,
          },
          details: {
            pageSize,
            pages: summary?.samples ?? 0,
            listed,
            pageP99Ms: p99,
            slowestRedisCallMs: slowestMs,
            slowestRedisCommand: slowest.command,
          },
        });
      }
    } finally {
      await restoreSlowlog(redis, saved).catch((thrown: unknown) =>
        log(`slowlog not restored: ${String(thrown)}`),
      );
      client?.close();
      await server?.stop();
      redis.disconnect();
      await target.cleanup();
    }
  },
};

/** The two SLOWLOG settings this scenario changes. */
interface SlowlogConfig {
  readonly slowerThan: string;
  readonly maxLen: string;
}

async function slowlogConfig(redis: Redis): Promise<SlowlogConfig> {
  const [, slowerThan = "10000"] = (await redis.config("GET", "slowlog-log-slower-than")) as string[];
  const [, maxLen = "128"] = (await redis.config("GET", "slowlog-max-len")) as string[];
  return { slowerThan, maxLen };
}

async function restoreSlowlog(redis: Redis, saved: SlowlogConfig): Promise<void> {
  await redis.config("SET", "slowlog-log-slower-than", saved.slowerThan);
  await redis.config("SET", "slowlog-max-len", saved.maxLen);
}

/**
 * The slowest SLOWLOG entry since the last call whose arguments name `namespace` (this run's
 * keys), then resets the log. An entry is [id, time, microseconds, [command, ...args], ...].
 */
async function slowestOf(redis: Redis, namespace: string): Promise<{ micros: number; command: string }> {
  const entries = (await redis.slowlog("GET", SLOWLOG_READ)) as unknown[];
  await redis.slowlog("RESET");
  let worst = { micros: 0, command: "" };
  for (const entry of entries) {
    if (!Array.isArray(entry)) continue;
    const micros = Number(entry[2]);
    const args = Array.isArray(entry[3]) ? entry[3].map(String) : [];
    if (!args.some((arg) => arg.includes(namespace))) continue;
    if (micros > worst.micros) worst = { micros, command: args[0]?.toUpperCase() ?? "" };
  }
  return worst;
}
