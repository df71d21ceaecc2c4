import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import {
  type Duration,
  DurationSchema,
  ListValueSchema,
  StructSchema,
  type Timestamp,
  TimestampSchema,
  ValueSchema,
} from "@bufbuild/protobuf/wkt";
import { type InstanceSpec, InstanceSpecSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  type ScheduleMode,
  type ScheduleRequest,
  ScheduleRequestSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { type Schedule, ScheduleSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { MAX_ARGS_DEPTH } from "../domain/limits.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import { bytesToArgs } from "./convert-args.ts";
import {
  checkReplyBound,
  checkScheduleReplySize,
  ECHO_BOUND,
  ECHO_JITTER,
  ECHO_TIME_SCHEDULE,
  ECHO_UNSET_SCHEDULE,
  echoCronSchedule,
  echoInstance,
} from "./convert-schedule-response.ts";
import { stringSize, tagByte, UNUSUAL, type Unusual, utf8, WireReader } from "./convert-wire.ts";

/*
 * ScheduleRequest read by hand, keeping each instance's args as the Struct bytes the client
 * sent: protobuf-es decoded them to JSON, and the server encoded that JSON again to store it.
 * The bytes are walked once to check they are a well-formed Struct (strict UTF-8, finite
 * numbers, exactly one kind per Value, at most MAX_ARGS_DEPTH levels), so what is stored
 * decodes for every worker to the JSON protobuf-es would have produced. Anything unusual
 * (unknown fields, repeated message fields, negative numbers, NaN, deep nesting, truncation)
 * goes to protobuf-es whole, which then decodes it or refuses it exactly as before; args it
 * decodes are checked by argsToBytes, which names the offending field (NaN, depth).
 *
 * The same pass adds up the bound on the reply's echo (convert-schedule-response.ts) from the
 * byte lengths on the wire, so the bound costs no second walk over the instances.
 */

const REQ = ScheduleRequestSchema.field;
const TASK = tagByte(REQ.task);
const INSTANCES = tagByte(REQ.instances);
const MODE = tagByte(REQ.mode);
const SPEC = InstanceSpecSchema.field;
const NAME = tagByte(SPEC.name);
const SCHEDULE = tagByte(SPEC.schedule);
const ARGS = tagByte(SPEC.args);
const PARTITION_KEY = tagByte(SPEC.partitionKey);
const SCH = ScheduleSchema.field;
const CRON = tagByte(SCH.cron);
const INTERVAL = tagByte(SCH.interval);
const AT = tagByte(SCH.at);
const TIMEZONE = tagByte(SCH.timezone);
const JITTER = tagByte(SCH.jitter);
const START_AT = tagByte(SCH.startAt);
const END_AT = tagByte(SCH.endAt);
const MAX_RUNS = tagByte(SCH.maxRuns);
// Struct is map<string, Value> fields = 1; a map entry is always key = 1, value = 2.
const STRUCT_FIELDS = tagByte(StructSchema.field.fields);
const ENTRY_KEY = 0x0a;
const ENTRY_VALUE = 0x12;
const V = ValueSchema.field;
const NULL_VALUE = tagByte(V.nullValue);
const NUMBER_VALUE = tagByte(V.numberValue);
const STRING_VALUE = tagByte(V.stringValue);
const BOOL_VALUE = tagByte(V.boolValue);
const STRUCT_VALUE = tagByte(V.structValue);
const LIST_VALUE = tagByte(V.listValue);
const LIST_VALUES = tagByte(ListValueSchema.field.values);

/** The fields this reader handles (checked against the descriptors by a test). */
export const scheduleRequestCoverage: readonly MessageCoverage[] = [
  covers(ScheduleRequestSchema, ["task", "instances", "mode"]),
  covers(InstanceSpecSchema, ["name", "schedule", "args", "partitionKey"]),
  covers(ScheduleSchema, ["cron", "interval", "at", "timezone", "jitter", "startAt", "endAt", "maxRuns"]),
  covers(DurationSchema, ["seconds", "nanos"]),
  covers(TimestampSchema, ["seconds", "nanos"]),
  covers(StructSchema, ["fields"]),
  covers(ValueSchema, ["nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"]),
  covers(ListValueSchema, ["values"]),
];

/** An InstanceSpec whose args stay encoded; `args` decodes them for whoever asks. */
export class RawArgsSpec implements InstanceSpec {
  readonly $typeName = "partitura.v1.InstanceSpec";
  name = "";
  schedule: Schedule | undefined = undefined;
  partitionKey = "";
  /** The args field's Struct bytes as sent (empty when unset). */
  rawArgs: Uint8Array = EMPTY;

  get args(): JsonObject | undefined {
    return bytesToArgs(this.rawArgs);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The decoded ScheduleRequest, as protobuf-es would decode it but with args kept as bytes.
 * INVALID_ARGUMENT when its reply could exceed MAX_REPLY_BYTES (before anything is stored).
 */
export function decodeScheduleRequest(bytes: Buffer): ScheduleRequest {
  const fast = readRequest(new WireReader(bytes));
  if (fast !== UNUSUAL) return fast;
  const request = fromBinary(ScheduleRequestSchema, bytes);
  checkScheduleReplySize(request);
  return request;
}

/** Reads the request and checks its reply bound, or UNUSUAL. */
function readRequest(r: WireReader): ScheduleRequest | Unusual {
  const end = r.buf.length;
  let task = "";
  let taskField = 0;
  let mode = 0;
  const instances: InstanceSpec[] = [];
  let echoes = 0;
  // A task after an instance (any order is valid protobuf) makes the echoes summed so far wrong.
  let recount = false;
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === TASK) {
      const stop = r.delimited(end);
      if (stop === UNUSUAL) return UNUSUAL;
      const text = utf8(r.buf, r.pos, stop);
      if (text === UNUSUAL) return UNUSUAL;
      taskField = stringSize(stop - r.pos);
      r.pos = stop;
      task = text;
      if (instances.length > 0) recount = true;
    } else if (tag === INSTANCES) {
      const specEnd = r.delimited(end);
      if (specEnd === UNUSUAL) return UNUSUAL;
      const echo = readSpec(r, specEnd, instances, taskField);
      if (echo === UNUSUAL) return UNUSUAL;
      echoes += echo;
    } else if (tag === MODE) {
      const value = r.varint(end);
      if (value === UNUSUAL || value > 0x7fffffff) return UNUSUAL;
      mode = value;
    } else {
      return UNUSUAL;
    }
  }
  const request: ScheduleRequest = {
    $typeName: "partitura.v1.ScheduleRequest",
    task,
    instances,
    mode: mode as ScheduleMode,
  };
  if (recount) checkScheduleReplySize(request);
  else checkReplyBound(instances.length, echoes);
  return request;
}

/** Reads one InstanceSpec onto `instances`; answers the bound on its echo, or UNUSUAL. */
function readSpec(
  r: WireReader,
  end: number,
  instances: InstanceSpec[],
  taskField: number,
): number | Unusual {
  const spec = new RawArgsSpec();
  let nameBytes = 0;
  let keyBytes = 0;
  let scheduleEcho = ECHO_UNSET_SCHEDULE;
  let sawSchedule = false;
  let sawArgs = false;
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === NAME || tag === PARTITION_KEY) {
      const stop = r.delimited(end);
      if (stop === UNUSUAL) return UNUSUAL;
      const text = utf8(r.buf, r.pos, stop);
      if (text === UNUSUAL) return UNUSUAL;
      if (tag === NAME) {
        spec.name = text;
        nameBytes = stop - r.pos;
      } else {
        spec.partitionKey = text;
        keyBytes = stop - r.pos;
      }
      r.pos = stop;
    } else if (tag === SCHEDULE && !sawSchedule) {
      sawSchedule = true;
      const scheduleEnd = r.delimited(end);
      if (scheduleEnd === UNUSUAL) return UNUSUAL;
      const echo = readSchedule(r, scheduleEnd, spec);
      if (echo === UNUSUAL) return UNUSUAL;
      scheduleEcho = echo;
    } else if (tag === ARGS && !sawArgs) {
      sawArgs = true;
      const argsEnd = r.delimited(end);
      if (argsEnd === UNUSUAL) return UNUSUAL;
      const start = r.pos;
      if (!checkStruct(r, argsEnd, 1)) return UNUSUAL;
      spec.rawArgs = r.buf.subarray(start, argsEnd);
    } else {
      return UNUSUAL;
    }
  }
  instances.push(spec);
  return echoInstance(taskField, nameBytes, scheduleEcho, keyBytes);
}

