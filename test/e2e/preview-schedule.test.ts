import {
  durationFromMs,
  type Timestamp,
  timestampDate,
  timestampFromMs,
  timestampMs,
} from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { SlotDstMark } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { callError } from "../support/clients.ts";
import { slotOf, TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * PreviewSchedule over gRPC, in every store round: the slots of a schedule with their DST
 * marks (the Berlin days test/e2e/foundation-dst.test.ts runs), and of a stored instance,
 * whose previewed delivery time is when the engine then really delivers it.
 */

const iso = (at: Timestamp | undefined) => (at ? timestampDate(at).toISOString() : "");
const berlin = (value: string) => ({ kind: { case: "cron" as const, value }, timezone: "Europe/Berlin" });

test("a Berlin cron across both DST days: moved, merged and repeated slots", async (t) => {
  await using s = await startTestServer();
  const spring = await s.scheduler.previewSchedule({
    schedule: berlin("30 2 * * *"),
    from: timestampFromMs(Date.parse("2027-03-27T12:00:00Z")),
    count: 2,
  });
  t.deepEqual(
    spring.slots.map((slot) => [iso(slot.at), slot.dst, slot.localTime]),
    [
      ["2027-03-28T01:30:00.000Z", SlotDstMark.MOVED, "2027-03-28T02:30:00"],
      ["2027-03-29T00:30:00.000Z", SlotDstMark.UNSPECIFIED, "2027-03-29T02:30:00"],
    ],
  );
  const fall = await s.scheduler.previewSchedule({
    schedule: berlin("30 2 * * *"),
    from: timestampFromMs(Date.parse("2027-10-30T12:00:00Z")),
    count: 1,
  });
  t.deepEqual(
    fall.slots.map((slot) => [iso(slot.at), slot.dst]),
    [["2027-10-31T00:30:00.000Z", SlotDstMark.MERGED]],
  );
  const hourly = await s.scheduler.previewSchedule({
    schedule: berlin("0 * * * *"),
    from: timestampFromMs(Date.parse("2027-10-30T23:30:00Z")),
    count: 3,
  });
  t.deepEqual(
    hourly.slots.map((slot) => slot.dst),
    [SlotDstMark.REPEATED, SlotDstMark.REPEATED, SlotDstMark.UNSPECIFIED],
  );
  t.is(hourly.slots[0]?.deliverAt, undefined, "no jitter, no delivery time");
  t.is(hourly.schedule?.timezone, "Europe/Berlin");
});

test("a stored instance: slots from its next_run_at, and the jittered delivery is when it runs", async (t) => {
  const clock = new ManualClock();
  const start = clock.now();
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "herd", dynamic: true } });
  const schedule = {
    kind: { case: "interval" as const, value: durationFromMs(60_000) },
    jitter: durationFromMs(45_000),
  };
  await s.scheduler.schedule({ task: "herd", instances: [{ name: "c-7", schedule }] });
  const preview = await s.scheduler.previewSchedule({ task: "herd", instance: "c-7", count: 3 });
  t.deepEqual(
    preview.slots.map((slot) => (slot.at ? timestampMs(slot.at) - start : -1)),
    [60_000, 120_000, 180_000],
  );
  t.is(Number(preview.schedule?.jitter?.seconds), 45, "the stored schedule, with its jitter");
  const deliverAt = preview.slots.map((slot) => (slot.deliverAt ? timestampMs(slot.deliverAt) : 0));
  preview.slots.forEach((slot, i) => {
    const at = slot.at ? timestampMs(slot.at) : 0;
    t.true(deliverAt[i] !== undefined && deliverAt[i] >= at && deliverAt[i] < at + 45_000, `slot ${i}`);
  });

  const worker = new TestWorker(s, { task: "herd" });
  for (const [i, at] of deliverAt.slice(0, 2).entries()) {
    if (at > start + (i + 1) * 60_000) {
      clock.set(at - 1);
      t.deepEqual(await worker.idle(200), [], `slot ${i} not before its previewed delivery`);
    }
    clock.set(at);
    const [execution] = await worker.next();
    t.is(execution && slotOf(execution), start + (i + 1) * 60_000, `slot ${i} reports the nominal slot`);
    await worker.ack(execution ? [execution] : []);
  }
  // From a later instant the preview keeps the instance's own phase.
  const later = await s.scheduler.previewSchedule({
    task: "herd",
    instance: "c-7",
    from: timestampFromMs(start + 250_000),
    count: 1,
  });
  t.is(later.slots[0]?.at && timestampMs(later.slots[0].at), start + 300_000);
});

test("a static task's instance is previewed without naming it", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "nightly", schedule: { kind: { case: "cron", value: "0 3 * * *" }, timezone: "" } },
  });
  const preview = await s.scheduler.previewSchedule({ task: "nightly" });
  t.is(preview.slots.length, 10, "count 0 means 10");
  const instance = (await s.scheduler.getInstance({ task: "nightly", name: "nightly" })).instance;
  t.deepEqual(preview.slots[0]?.at, instance?.nextRunAt);
});

test("refusals name the field and the rule", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "dyn", dynamic: true } });
  const cases: Array<[string, Promise<unknown>, status, RegExp]> = [
    [
      "count",
      s.scheduler.previewSchedule({ schedule: berlin("0 * * * *"), count: 101 }),
      status.INVALID_ARGUMENT,
      /^count: must be 0 \(10\) to 100/,
    ],
    [
      "cron",
      s.scheduler.previewSchedule({ schedule: berlin("61 * * * *") }),
      status.INVALID_ARGUMENT,
      /^schedule\.cron:/,
    ],
    [
      "zone",
      s.scheduler.previewSchedule({ schedule: { ...berlin("0 * * * *"), timezone: "Mars/Olympus" } }),
      status.INVALID_ARGUMENT,
      /^schedule\.timezone:/,
    ],
    [
      "jitter",
      s.scheduler.previewSchedule({
        schedule: {
          kind: { case: "interval", value: durationFromMs(1_000) },
          timezone: "",
          jitter: durationFromMs(2_000),
        },
      }),
      status.INVALID_ARGUMENT,
      /^schedule\.jitter: must not be longer than the interval/,
    ],
    [
      "no kind",
      s.scheduler.previewSchedule({ schedule: { timezone: "" } }),
      status.INVALID_ARGUMENT,
      /^schedule: must set one of/,
    ],
    [
      "no target",
      s.scheduler.previewSchedule({}),
      status.INVALID_ARGUMENT,
      /^task: is required when schedule is unset/,
    ],
    [
      "dynamic",
      s.scheduler.previewSchedule({ task: "dyn" }),
      status.INVALID_ARGUMENT,
      /^instance: is required/,
    ],
    [
      "missing",
      s.scheduler.previewSchedule({ task: "dyn", instance: "nope" }),
      status.NOT_FOUND,
      /^instance: task "dyn" has no instance "nope"/,
    ],
    [
      "no task",
      s.scheduler.previewSchedule({ task: "nope", instance: "x" }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
  ];
  for (const [label, call, code, message] of cases) {
    const error = await callError(call);
    t.is(error.code, code, `${label}: ${error.details}`);
    t.regex(error.details, message, label);
  }
});
