import type { MessageInitShape } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import type { InstanceSpecSchema } from "../gen/ts/partitura/v1/instance_pb.ts";
import { type ScheduleRequest, ScheduleRequestSchema } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { decodeScheduleRequest, RawArgsSpec } from "../src/server/convert-schedule-request.ts";
import { checkScheduleReplySize } from "../src/server/convert-schedule-response.ts";

/*
 * The fast Schedule reader sums the reply bound while it parses, from byte lengths on the
 * wire; requests protobuf-es reads are checked from the decoded message. Both must refuse the
 * same requests: at the largest batch that fits, one instance more is refused on either path,
 * whatever the schedule kinds, non-ASCII names and field order.
 */

type SpecInit = MessageInitShape<typeof InstanceSpecSchema>;

const pad = "n".repeat(100);

/** Every kind of schedule the bound tells apart, round-robin. */
function specAt(i: number): SpecInit {
  const name = `${pad}-${i}`;
  switch (i % 6) {
    case 0:
      return { name, schedule: { kind: { case: "cron", value: "*/5 * * * *" }, timezone: "Europe/Berlin" } };
    case 1:
      return { name, schedule: { kind: { case: "cron", value: "0 3 * * *" } } };
    case 2:
      return { name, schedule: { kind: { case: "interval", value: durationFromMs(90_061_001) } } };
    case 3:
      return { name, schedule: { kind: { case: "at", value: timestampFromMs(Date.UTC(2027, 2, 28)) } } };
    case 4:
      return { name, args: { user: "ada" } };
    default:
      return {
        name: `zürich-名前-${pad}-${i}`,
        partitionKey: "tenant-é",
        schedule: { kind: { case: "cron", value: "*/5 * * * *" }, timezone: "Asia/Tokyo" },
      };
  }
}

function request(count: number, task = "mails"): ScheduleRequest {
  return create(ScheduleRequestSchema, {
    task,
    instances: Array.from({ length: count }, (_, i) => specAt(i)),
  });
}

function fits(count: number): boolean {
  try {
    checkScheduleReplySize(request(count));
    return true;
  } catch {
    return false;
  }
}

/** The largest batch whose reply bound fits, found on decoded messages (the protobuf-es path). */
function largestFitting(): number {
  let low = 1;
  let high = 1;
  while (fits(high)) high *= 2;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}

const limit = largestFitting();
const refused = { message: /^instances: the reply would pass/ };

test("at the bound: the fast reader takes the largest batch and refuses one instance more", (t) => {
  const atLimit = decodeScheduleRequest(Buffer.from(toBinary(ScheduleRequestSchema, request(limit))));
  t.is(atLimit.instances.length, limit);
  t.true(atLimit.instances[0] instanceof RawArgsSpec, "the fast path read it");
  t.throws(
    () => decodeScheduleRequest(Buffer.from(toBinary(ScheduleRequestSchema, request(limit + 1)))),
    refused,
  );
});

test("a task sent after the instances counts as much as one sent first", (t) => {
  const instancesThenTask = (count: number) =>
    Buffer.concat([
      toBinary(ScheduleRequestSchema, request(count, "")),
      toBinary(ScheduleRequestSchema, create(ScheduleRequestSchema, { task: "mails" })),
    ]);
  const atLimit = decodeScheduleRequest(instancesThenTask(limit));
  t.is(atLimit.task, "mails");
  t.true(atLimit.instances[0] instanceof RawArgsSpec, "the fast path read it");
  t.throws(() => decodeScheduleRequest(instancesThenTask(limit + 1)), refused);
});

test("requests protobuf-es reads (an unknown field) are bounded alike", (t) => {
  const withUnknown = (count: number) =>
    Buffer.concat([toBinary(ScheduleRequestSchema, request(count)), Buffer.from([0x28, 0x01])]);
  const atLimit = decodeScheduleRequest(withUnknown(limit));
  t.false(atLimit.instances[0] instanceof RawArgsSpec, "protobuf-es read it");
  t.is(atLimit.instances.length, limit);
  t.throws(() => decodeScheduleRequest(withUnknown(limit + 1)), refused);
});