/** Reads a Schedule into `spec`; answers the bound on its echo, or UNUSUAL. */
function readSchedule(r: WireReader, end: number, spec: RawArgsSpec): number | Unusual {
  let kind: Schedule["kind"] = { case: undefined };
  let timezone = "";
  let cronBytes = 0;
  let timezoneBytes = 0;
  let jitter: Duration | undefined;
  let startAt: Timestamp | undefined;
  let endAt: Timestamp | undefined;
  let maxRuns = 0;
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === MAX_RUNS) {
      // A uint32; a longer varint (which protobuf-es truncates) is unusual. The last one wins.
      const value = r.varint(end);
      if (value === UNUSUAL || value > 0xffffffff) return UNUSUAL;
      maxRuns = value;
      continue;
    }
    if (tag === JITTER || tag === START_AT || tag === END_AT) {
      // A repeated message field would merge: unusual, left to protobuf-es.
      const seen = tag === JITTER ? jitter : tag === START_AT ? startAt : endAt;
      if (seen !== undefined) return UNUSUAL;
      const messageEnd = r.delimited(end);
      if (messageEnd === UNUSUAL) return UNUSUAL;
      const parts = r.secondsNanos(messageEnd);
      if (parts === UNUSUAL) return UNUSUAL;
      if (tag === JITTER) jitter = { $typeName: "google.protobuf.Duration", ...parts };
      else if (tag === START_AT) startAt = { $typeName: "google.protobuf.Timestamp", ...parts };
      else endAt = { $typeName: "google.protobuf.Timestamp", ...parts };
      continue;
    }
    // One kind only: a second one (or a repeated message field, which would merge) is unusual.
    if (tag !== TIMEZONE && kind.case !== undefined) return UNUSUAL;
    if (tag === CRON || tag === TIMEZONE) {
      const stop = r.delimited(end);
      if (stop === UNUSUAL) return UNUSUAL;
      const text = utf8(r.buf, r.pos, stop);
      if (text === UNUSUAL) return UNUSUAL;
      if (tag === CRON) {
        kind = { case: "cron", value: text };
        cronBytes = stop - r.pos;
      } else {
        timezone = text;
        timezoneBytes = stop - r.pos;
      }
      r.pos = stop;
    } else if (tag === INTERVAL || tag === AT) {
      const messageEnd = r.delimited(end);
      if (messageEnd === UNUSUAL) return UNUSUAL;
      const parts = r.secondsNanos(messageEnd);
      if (parts === UNUSUAL) return UNUSUAL;
      kind =
        tag === INTERVAL
          ? {
              case: "interval",
              value: { $typeName: "google.protobuf.Duration", ...parts } satisfies Duration,
            }
          : { case: "at", value: { $typeName: "google.protobuf.Timestamp", ...parts } satisfies Timestamp };
    } else {
      return UNUSUAL;
    }
  }
  // Optional keys only when present, as protobuf-es leaves them (exactOptionalPropertyTypes).
  const schedule: Schedule = { $typeName: "partitura.v1.Schedule", kind, timezone, maxRuns };
  if (jitter !== undefined) schedule.jitter = jitter;
  if (startAt !== undefined) schedule.startAt = startAt;
  if (endAt !== undefined) schedule.endAt = endAt;
  spec.schedule = schedule;
  // max_runs is echoed as the end_at it becomes.
  const extra =
    (jitter === undefined ? 0 : ECHO_JITTER) +
    (startAt === undefined ? 0 : ECHO_BOUND) +
    (endAt === undefined && maxRuns === 0 ? 0 : ECHO_BOUND);
  if (kind.case === "cron") return echoCronSchedule(cronBytes, timezoneBytes) + extra;
  return (kind.case === undefined ? ECHO_UNSET_SCHEDULE : ECHO_TIME_SCHEDULE) + extra;
}

