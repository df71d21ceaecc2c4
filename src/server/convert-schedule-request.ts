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
import { checkScheduleReplySize } from "./convert-schedule-response.ts";
import { tagOf, UNUSUAL, type Unusual, WireReader } from "./convert-wire.ts";

/*
 * ScheduleRequest read by hand, keeping each instance's args as the Struct bytes the client
 * sent: protobuf-es decoded them to JSON, and the server encoded that JSON again to store it.
 * The bytes are walked once to check they are a well-formed Struct (strict UTF-8, finite
 * numbers, exactly one kind per Value, at most MAX_ARGS_DEPTH levels), so what is stored
 * decodes for every worker to the JSON protobuf-es would have produced. Anything unusual
 * (unknown fields, repeated message fields, negative numbers, NaN, deep nesting, truncation)
 * goes to protobuf-es whole, which then decodes it or refuses it exactly as before; args it
 * decodes are checked by argsToBytes, which names the offending field (NaN, depth).
 */

const REQ = ScheduleRequestSchema.field;
const TASK = tagOf(REQ.task);
const INSTANCES = tagOf(REQ.instances);
const MODE = tagOf(REQ.mode);
const SPEC = InstanceSpecSchema.field;
const NAME = tagOf(SPEC.name);
const SCHEDULE = tagOf(SPEC.schedule);
const ARGS = tagOf(SPEC.args);
const PARTITION_KEY = tagOf(SPEC.partitionKey);
const SCH = ScheduleSchema.field;
const CRON = tagOf(SCH.cron);
const INTERVAL = tagOf(SCH.interval);
const AT = tagOf(SCH.at);
const TIMEZONE = tagOf(SCH.timezone);
// Struct is map<string, Value> fields = 1; a map entry is always key = 1, value = 2.
const STRUCT_FIELDS = tagOf(StructSchema.field.fields);
const ENTRY_KEY = 0x0a;
const ENTRY_VALUE = 0x12;
const V = ValueSchema.field;
const NULL_VALUE = tagOf(V.nullValue);
const NUMBER_VALUE = tagOf(V.numberValue);
const STRING_VALUE = tagOf(V.stringValue);
const BOOL_VALUE = tagOf(V.boolValue);
const STRUCT_VALUE = tagOf(V.structValue);
const LIST_VALUE = tagOf(V.listValue);
const LIST_VALUES = tagOf(ListValueSchema.field.values);

/** The fields this reader handles (checked against the descriptors by a test). */
export const scheduleRequestCoverage: readonly MessageCoverage[] = [
  covers(ScheduleRequestSchema, ["task", "instances", "mode"]),
  covers(InstanceSpecSchema, ["name", "schedule", "args", "partitionKey"]),
  covers(ScheduleSchema, ["cron", "interval", "at", "timezone"]),
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
  const request = fast === UNUSUAL ? fromBinary(ScheduleRequestSchema, bytes) : fast;
  checkScheduleReplySize(request);
  return request;
}

function readRequest(r: WireReader): ScheduleRequest | Unusual {
  const end = r.buf.length;
  let task = "";
  let mode = 0;
  const instances: InstanceSpec[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === TASK) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      task = text;
    } else if (tag === INSTANCES) {
      const specEnd = r.delimited(end);
      if (specEnd === UNUSUAL) return UNUSUAL;
      const spec = readSpec(r, specEnd);
      if (spec === UNUSUAL) return UNUSUAL;
      instances.push(spec);
    } else if (tag === MODE) {
      const value = r.varint(end);
      if (value === UNUSUAL || value > 0x7fffffff) return UNUSUAL;
      mode = value;
    } else {
      return UNUSUAL;
    }
  }
  return { $typeName: "partitura.v1.ScheduleRequest", task, instances, mode: mode as ScheduleMode };
}

function readSpec(r: WireReader, end: number): RawArgsSpec | Unusual {
  const spec = new RawArgsSpec();
  let sawSchedule = false;
  let sawArgs = false;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === NAME || tag === PARTITION_KEY) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      if (tag === NAME) spec.name = text;
      else spec.partitionKey = text;
    } else if (tag === SCHEDULE && !sawSchedule) {
      sawSchedule = true;
      const scheduleEnd = r.delimited(end);
      if (scheduleEnd === UNUSUAL) return UNUSUAL;
      const schedule = readSchedule(r, scheduleEnd);
      if (schedule === UNUSUAL) return UNUSUAL;
      spec.schedule = schedule;
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
  return spec;
}

function readSchedule(r: WireReader, end: number): Schedule | Unusual {
  let kind: Schedule["kind"] = { case: undefined };
  let timezone = "";
  while (r.pos < end) {
    const tag = r.tag(end);
    // One kind only: a second one (or a repeated message field, which would merge) is unusual.
    if (tag !== TIMEZONE && kind.case !== undefined) return UNUSUAL;
    if (tag === CRON) {
      const cron = r.string(end);
      if (cron === UNUSUAL) return UNUSUAL;
      kind = { case: "cron", value: cron };
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
    } else if (tag === TIMEZONE) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      timezone = text;
    } else {
      return UNUSUAL;
    }
  }
  return { $typeName: "partitura.v1.Schedule", kind, timezone };
}

/**
 * Whether buf[pos, end) is a Struct this reader vouches for: map entries of key and Value,
 * `level` containers deep (the args Struct itself is level 1).
 */
function checkStruct(r: WireReader, end: number, level: number): boolean {
  if (level > MAX_ARGS_DEPTH) return false;
  while (r.pos < end) {
    if (r.tag(end) !== STRUCT_FIELDS) return false;
    const entryEnd = r.delimited(end);
    if (entryEnd === UNUSUAL) return false;
    let sawValue = false;
    while (r.pos < entryEnd) {
      const tag = r.tag(entryEnd);
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
  const tag = r.tag(end);
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
        if (r.tag(listEnd) !== LIST_VALUES) return false;
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
