import { durationFromMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { SlotDstMark } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { Client, PartituraError } from "../src/sdk/index.ts";
import { startTestServer } from "./support/server.ts";

/*
 * The TypeScript SDK's previewSchedule against a real server: a schedule's slots with DST
 * marks, a stored jittered instance's delivery times, and refusals as PartituraError.
 */

test("Client.previewSchedule previews a schedule and a stored jittered instance", async (t) => {
  await using s = await startTestServer();
  await using client = new Client({ address: s.address });
  const fall = await client.previewSchedule({
    schedule: { kind: { case: "cron", value: "30 2 * * *" }, timezone: "Europe/Berlin" },
    from: timestampFromMs(Date.parse("2027-10-30T12:00:00Z")),
    count: 1,
  });
  t.deepEqual(
    fall.slots.map((slot) => [slot.at && new Date(timestampMs(slot.at)).toISOString(), slot.dst]),
    [["2027-10-31T00:30:00.000Z", SlotDstMark.MERGED]],
  );

  await client.putTask({ task: { name: "sdk-preview", dynamic: true } });
  const schedule = {
    kind: { case: "interval" as const, value: durationFromMs(60_000) },
    jitter: durationFromMs(20_000),
  };
  await client.schedule({ task: "sdk-preview", instances: [{ name: "i", schedule }] });
  const stored = (await client.getInstance({ task: "sdk-preview", name: "i" })).instance;
  const { slots } = await client.previewSchedule({ task: "sdk-preview", instance: "i", count: 2 });
  t.deepEqual(slots[0]?.at, stored?.nextRunAt, "from the instance's next_run_at");
  t.deepEqual(
    slots[0]?.deliverAt,
    stored?.lockedUntil ?? stored?.nextRunAt,
    "delivered when it is held until",
  );
  for (const slot of slots) {
    const delay = (slot.deliverAt ? timestampMs(slot.deliverAt) : 0) - (slot.at ? timestampMs(slot.at) : 0);
    t.true(delay >= 0 && delay < 20_000, `delay ${delay} ms`);
  }

  const error = await client.previewSchedule({ task: "sdk-preview" }).catch((thrown: unknown) => thrown);
  if (!(error instanceof PartituraError)) return t.fail(`a PartituraError, not ${String(error)}`);
  t.is(error.code, status.INVALID_ARGUMENT);
  t.regex(error.details, /^instance: is required/);
});
