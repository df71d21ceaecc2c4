import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, StructSchema, timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { InstanceSpecSchema } from "../gen/ts/partitura/v1/instance_pb.ts";
import {
  ScheduleMode,
  type ScheduleRequest,
  ScheduleRequestSchema,
  ScheduleResponseSchema,
} from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../gen/ts/partitura/v1/task_pb.ts";
import type { InstanceRecord } from "../src/domain/model.ts";
import { bytesToArgs } from "../src/server/convert-args.ts";
import { instanceInputFromProto, instanceToProto } from "../src/server/convert-instance.ts";
import { outcomeToProto } from "../src/server/convert-outcome.ts";
import { decodeScheduleRequest, RawArgsSpec } from "../src/server/convert-schedule-request.ts";
import { encodeScheduleResponse } from "../src/server/convert-schedule-response.ts";
import type { UpsertResult } from "../src/store/store.ts";
import { structArgs } from "./store-conformance/fixtures.ts";

/*
 * Schedule answers are written by hand. The bytes must be exactly those protobuf-es writes
 * for the same results, whatever the schedule kind, times (before 1970 too) and args.
 */

const base: InstanceRecord = {
  task: "mails",
  name: "user-ada",
  partition: 3,
  partitionKey: "",
  schedule: { kind: "interval", intervalMs: 1_000 },
  args: new Uint8Array(),
  nextRunAt: Date.UTC(2027, 2, 28, 1, 30, 0, 250),
  lockedUntil: 0,
  version: 4,
  incarnation: 99,
  attempt: 0,
  createdAt: Date.UTC(2027, 2, 1),
  partitionCount: 16,
  leaseOwner: "",
};

const results: UpsertResult[] = [
  { outcome: "created", instance: base },
  {
    outcome: "updated",
    instance: {
      ...base,
      partition: 0,
      name: "zürich-名前",
      partitionKey: "tenant-7",
      schedule: { kind: "cron", cron: "*/5 * * * * *", timezone: "Europe/Berlin" },
      args: structArgs({ user: "ada", retries: 3, nested: { list: [1, "two", null, true] } }),
      lockedUntil: Date.UTC(2027, 2, 28, 1, 31),
      attempt: 2,
    },
  },
  {
    outcome: "locked",
    instance: { ...base, schedule: { kind: "at", atMs: -62_135_596_800_000 }, nextRunAt: -1_500 },
  },
  {
    outcome: "created",
    instance: { ...base, schedule: { kind: "interval", intervalMs: 90_061_001 }, nextRunAt: 0 },
  },
];

test("the schedule response is the bytes protobuf-es writes, args left out (the client sent them)", (t) => {
  const expected = toBinary(
    ScheduleResponseSchema,
    create(ScheduleResponseSchema, {
      instances: results.map((r) => ({ ...instanceToProto(r.instance), args: undefined })),
      outcomes: results.map((r) => outcomeToProto(r.outcome)),
    }),
  );
  t.deepEqual(Buffer.from(encodeScheduleResponse(results) as unknown as Buffer), Buffer.from(expected));
  t.is((encodeScheduleResponse([]) as unknown as Buffer).length, 0);
});

/** What the server makes of a request: the domain inputs, with args compared as JSON. */
function inputsOf(request: ScheduleRequest) {
  return {
    task: request.task,
    mode: request.mode,
    inputs: request.instances.map((spec, i) => {
      const input = instanceInputFromProto(spec, i);
      return { ...input, args: bytesToArgs(input.args) };
    }),
  };
}

const specs = [
  create(InstanceSpecSchema, { name: "a" }),
  create(InstanceSpecSchema, {
    name: "zürich-名前",
    partitionKey: "tenant-7",
    schedule: create(ScheduleSchema, {
      kind: { case: "cron", value: "*/5 * * * * *" },
      timezone: "Europe/Berlin",
    }),
    args: {
      user: "ada",
      retries: 3.5,
      ok: true,
      none: null,
      nested: { list: [1, "two", null, false, { x: [] }] },
    },
  }),
  create(InstanceSpecSchema, {
    name: "b",
    schedule: create(ScheduleSchema, { kind: { case: "interval", value: durationFromMs(90_061_001) } }),
    args: {},
  }),
  create(InstanceSpecSchema, {
    name: "c",
    schedule: create(ScheduleSchema, {
      kind: { case: "at", value: timestampFromMs(Date.UTC(2027, 0, 1, 0, 0, 0, 5)) },
    }),
  }),
];

test("a schedule request reads as protobuf-es reads it, args stored as sent", (t) => {
  const request = create(ScheduleRequestSchema, {
    task: "mails",
    instances: specs,
    mode: ScheduleMode.FORCE,
  });
  const bytes = Buffer.from(toBinary(ScheduleRequestSchema, request));
  const decoded = decodeScheduleRequest(bytes);
  t.deepEqual(inputsOf(decoded), inputsOf(fromBinary(ScheduleRequestSchema, bytes)));
  t.true(decoded.instances[1] instanceof RawArgsSpec, "the usual encoding takes the fast path");
  // Canonical args are stored byte for byte as the re-encoding would have stored them.
  const [, fast] = decoded.instances.map((spec, i) => instanceInputFromProto(spec, i).args);
  const [, slow] = fromBinary(ScheduleRequestSchema, bytes).instances.map(
    (spec, i) => instanceInputFromProto(spec, i).args,
  );
  t.deepEqual(Buffer.from(fast ?? []), Buffer.from(slow ?? []));
  t.deepEqual(decoded.instances[1]?.args, specs[1]?.args, "args still read as JSON when asked");
});

test("unusual schedule requests fall back to protobuf-es and read (or fail) as before", (t) => {
  const whole = Buffer.from(
    toBinary(ScheduleRequestSchema, create(ScheduleRequestSchema, { task: "mails", instances: specs })),
  );
  const nan = Buffer.from(
    toBinary(
      StructSchema,
      create(StructSchema, {
        fields: { x: create(ValueSchema, { kind: { case: "numberValue", value: Number.NaN } }) },
      }),
    ),
  );
  // InstanceSpec{name "n", args <struct with NaN>}, then an unknown field on the request.
  const nanSpec = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6e, 0x1a, nan.length]), nan]);
  const withNan = Buffer.concat([Buffer.from([0x12, nanSpec.length]), nanSpec]);
  const unknown = Buffer.concat([whole, Buffer.from([0x28, 0x01])]);
  for (const bytes of [unknown]) {
    const decoded = decodeScheduleRequest(bytes);
    t.false(decoded.instances[1] instanceof RawArgsSpec);
    t.deepEqual(inputsOf(decoded), inputsOf(fromBinary(ScheduleRequestSchema, bytes)));
  }
  for (const bytes of [withNan, whole.subarray(0, whole.length - 2)]) {
    const expected = t.throws(() => inputsOf(fromBinary(ScheduleRequestSchema, bytes)));
    t.throws(() => inputsOf(decodeScheduleRequest(bytes)), { message: expected?.message });
  }
});
