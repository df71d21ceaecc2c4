import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { InstanceSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  type ScheduleRequest,
  ScheduleResponseSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { invalid } from "../domain/errors.ts";
import { MAX_REPLY_BYTES } from "../domain/limits.ts";
import type { InstanceRecord, ScheduleSpec } from "../domain/model.ts";
import type { UpsertResult } from "../store/store.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import { outcomeToProto } from "./convert-outcome.ts";
import { DEFAULT_TIMEZONE } from "./convert-schedule.ts";
import {
  delimitedSize,
  durationFieldSize,
  stringSize,
  tagOf,
  timestampFieldSize,
  uintSize,
  varintSize,
  writeDuration,
  writeHeader,
  writeString,
  writeTimestamp,
  writeUint,
} from "./convert-wire.ts";
import { type Encoded, encoded } from "./encoded.ts";

/*
 * ScheduleResponse written by hand: a Schedule batch answers every instance it stored, and
 * protobuf-es needed a message tree per instance. The bytes are those protobuf-es writes for
 * instanceToProto without args (test/server-convert-schedule.test.ts).
 *
 * The echo leaves the args out: the client sent them, and 10,000 instances of 450 bytes made
 * a 5.3 MB reply that a stock client (4 MiB receive limit) refused for a batch that had been
 * stored. What is left is bounded by the request: decodeScheduleRequest refuses, before
 * anything is stored, a request whose echo could pass MAX_REPLY_BYTES. The one part of the
 * echo the request does not bound is a LOCKED instance's stored schedule ("as it was left");
 * in the rare reply that would pass the bound because of them, LOCKED instances are echoed
 * without schedule and partition_key.
 */

const RESP = ScheduleResponseSchema.field;
const INSTANCES = tagOf(RESP.instances);
const OUTCOMES = tagOf(RESP.outcomes);
const I = InstanceSchema.field;
const TASK = tagOf(I.task);
const NAME = tagOf(I.name);
const PARTITION = tagOf(I.partition);
const SCHEDULE = tagOf(I.schedule);
const NEXT_RUN_AT = tagOf(I.nextRunAt);
const LOCKED_UNTIL = tagOf(I.lockedUntil);
const ATTEMPT = tagOf(I.attempt);
const CREATED_AT = tagOf(I.createdAt);
const PARTITION_KEY = tagOf(I.partitionKey);
const CRON = tagOf(ScheduleSchema.field.cron);
const INTERVAL = tagOf(ScheduleSchema.field.interval);
const AT = tagOf(ScheduleSchema.field.at);
const TIMEZONE = tagOf(ScheduleSchema.field.timezone);

/** The fields this writer handles; `args` is left out on purpose (see above). */
export const scheduleResponseCoverage: readonly MessageCoverage[] = [
  covers(ScheduleResponseSchema, ["instances", "outcomes"]),
  covers(
    InstanceSchema,
    [
      "task",
      "name",
      "partition",
      "schedule",
      "nextRunAt",
      "lockedUntil",
      "attempt",
      "createdAt",
      "partitionKey",
    ],
    ["args"],
  ),
  covers(ScheduleSchema, ["cron", "interval", "at", "timezone"]),
  covers(DurationSchema, ["seconds", "nanos"]),
  covers(TimestampSchema, ["seconds", "nanos"]),
];

/** The encoded ScheduleResponse of a Schedule call's results. */
export function encodeScheduleResponse(
  results: readonly UpsertResult[],
): Encoded<typeof ScheduleResponseSchema> {
  let sizes = instanceSizes(results, false);
  let trimLocked = false;
  if (sizes.total > MAX_REPLY_BYTES) {
    trimLocked = true;
    sizes = instanceSizes(results, true);
  }
  const out = Buffer.allocUnsafe(sizes.total);
  let pos = 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i] as UpsertResult;
    pos = writeHeader(out, pos, INSTANCES, sizes.each[i] as number);
    pos = writeInstance(out, pos, result.instance, trimLocked && result.outcome === "locked");
  }
  // Outcomes are packed: one byte each (1 to 3).
  if (results.length > 0) {
    pos = writeHeader(out, pos, OUTCOMES, results.length);
    for (const result of results) out[pos++] = outcomeToProto(result.outcome);
  }
  return encoded(ScheduleResponseSchema, out);
}

function instanceSizes(results: readonly UpsertResult[], trimLocked: boolean) {
  const each = new Array<number>(results.length);
  let total = results.length > 0 ? delimitedSize(OUTCOMES, results.length) : 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i] as UpsertResult;
    const size = instanceSize(result.instance, trimLocked && result.outcome === "locked");
    each[i] = size;
    total += delimitedSize(INSTANCES, size);
  }
  return { each, total };
}

