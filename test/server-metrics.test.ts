import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { LeaseStatus, TestWorker } from "./support/execution-worker.ts";
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

test("without PARTITURA_METRICS_LISTEN nothing is served", async (t) => {
  await using s = await startTestServer();
  t.is(s.server.metricsPort, undefined);
});
