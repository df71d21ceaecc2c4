import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { InstanceSpecSchema } from "../gen/ts/partitura/v1/instance_pb.ts";
import {
  ScheduleRequestSchema,
  ScheduleResponseSchema,
} from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../gen/ts/partitura/v1/task_pb.ts";
import type { InstanceRecord, ScheduleSpec } from "../src/domain/model.ts";
import { instanceInputFromProto, instanceToProto } from "../src/server/convert-instance.ts";
import { outcomeToProto } from "../src/server/convert-outcome.ts";
import { scheduleFromProto, scheduleToProto } from "../src/server/convert-schedule.ts";
import { decodeScheduleRequest, RawArgsSpec } from "../src/server/convert-schedule-request.ts";
import {
  checkScheduleReplySize,
  echoDefaultExtra,
  encodeScheduleResponse,
} from "../src/server/convert-schedule-response.ts";

/*
 * Schedule.start_at and end_at through the hand-written Schedule codecs: read by the fast
 * reader as protobuf-es reads them, written as protobuf-es writes them, counted in the reply
 * bound; absent from the ScheduleSpec when unset, so an unbounded schedule is what it was.
 */

const START = Date.UTC(2027, 0, 1, 9);
const END = Date.UTC(2027, 5, 30, 18, 0, 0, 250);

const bounded = (kind: "cron" | "interval", bounds: { start?: number; end?: number }) =>
  create(ScheduleSchema, {
    kind:
      kind === "cron"
        ? { case: "cron", value: "0 9 * * *" }
        : { case: "interval", value: durationFromMs(60_000) },
    timezone: kind === "cron" ? "Europe/Berlin" : "",
    jitter: kind === "cron" ? durationFromMs(1_000) : undefined,
    startAt: bounds.start === undefined ? undefined : timestampFromMs(bounds.start),
    endAt: bounds.end === undefined ? undefined : timestampFromMs(bounds.end),
  });

test("the fast reader reads start_at and end_at as protobuf-es does; unset and the epoch start are none", (t) => {
  const request = create(ScheduleRequestSchema, {
    task: "campaign",
    instances: [
      create(InstanceSpecSchema, { name: "a", schedule: bounded("cron", { start: START, end: END }) }),
      create(InstanceSpecSchema, { name: "b", schedule: bounded("interval", { end: END }) }),
      create(InstanceSpecSchema, { name: "c", schedule: bounded("interval", { start: START }) }),
      create(InstanceSpecSchema, { name: "d", schedule: bounded("interval", { start: 0 }) }),
    ],
  });
  const bytes = Buffer.from(toBinary(ScheduleRequestSchema, request));
  const fast = decodeScheduleRequest(bytes);
  t.true(fast.instances[0] instanceof RawArgsSpec, "the fast path read it");
  const schedules = (r: typeof fast) =>
    r.instances.map((spec, i) => instanceInputFromProto(spec, i).schedule);
  t.deepEqual(schedules(fast), schedules(fromBinary(ScheduleRequestSchema, bytes)));
  t.deepEqual(schedules(fast), [
    {
      kind: "cron",
      cron: "0 9 * * *",
      timezone: "Europe/Berlin",
      jitterMs: 1_000,
      startAtMs: START,
      endAtMs: END,
    },
    { kind: "interval", intervalMs: 60_000, endAtMs: END },
    { kind: "interval", intervalMs: 60_000, startAtMs: START },
    { kind: "interval", intervalMs: 60_000 },
  ]);
  const plain = schedules(fast)[3] as ScheduleSpec;
  t.false("startAtMs" in plain || "endAtMs" in plain, "absent, not undefined");
});

test("scheduleToProto and scheduleFromProto keep the bounds both ways", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: 5_000, startAtMs: START, endAtMs: END };
  t.deepEqual(scheduleFromProto("s", scheduleToProto(spec)), spec);
  const proto = scheduleToProto({ kind: "interval", intervalMs: 5_000 });
  t.is(proto.startAt, undefined);
  t.is(proto.endAt, undefined);
});

test("the response writer writes the bounds byte for byte as protobuf-es", (t) => {
  const instance: InstanceRecord = {
    task: "campaign",
    name: "a",
    partition: 1,
    partitionKey: "",
    schedule: {
      kind: "cron",
      cron: "0 9 * * *",
      timezone: "UTC",
      jitterMs: 60_000,
      startAtMs: START,
      endAtMs: END,
    },
    args: new Uint8Array(),
    nextRunAt: START,
    lockedUntil: 0,
    version: 1,
    incarnation: 2,
    attempt: 0,
    createdAt: Date.UTC(2026, 11, 1),
    partitionCount: 4,
    leaseOwner: "",
  };
  const onlyEnd: InstanceRecord = {
    ...instance,
    name: "b",
    schedule: { kind: "interval", intervalMs: 1, endAtMs: END },
  };
  const results = [
    { outcome: "created" as const, instance },
    { outcome: "updated" as const, instance: onlyEnd },
  ];
  const expected = toBinary(
    ScheduleResponseSchema,
    create(ScheduleResponseSchema, {
      instances: results.map((r) => ({ ...instanceToProto(r.instance), args: undefined })),
      outcomes: results.map((r) => outcomeToProto(r.outcome)),
    }),
  );
  t.deepEqual(Buffer.from(encodeScheduleResponse(results) as unknown as Buffer), Buffer.from(expected));
});

/** The largest n for which `fits(n)` holds (fits is monotone, fits(1) holds). */
function largest(fits: (n: number) => boolean): number {
  let low = 1;
  let high = 2;
  while (fits(high)) high *= 2;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}

function passes(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

test("the reply bound counts bounds, and a task's bounded default for instances without a schedule", (t) => {
  const many = (n: number, schedule: "none" | "plain" | "bounded") =>
    create(ScheduleRequestSchema, {
      task: "campaign",
      instances: Array.from({ length: n }, (_, i) =>
        create(InstanceSpecSchema, {
          name: `${"n".repeat(150)}-${i}`,
          ...(schedule === "none"
            ? {}
            : { schedule: bounded("interval", schedule === "bounded" ? { start: START, end: END } : {}) }),
        }),
      ),
    });
  const decode = (n: number, schedule: "plain" | "bounded") =>
    decodeScheduleRequest(Buffer.from(toBinary(ScheduleRequestSchema, many(n, schedule))));
  const unset = largest((n) => passes(() => checkScheduleReplySize(many(n, "none"))));
  const extra = echoDefaultExtra({ kind: "interval", intervalMs: 1, startAtMs: START, endAtMs: END });
  t.true(extra > 0);
  t.is(echoDefaultExtra({ kind: "interval", intervalMs: 1 }), 0);
  t.throws(() => checkScheduleReplySize(many(unset, "none"), extra), {
    message: /^instances: the reply would pass/,
  });
  const plain = largest((n) => passes(() => decode(n, "plain")));
  t.notThrows(() => decode(plain, "plain"));
  t.throws(() => decode(plain, "bounded"), { message: /^instances: the reply would pass/ });
  t.throws(() => checkScheduleReplySize(many(plain, "bounded")), {
    message: /^instances: the reply would pass/,
  });
});
