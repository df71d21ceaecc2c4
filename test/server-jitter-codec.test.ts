import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { InstanceSpecSchema } from "../gen/ts/partitura/v1/instance_pb.ts";
import {
  ScheduleRequestSchema,
  ScheduleResponseSchema,
} from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../gen/ts/partitura/v1/task_pb.ts";
import type { InstanceRecord } from "../src/domain/model.ts";
import { instanceInputFromProto, instanceToProto } from "../src/server/convert-instance.ts";
import { outcomeToProto } from "../src/server/convert-outcome.ts";
import { decodeScheduleRequest, RawArgsSpec } from "../src/server/convert-schedule-request.ts";
import {
  checkScheduleReplySize,
  ECHO_JITTER,
  encodeScheduleResponse,
} from "../src/server/convert-schedule-response.ts";

/*
 * Schedule.jitter through the hand-written Schedule codecs: read by the fast reader as
 * protobuf-es reads it, written as protobuf-es writes it, and counted in the reply bound.
 */

const jittered = (kind: "cron" | "interval") =>
  create(ScheduleSchema, {
    kind:
      kind === "cron"
        ? { case: "cron", value: "0 9 * * *" }
        : { case: "interval", value: durationFromMs(60_000) },
    timezone: kind === "cron" ? "Europe/Berlin" : "",
    jitter: durationFromMs(45_250),
  });

test("the fast reader reads a jitter as protobuf-es does; 0 is none", (t) => {
  const request = create(ScheduleRequestSchema, {
    task: "herd",
    instances: [
      create(InstanceSpecSchema, { name: "a", schedule: jittered("cron") }),
      create(InstanceSpecSchema, { name: "b", schedule: jittered("interval") }),
      create(InstanceSpecSchema, {
        name: "c",
        schedule: { ...jittered("interval"), jitter: durationFromMs(0) },
      }),
    ],
  });
  const bytes = Buffer.from(toBinary(ScheduleRequestSchema, request));
  const fast = decodeScheduleRequest(bytes);
  t.true(fast.instances[0] instanceof RawArgsSpec, "the fast path read it");
  const schedules = (r: typeof fast) =>
    r.instances.map((spec, i) => instanceInputFromProto(spec, i).schedule);
  t.deepEqual(schedules(fast), schedules(fromBinary(ScheduleRequestSchema, bytes)));
  t.deepEqual(schedules(fast), [
    { kind: "cron", cron: "0 9 * * *", timezone: "Europe/Berlin", jitterMs: 45_250 },
    { kind: "interval", intervalMs: 60_000, jitterMs: 45_250 },
    { kind: "interval", intervalMs: 60_000 },
  ]);
});

test("the response writer writes a jitter byte for byte as protobuf-es", (t) => {
  const instance: InstanceRecord = {
    task: "herd",
    name: "a",
    partition: 1,
    partitionKey: "",
    schedule: { kind: "cron", cron: "0 9 * * *", timezone: "UTC", jitterMs: 3_600_000 },
    args: new Uint8Array(),
    nextRunAt: Date.UTC(2027, 0, 1, 9),
    lockedUntil: Date.UTC(2027, 0, 1, 9, 31),
    version: 1,
    incarnation: 2,
    attempt: 0,
    createdAt: Date.UTC(2027, 0, 1),
    partitionCount: 4,
    leaseOwner: "",
  };
  const results = [{ outcome: "created" as const, instance }];
  const expected = toBinary(
    ScheduleResponseSchema,
    create(ScheduleResponseSchema, {
      instances: results.map((r) => ({ ...instanceToProto(r.instance), args: undefined })),
      outcomes: results.map((r) => outcomeToProto(r.outcome)),
    }),
  );
  t.deepEqual(Buffer.from(encodeScheduleResponse(results) as unknown as Buffer), Buffer.from(expected));
  t.is(Number(instanceToProto(instance).schedule?.jitter?.seconds), 3_600);
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

test("the reply bound counts a jitter, and a task's jittered default for instances without one", (t) => {
  const many = (n: number, schedule: "none" | "plain" | "jittered") =>
    create(ScheduleRequestSchema, {
      task: "herd",
      instances: Array.from({ length: n }, (_, i) =>
        create(InstanceSpecSchema, {
          name: `${"n".repeat(150)}-${i}`,
          ...(schedule === "none"
            ? {}
            : {
                schedule:
                  schedule === "jittered"
                    ? jittered("interval")
                    : { ...jittered("interval"), jitter: undefined },
              }),
        }),
      ),
    });
  const decode = (n: number, schedule: "plain" | "jittered") =>
    decodeScheduleRequest(Buffer.from(toBinary(ScheduleRequestSchema, many(n, schedule))));
  // Instances without a schedule: the decoder bounds an un-jittered default; the task adds its jitter.
  const unset = largest((n) => passes(() => checkScheduleReplySize(many(n, "none"))));
  t.throws(() => checkScheduleReplySize(many(unset, "none"), ECHO_JITTER), {
    message: /^instances: the reply would pass/,
  });
  // Instances with a schedule: the largest plain batch is refused once they carry a jitter.
  const plain = largest((n) => passes(() => decode(n, "plain")));
  t.notThrows(() => decode(plain, "plain"));
  t.throws(() => decode(plain, "jittered"), { message: /^instances: the reply would pass/ });
  t.throws(() => checkScheduleReplySize(many(plain, "jittered")), {
    message: /^instances: the reply would pass/,
  });
});
