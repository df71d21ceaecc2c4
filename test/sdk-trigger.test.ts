import * as grpc from "@grpc/grpc-js";
import test from "ava";
import type { Execution } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { ExecutionReason } from "../gen/ts/partitura/v1/instance_pb.ts";
import { msOf } from "../src/cli/timestamps.ts";
import { Client, PartituraError } from "../src/sdk/index.ts";
import { Worker } from "../src/sdk/worker.ts";
import { startTestServer, TestClock, type TestServer } from "./support/server.ts";
import { until } from "./support/wait.ts";

/*
 * The TypeScript SDK's trigger and backfill against a real server on a manual clock that never
 * reaches the hourly instances' next slot, with the SDK Worker running what they ask for: every
 * execution it sees is one the calls asked for.
 */

const NOW = Date.parse("2026-06-01T12:30:00.000Z");
const NEXT_SLOT = Date.parse("2026-06-01T13:00:00.000Z");
const HOUR = 3_600_000;

/** Task "report" with an hourly instance "sales", a Client, and a Worker recording what it runs. */
async function setUp(s: TestServer): Promise<{ client: Client; worker: Worker; ran: Execution[] }> {
  const client = new Client({ address: s.address });
  await client.putTask({ task: { name: "report", dynamic: true } });
  await client.schedule({
    task: "report",
    instances: [{ name: "sales", schedule: { kind: { case: "cron", value: "0 * * * *" } } }],
  });
  const ran: Execution[] = [];
  const worker = new Worker({
    address: s.address,
    task: "report",
    handler: async (execution) => {
      ran.push(execution);
    },
  }).start();
  return { client, worker, ran };
}

/** The instance's next slot once no trigger or backfill of it is queued or running. */
async function settledNextSlot(client: Client): Promise<number> {
  let next = Number.NaN;
  await until("the manual run is settled", async () => {
    const { instance } = await client.getInstance({ task: "report", name: "sales" });
    if (instance?.manualRun !== ExecutionReason.UNSPECIFIED) return false;
    next = msOf(instance.nextRunAt);
    return true;
  });
  return next;
}

test("trigger: one run now with reason TRIGGERED, the next slot unchanged; the request id makes it idempotent", async (t) => {
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const { client, worker, ran } = await setUp(s);
  t.teardown(async () => {
    await worker.stop();
    client.close();
  });

  const first = await client.trigger("report", ["sales", "nobody"]);
  t.deepEqual(first.outcomes, ["accepted", "not_found"]);
  t.regex(first.requestId, /^[0-9a-f-]{36}$/, "the SDK made a request id");
  await until("the triggered run", () => ran.length >= 1);
  t.is(ran[0]?.reason, ExecutionReason.TRIGGERED);
  t.is(await settledNextSlot(client), NEXT_SLOT, "the next slot did not move");

  const again = await client.trigger("report", ["sales"], { requestId: first.requestId });
  t.deepEqual(again, { requestId: first.requestId, outcomes: ["duplicate"] });
  const mine = await client.trigger("report", ["sales"], { requestId: "nightly-fix-42" });
  t.deepEqual(
    mine,
    { requestId: "nightly-fix-42", outcomes: ["accepted"] },
    "a caller's id is sent as given",
  );
  await until("the second trigger's run", () => ran.length >= 2);
  t.is(await settledNextSlot(client), NEXT_SLOT);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(ran.length, 2, "the duplicate ran nothing");

  const tooLong = await client.trigger("report", ["sales"], { requestId: "x".repeat(65) }).catch((e) => e);
  t.true(tooLong instanceof PartituraError);
  t.is((tooLong as PartituraError).code, grpc.status.INVALID_ARGUMENT);
  t.regex((tooLong as PartituraError).details, /^request_id: /);
});

test("backfill: the range's slots oldest first with reason BACKFILL; a range over 1000 slots is refused naming end", async (t) => {
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const { client, worker, ran } = await setUp(s);
  t.teardown(async () => {
    await worker.stop();
    client.close();
  });

  const result = await client.backfill("report", ["sales", "nobody"], {
    start: new Date(NOW - 3 * HOUR),
    end: NOW,
  });
  t.deepEqual(result.outcomes, ["accepted", "not_found"]);
  t.deepEqual(result.slots, [3, 0]);
  await until("three backfill runs", () => ran.length >= 3);
  t.deepEqual(
    ran.map((e) => [e.reason, new Date(msOf(e.scheduledAt)).toISOString()]),
    [
      [ExecutionReason.BACKFILL, "2026-06-01T10:00:00.000Z"],
      [ExecutionReason.BACKFILL, "2026-06-01T11:00:00.000Z"],
      [ExecutionReason.BACKFILL, "2026-06-01T12:00:00.000Z"],
    ],
  );
  t.is(await settledNextSlot(client), NEXT_SLOT, "then it goes on at its next slot");

  const none = await client.backfill("report", ["sales"], { start: NOW - 20 * 60_000, end: NOW });
  t.deepEqual([none.outcomes, none.slots], [["no_slots"], [0]]);

  const huge = await client
    .backfill("report", ["sales"], { start: Date.parse("2026-01-01T00:00:00Z"), end: NOW })
    .catch((e) => e);
  t.true(huge instanceof PartituraError, String(huge));
  t.is((huge as PartituraError).code, grpc.status.INVALID_ARGUMENT);
  t.regex((huge as PartituraError).details, /^end: .*more than 1000 slots/);
  await t.throwsAsync(() => client.backfill("report", ["sales"], { start: new Date("soon"), end: NOW }), {
    instanceOf: RangeError,
    message: "start: is not a valid time",
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(ran.length, 3, "the refused backfills ran nothing");
});
