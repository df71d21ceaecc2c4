import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { TestWorker } from "../support/execution-worker.ts";
import { startTestServer } from "../support/server.ts";

/** The value of one series in the server's /metrics, or undefined when absent. */
async function metric(port: number, name: string, task: string): Promise<number | undefined> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${name}{task="${task}"}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

async function until(
  read: () => Promise<number | undefined>,
  ok: (v: number) => boolean,
): Promise<number | undefined> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while ((value === undefined || !ok(value)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

test("overdue metrics rise while no worker serves a task, and fall when one returns", async (t) => {
  await using s = await startTestServer({
    config: { metricsListen: "127.0.0.1:0", overdueSampleMs: 100 },
  });
  const port = s.server.metricsPort;
  if (port === undefined) throw new Error("metrics not served");
  await s.scheduler.putTask({ task: { name: "late", dynamic: true, partitionCount: 4 } });
  const past = Date.now() - 60_000;
  await s.scheduler.schedule({
    task: "late",
    instances: ["a", "b", "c"].map((name) => ({
      name,
      schedule: { kind: { case: "at" as const, value: timestampFromMs(past) } },
    })),
  });
  const count = await until(
    () => metric(port, "partitura_overdue_instances", "late"),
    (v) => v === 3,
  );
  t.is(count, 3);
  const oldest = await metric(port, "partitura_oldest_overdue_seconds", "late");
  t.true((oldest ?? 0) >= 59, `oldest ${oldest}`);

  const worker = new TestWorker(s, { task: "late", maxInFlight: 10 });
  const got = await worker.next(3);
  await worker.ack(got);
  t.is(
    await until(
      () => metric(port, "partitura_overdue_instances", "late"),
      (v) => v === 0,
    ),
    0,
  );
  t.is(await metric(port, "partitura_oldest_overdue_seconds", "late"), 0);
  worker.close();
  t.is((await worker.ended).code, grpc.status.CANCELLED);
});

test("Execute streams past PARTITURA_MAX_EXECUTE_STREAMS are refused with RESOURCE_EXHAUSTED naming the bound", async (t) => {
  await using s = await startTestServer({ config: { maxExecuteStreams: 2 } });
  await s.scheduler.putTask({ task: { name: "w", dynamic: true } });
  const a = new TestWorker(s, { task: "w" });
  const b = new TestWorker(s, { task: "w" });
  await new Promise((r) => setTimeout(r, 300));
  const third = await new TestWorker(s, { task: "w" }).ended;
  t.is(third.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(third.details, /at most 2 open Execute streams \(PARTITURA_MAX_EXECUTE_STREAMS\)/);
  a.close();
  await a.ended;
  // The server notices the cancel a moment after the client does.
  await new Promise((r) => setTimeout(r, 300));
  // A slot freed: the next stream is served (it stays open; closing it ends it CANCELLED).
  const d = new TestWorker(s, { task: "w" });
  await new Promise((r) => setTimeout(r, 300));
  d.close();
  t.is((await d.ended).code, grpc.status.CANCELLED);
  b.close();
});
