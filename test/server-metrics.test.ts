import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import type { Execution } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { FailureMode } from "../gen/ts/partitura/v1/task_pb.ts";
import { LeaseStatus, Outcome, TestWorker } from "./support/execution-worker.ts";
import { ManualClock } from "./support/manual-clock.ts";
import { startTestServer } from "./support/server.ts";

/*
 * What an operator scraping /metrics sees after a worker ran an execution: the delivery, its
 * lag, the ack and the store calls behind them, and the live sizes of the engine.
 */

async function scrape(port: number | undefined): Promise<string> {
  if (port === undefined) throw new Error("metrics are not served");
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

test("/metrics counts deliveries, lag, acks and store calls", async (t) => {
  await using s = await startTestServer({ config: { metricsListen: "127.0.0.1:0" } });
  await s.scheduler.putTask({ task: { name: "metered", dynamic: true } });
  await s.scheduler.schedule({
    task: "metered",
    instances: [{ name: "once", schedule: { kind: { case: "at", value: timestampFromMs(Date.now()) } } }],
  });
  const worker = new TestWorker(s, { task: "metered" });
  const [execution] = await worker.next();
  t.truthy(execution);
  const during = await scrape(s.server.metricsPort);
  t.regex(during, /^partitura_in_flight_leases 1$/m);
  t.regex(during, /^partitura_execute_streams 1$/m);
  t.deepEqual(await worker.ack(execution ? [execution] : []), [LeaseStatus.OK]);
  worker.close();

  const after = await scrape(s.server.metricsPort);
  t.regex(after, /^partitura_executions_delivered_total\{task="metered"\} 1$/m);
  t.regex(after, /^partitura_execution_lag_seconds_count\{task="metered"\} 1$/m);
  t.regex(after, /^partitura_acks_total\{status="ok"\} 1$/m);
  t.regex(after, /^partitura_store_operation_seconds_count\{operation="upsertInstances",outcome="ok"\} 1$/m);
  t.regex(after, /^partitura_store_operation_seconds_count\{operation="commit",outcome="ok"\} 1$/m);
  t.regex(after, /^process_cpu_seconds_total /m);
});

/** The value of one sample line (`name{labels} value`), or undefined when it is absent. */
function sample(body: string, series: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("partitura_executions_total counts each outcome exactly as acked, expired and released; claim sizes add up to what was delivered", async (t) => {
  const clock = new ManualClock();
  await using s = await startTestServer({ clock, config: { metricsListen: "127.0.0.1:0" } });
  const port = s.server.metricsPort;
  const task = "outcomes";
  const count = (outcome: string) =>
    scrape(port).then((body) =>
      sample(body, `partitura_executions_total{task="${task}",outcome="${outcome}"}`),
    );
  await s.scheduler.putTask({
    task: {
      name: task,
      dynamic: true,
      leaseDuration: durationFromMs(30_000),
      failureMode: FailureMode.UNLOCK,
    },
  });
  const names = ["s0", "s1", "s2", "f0", "f1", "x0", "x1", "gone"];
  await s.scheduler.schedule({
    task,
    instances: names.map((name) => ({
      name,
      schedule: { kind: { case: "interval" as const, value: durationFromMs(60_000) } },
    })),
  });
  const worker = new TestWorker(s, { task, maxInFlight: 100 });
  clock.advance(60_000);
  const delivered = await worker.next(names.length);
  const of = (...wanted: string[]) => delivered.filter((e: Execution) => wanted.includes(e.instance));
  t.is(await count("success"), undefined, "no series before anything ended");

  t.deepEqual(await worker.ack(of("s0", "s1", "s2")), [LeaseStatus.OK, LeaseStatus.OK, LeaseStatus.OK]);
  // Retried only after ten minutes, so nothing comes back while the test runs.
  t.deepEqual(await worker.ack(of("f0", "f1"), Outcome.FAILURE, 600_000), [LeaseStatus.OK, LeaseStatus.OK]);
  t.deepEqual(await worker.ack(of("s0")), [LeaseStatus.LEASE_LOST], "a second ack is refused");
  await s.scheduler.unschedule({ task, names: ["gone"] });
  t.deepEqual(await worker.ack(of("gone")), [LeaseStatus.NOT_FOUND]);
  t.is(await count("success"), 3);
  t.is(await count("failure"), 2);
  t.is(await count("lease_lost"), 1);
  t.is(await count("not_found"), 1);
  t.is(await count("expired"), undefined);

  // x0 and x1 are never acked: their leases run out, and they come back to the same worker.
  clock.advance(30_001);
  await until("two leases expired", async () => (await count("expired")) === 2);
  const again = await worker.next(2);
  t.deepEqual(again.map((e) => e.instance).sort(), ["x0", "x1"]);
  t.true(again.every((e) => e.attempt === 2));
  // The worker goes away holding them: they are given back.
  worker.close();
  await until("two executions released", async () => (await count("released")) === 2);

  const body = await scrape(port);
  t.is(
    sample(body, `partitura_executions_total{task="${task}",outcome="success"}`),
    3,
    "counts did not move again",
  );
  t.is(sample(body, `partitura_executions_total{task="${task}",outcome="expired"}`), 2);
  t.is(
    sample(body, `partitura_claim_batch_size_sum{task="${task}"}`),
    names.length + 2,
    "the claims took exactly what was delivered",
  );
  const claims = sample(body, `partitura_claim_batch_size_count{task="${task}"}`) ?? 0;
  t.true(claims >= 2 && claims <= names.length + 2, `claims counted once each (${claims})`);
});

test("without PARTITURA_METRICS_LISTEN nothing is served", async (t) => {
  await using s = await startTestServer();
  t.is(s.server.metricsPort, undefined);
});
