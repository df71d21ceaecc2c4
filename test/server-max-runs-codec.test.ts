import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { ScheduleRequestSchema } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../gen/ts/partitura/v1/task_pb.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { instanceInputFromProto } from "../src/server/convert-instance.ts";
import { scheduleFromProto, scheduleToProto } from "../src/server/convert-schedule.ts";
import { decodeScheduleRequest, RawArgsSpec } from "../src/server/convert-schedule-request.ts";
import { checkScheduleReplySize, echoDefaultExtra } from "../src/server/convert-schedule-response.ts";

/*
 * Schedule.max_runs (field 8) through the hand-written Schedule reader: read on the fast path
 * as protobuf-es reads it (absent from the ScheduleSpec when 0), a uint32 too long for the
 * fast path left to protobuf-es, and counted in the reply bound as the end_at it becomes.
 */

const END = Date.UTC(2027, 5, 30, 18);

const every = (maxRuns: number, endAt?: number) =>
  create(ScheduleSchema, {
    kind: { case: "interval", value: durationFromMs(60_000) },
    maxRuns,
    ...(endAt === undefined ? {} : { endAt: timestampFromMs(endAt) }),
  });

const schedules = (request: ReturnType<typeof decodeScheduleRequest>) =>
  request.instances.map((spec, i) => instanceInputFromProto(spec, i).schedule);

test("the fast reader reads max_runs as protobuf-es does; 0 is absent", (t) => {
  const request = create(ScheduleRequestSchema, {
    task: "trial",
    instances: [
      { name: "a", schedule: every(3) },
      { name: "b", schedule: every(100_000, END) },
      { name: "c", schedule: every(0) },
      { name: "d", schedule: { kind: { case: "cron", value: "0 9 * * *" }, timezone: "UTC", maxRuns: 7 } },
    ],
  });
  const bytes = Buffer.from(toBinary(ScheduleRequestSchema, request));
  const fast = decodeScheduleRequest(bytes);
  t.true(fast.instances[0] instanceof RawArgsSpec, "the fast path read it");
  t.deepEqual(schedules(fast), schedules(fromBinary(ScheduleRequestSchema, bytes)));
  t.deepEqual(schedules(fast), [
    { kind: "interval", intervalMs: 60_000, maxRuns: 3 },
    { kind: "interval", intervalMs: 60_000, endAtMs: END, maxRuns: 100_000 },
    { kind: "interval", intervalMs: 60_000 },
    { kind: "cron", cron: "0 9 * * *", timezone: "UTC", maxRuns: 7 },
  ]);
  t.false("maxRuns" in (schedules(fast)[2] as ScheduleSpec), "absent, not undefined");
});

test("a max_runs varint longer than a uint32 goes to protobuf-es, which truncates it", (t) => {
  const bytes = Buffer.from(
    toBinary(
      ScheduleRequestSchema,
      create(ScheduleRequestSchema, { task: "trial", instances: [{ name: "a" }] }),
    ),
  );
  // instances[0] = { name: "a", schedule: { max_runs: 2^32 + 5 } }, written by hand.
  const schedule = Buffer.from([0x40, 0x85, 0x80, 0x80, 0x80, 0x10]);
  const spec = Buffer.concat([Buffer.from([0x0a, 0x01, 0x61, 0x12, schedule.length]), schedule]);
  const head = bytes.subarray(0, bytes.indexOf(0x12)); // the task field
  const request = Buffer.concat([head, Buffer.from([0x12, spec.length]), spec]);
  const decoded = decodeScheduleRequest(request);
  t.false(decoded.instances[0] instanceof RawArgsSpec, "protobuf-es read it");
  t.is(
    decoded.instances[0]?.schedule?.maxRuns,
    fromBinary(ScheduleRequestSchema, request).instances[0]?.schedule?.maxRuns,
  );
  t.is(decoded.instances[0]?.schedule?.maxRuns, 5);
});

test("a task's schedule keeps max_runs both ways; an instance's (end_at only) reads 0", (t) => {
  const task: ScheduleSpec = { kind: "interval", intervalMs: 5_000, maxRuns: 12 };
  t.deepEqual(scheduleFromProto("task.schedule", scheduleToProto(task)), task);
  t.is(scheduleToProto({ kind: "interval", intervalMs: 5_000, endAtMs: END }).maxRuns, 0);
});

test("the reply bound counts max_runs as an end_at, sent or a task's default", (t) => {
  const request = (n: number, schedule: ReturnType<typeof every> | undefined) =>
    create(ScheduleRequestSchema, {
      task: "trial",
      instances: Array.from({ length: n }, (_, i) => ({
        name: `${"n".repeat(150)}-${i}`,
        ...(schedule === undefined ? {} : { schedule }),
      })),
    });
  const fits = (check: () => unknown) => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };
  let n = 1;
  while (
    fits(() => decodeScheduleRequest(Buffer.from(toBinary(ScheduleRequestSchema, request(n * 2, every(0))))))
  )
    n *= 2;
  let high = n * 2;
  while (high - n > 1) {
    const middle = Math.floor((n + high) / 2);
    if (fits(() => checkScheduleReplySize(request(middle, every(0))))) n = middle;
    else high = middle;
  }
  const limited = Buffer.from(toBinary(ScheduleRequestSchema, request(n, every(3))));
  t.throws(() => decodeScheduleRequest(limited), { message: /^instances: the reply would pass/ });
  t.throws(() => checkScheduleReplySize(request(n, every(3))), {
    message: /^instances: the reply would pass/,
  });
  t.notThrows(() => checkScheduleReplySize(request(n, every(0))));
  t.is(
    echoDefaultExtra({ kind: "interval", intervalMs: 1, maxRuns: 3 }),
    echoDefaultExtra({ kind: "interval", intervalMs: 1, endAtMs: END }),
    "a default with max_runs echoes an end_at",
  );
  t.is(
    echoDefaultExtra({ kind: "interval", intervalMs: 1, endAtMs: END, maxRuns: 3 }),
    echoDefaultExtra({ kind: "interval", intervalMs: 1, endAtMs: END }),
    "and only one",
  );
});
