import { create, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import { ScheduleResponseSchema } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { InstanceRecord } from "../src/domain/model.ts";
import { instanceToProto, outcomeToProto } from "../src/server/convert-instance.ts";
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
  { outcome: "created", instance: { ...base, schedule: { kind: "interval", intervalMs: 90_061_001 }, nextRunAt: 0 } },
];

test("the schedule response is the bytes protobuf-es writes", (t) => {
  const expected = toBinary(
    ScheduleResponseSchema,
    create(ScheduleResponseSchema, {
      instances: results.map((r) => instanceToProto(r.instance)),
      outcomes: results.map((r) => outcomeToProto(r.outcome)),
    }),
  );
  t.deepEqual(Buffer.from(encodeScheduleResponse(results) as unknown as Buffer), Buffer.from(expected));
  t.is((encodeScheduleResponse([]) as unknown as Buffer).length, 0);
});