/** Bytes of an Instance message (without its own tag and length). */
function instanceSize(r: InstanceRecord, trim: boolean): number {
  return (
    stringSize(TASK, r.task) +
    stringSize(NAME, r.name) +
    uintSize(PARTITION, r.partition) +
    (trim ? 0 : delimitedSize(SCHEDULE, scheduleSize(r.schedule))) +
    timestampFieldSize(NEXT_RUN_AT, r.nextRunAt) +
    (r.lockedUntil !== 0 ? timestampFieldSize(LOCKED_UNTIL, r.lockedUntil) : 0) +
    uintSize(ATTEMPT, r.attempt) +
    timestampFieldSize(CREATED_AT, r.createdAt) +
    (trim ? 0 : stringSize(PARTITION_KEY, r.partitionKey))
  );
}

function writeInstance(out: Buffer, pos: number, r: InstanceRecord, trim: boolean): number {
  pos = writeString(out, pos, TASK, r.task);
  pos = writeString(out, pos, NAME, r.name);
  pos = writeUint(out, pos, PARTITION, r.partition);
  if (!trim) {
    pos = writeHeader(out, pos, SCHEDULE, scheduleSize(r.schedule));
    pos = writeSchedule(out, pos, r.schedule);
  }
  pos = writeTimestamp(out, pos, NEXT_RUN_AT, r.nextRunAt);
  if (r.lockedUntil !== 0) pos = writeTimestamp(out, pos, LOCKED_UNTIL, r.lockedUntil);
  pos = writeUint(out, pos, ATTEMPT, r.attempt);
  pos = writeTimestamp(out, pos, CREATED_AT, r.createdAt);
  if (!trim) pos = writeString(out, pos, PARTITION_KEY, r.partitionKey);
  return pos;
}

/** A Schedule as scheduleToProto builds it: the timezone only with a cron. */
function scheduleSize(spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      return stringSize(CRON, spec.cron) + stringSize(TIMEZONE, spec.timezone);
    case "interval":
      return durationFieldSize(INTERVAL, spec.intervalMs);
    case "at":
      return timestampFieldSize(AT, spec.atMs);
  }
}

function writeSchedule(out: Buffer, pos: number, spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      pos = writeString(out, pos, CRON, spec.cron);
      return writeString(out, pos, TIMEZONE, spec.timezone);
    case "interval":
      return writeDuration(out, pos, INTERVAL, spec.intervalMs);
    case "at":
      return writeTimestamp(out, pos, AT, spec.atMs);
  }
}

/** The most bytes a Timestamp or Duration field takes: tag, length, 10 + 5 byte varints. */
const TIME_FIELD_MAX = 2 + 1 + 10 + 1 + 5;
/** The most bytes a varint field of 32 bits takes. */
const UINT_FIELD_MAX = 1 + 5;
/*
 * An instance scheduled without a schedule takes its task's, which a stored task bounds: a
 * cron of at most 256 characters (ASCII once valid) and an IANA zone name (under 64).
 */
const STORED_SCHEDULE_MAX = 3 + 2 + 256 + 2 + 64;

/**
 * Refuses (INVALID_ARGUMENT, before anything is stored) a Schedule request whose reply could
 * pass MAX_REPLY_BYTES: the echo of each instance is bounded by what the request carries.
 */
export function checkScheduleReplySize(request: ScheduleRequest): void {
  const task = stringSize(TASK, request.task);
  let total = request.instances.length > 0 ? delimitedSize(OUTCOMES, request.instances.length) : 0;
  for (const spec of request.instances) {
    const schedule = spec.schedule;
    let scheduleBytes: number;
    if (schedule?.kind.case === "cron") {
      const inner =
        stringSize(CRON, schedule.kind.value) + stringSize(TIMEZONE, schedule.timezone || DEFAULT_TIMEZONE);
      scheduleBytes = delimitedSize(SCHEDULE, inner);
    } else if (schedule === undefined || schedule.kind.case === undefined) {
      scheduleBytes = STORED_SCHEDULE_MAX;
    } else {
      scheduleBytes = TIME_FIELD_MAX + 2;
    }
    const size =
      task +
      stringSize(NAME, spec.name) +
      UINT_FIELD_MAX +
      scheduleBytes +
      3 * TIME_FIELD_MAX +
      UINT_FIELD_MAX +
      stringSize(PARTITION_KEY, spec.partitionKey);
    total += varintSize(INSTANCES) + varintSize(size) + size;
  }
  if (total > MAX_REPLY_BYTES) {
    throw invalid(
      "instances",
      `the reply would pass ${MAX_REPLY_BYTES} bytes (a stock client's receive limit); send fewer instances per call`,
    );
  }
}
