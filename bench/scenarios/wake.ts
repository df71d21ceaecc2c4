import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ScheduleRequestSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { encode, METHOD, RawClient } from "../lib/grpc-raw.ts";
import { byScale } from "../lib/options.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { putTask } from "../lib/schedule-requests.ts";
import { type ServerProcess, startServerProcess } from "../lib/server-process.ts";
import { Samples, sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { BenchWorker } from "../lib/worker.ts";

/** How far ahead each one-off is scheduled, and how long a try may wait for its delivery. */
const AHEAD_MS = 50;
const GIVE_UP_MS = 5_000;

/**
 * wake (issue 4): two replicas, A and B, on one Redis namespace, neither configured with a
 * poll interval (the engine's default bound is 10 s with Redis wake-ups). A one-off due 50 ms
 * from now is scheduled through A, which has no worker and so claims nothing; B's worker
 * must get it. Only the Redis pub/sub wake-up that A's Schedule publishes can bring it to B in
 * time. Lag = B's worker receiving it minus its slot; p99 over the tries.
 */
export const wakeScenario: Scenario = {
  name: "wake",
  summary: "a one-off due in 50 ms scheduled through replica A, delivered by replica B's worker",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    const tries = byScale(options, 100, 20);
    const target = await prepareTarget("redis", "wake", options);
    const servers: ServerProcess[] = [];
    const clients: RawClient[] = [];
    let worker: BenchWorker | undefined;
    try {
      for (const replica of ["a", "b"]) {
        servers.push(await startServerProcess({ store: target.url, replicaId: `bench-wake-${replica}` }));
      }
      const [a, b] = servers.map((s) => new RawClient(s.address)) as [RawClient, RawClient];
      clients.push(a, b);
      await Promise.all([a.ready(), b.ready()]);
      await putTask(a, "bench", 16);
      // max_in_flight 0: the server's default (100), what an ordinary worker asks for.
      worker = new BenchWorker(b, { task: "bench", streams: 1, maxInFlight: 0 });
      let arrived: ((receivedAt: number, slot: number) => void) | undefined;
      worker.onDelivery = (receivedAt, slot) => arrived?.(receivedAt, slot);
      worker.start();
      worker.measure(0, Number.POSITIVE_INFINITY);
      // Let B's pollers settle into their idle sleep before the first try.
      await sleep(1_500);

      const lags = new Samples();
      let missed = 0;
      for (let i = 0; i < tries; i++) {
        const slot = Date.now() + AHEAD_MS;
        const delivered = new Promise<number | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), GIVE_UP_MS);
          arrived = (receivedAt, at) => {
            if (at !== slot) return;
            clearTimeout(timer);
            resolve(receivedAt - at);
          };
        });
        const request = encode(ScheduleRequestSchema, {
          task: "bench",
          instances: [{ name: `w${i}`, schedule: { kind: { case: "at", value: timestampFromMs(slot) } } }],
        });
        await a.unary(METHOD.schedule, request);
        const lag = await delivered;
        // A miss counts at the give-up time: a lower bound of its real lag.
        if (lag === undefined) missed++;
        lags.add(lag ?? GIVE_UP_MS);
        // An idle pause, so every try starts from sleeping pollers.
        await sleep(100 + Math.floor(Math.random() * 200));
      }
      const lag = lags.summary();
      const p99 = lag?.p99 ?? Number.NaN;
      context.emit({
        scenario: "wake",
        system: "partitura",
        store: "redis",
        size: tries,
        value: p99,
        unit: "ms lag p99",
        better: "lower",
        ...(lag ? { lag } : {}),
        target: { text: "p99 <= 100 ms over 100 tries, B delivers", met: p99 <= 100 },
        details: {
          ahead_ms: AHEAD_MS,
          missed_within_5s: missed,
          delivered_by_b: worker.delivered,
          max_in_flight: "server default",
        },
      });
    } finally {
      worker?.close();
      for (const client of clients) client.close();
      await sleep(100);
      await Promise.all(servers.map((s) => s.stop()));
      await target.cleanup();
    }
  },
};