/**
 * Whether buf[pos, end) is a Struct this reader vouches for: map entries of key and Value,
 * `level` containers deep (the args Struct itself is level 1).
 */
function checkStruct(r: WireReader, end: number, level: number): boolean {
  if (level > MAX_ARGS_DEPTH) return false;
  while (r.pos < end) {
    if (r.buf[r.pos++] !== STRUCT_FIELDS) return false;
    const entryEnd = r.delimited(end);
    if (entryEnd === UNUSUAL) return false;
    let sawValue = false;
    while (r.pos < entryEnd) {
      const tag = r.buf[r.pos++];
      if (tag === ENTRY_KEY) {
        if (r.string(entryEnd) === UNUSUAL) return false;
      } else if (tag === ENTRY_VALUE && !sawValue) {
        sawValue = true;
        const valueEnd = r.delimited(entryEnd);
        if (valueEnd === UNUSUAL || !checkValue(r, valueEnd, level)) return false;
      } else {
        return false;
      }
    }
    if (!sawValue) return false;
  }
  return true;
}

/** Whether buf[pos, end) is a Value with exactly one kind set, of a value JSON can hold. */
function checkValue(r: WireReader, end: number, level: number): boolean {
  if (r.pos >= end) return false;
  const tag = r.buf[r.pos++];
  switch (tag) {
    case NULL_VALUE: // NULL_VALUE is 0
      if (r.varint(end) !== 0) return false;
      break;
    case NUMBER_VALUE: // a double; NaN and infinities have no JSON form
      if (r.pos + 8 > end || !Number.isFinite(r.buf.readDoubleLE(r.pos))) return false;
      r.pos += 8;
      break;
    case STRING_VALUE:
      if (r.string(end) === UNUSUAL) return false;
      break;
    case BOOL_VALUE: {
      const value = r.varint(end);
      if (value !== 0 && value !== 1) return false;
      break;
    }
    case STRUCT_VALUE: {
      const structEnd = r.delimited(end);
      if (structEnd === UNUSUAL || !checkStruct(r, structEnd, level + 1)) return false;
      break;
    }
    case LIST_VALUE: {
      const listEnd = r.delimited(end);
      if (listEnd === UNUSUAL || level + 1 > MAX_ARGS_DEPTH) return false;
      while (r.pos < listEnd) {
        if (r.buf[r.pos++] !== LIST_VALUES) return false;
        const valueEnd = r.delimited(listEnd);
        if (valueEnd === UNUSUAL || !checkValue(r, valueEnd, level + 1)) return false;
      }
      break;
    }
    default:
      return false;
  }
  return r.pos === end;
}
