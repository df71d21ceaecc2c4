import { fromBinary, type JsonObject } from "@bufbuild/protobuf";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import type { InstanceSpec } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  type ScheduleMode,
  type ScheduleRequest,
  ScheduleRequestSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { Schedule } from "../../gen/ts/partitura/v1/task_pb.ts";
import { bytesToArgs } from "./convert-args.ts";
import { readSecondsNanos, UNUSUAL, type Unusual, WireReader } from "./convert-wire.ts";

/*
 * ScheduleRequest read by hand, keeping each instance's args as the Struct bytes the client
 * sent: protobuf-es decoded them to JSON, and the server encoded that JSON again to store it.
 * The bytes are walked once to check they are a well-formed Struct (strict UTF-8, finite
 * numbers, exactly one kind per Value), so what is stored decodes for every worker to the
 * JSON protobuf-es would have produced. Anything unusual (unknown fields, repeated message
 * fields, negative numbers, NaN, deep nesting, truncation) goes to protobuf-es whole, which
 * then decodes or refuses it exactly as before.
 */

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

/** Structs nested deeper than this go to protobuf-es (its own limit is 100 messages). */
const MAX_DEPTH = 32;

/** The decoded ScheduleRequest, as protobuf-es would decode it but with args kept as bytes. */
export function decodeScheduleRequest(bytes: Buffer): ScheduleRequest {
  const fast = readRequest(new WireReader(bytes));
  return fast === UNUSUAL ? fromBinary(ScheduleRequestSchema, bytes) : fast;
}

function readRequest(r: WireReader): ScheduleRequest | Unusual {
  const end = r.buf.length;
  let task = "";
  let mode = 0;
  const instances: InstanceSpec[] = [];
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === 0x0a) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      task = text;
    } else if (tag === 0x12) {
      const specEnd = r.delimited(end);
      if (specEnd === UNUSUAL) return UNUSUAL;
      const spec = readSpec(r, specEnd);
      if (spec === UNUSUAL) return UNUSUAL;
      instances.push(spec);
    } else if (tag === 0x18) {
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
    const tag = r.buf[r.pos++];
    if (tag === 0x0a || tag === 0x22) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      if (tag === 0x0a) spec.name = text;
      else spec.partitionKey = text;
    } else if (tag === 0x12 && !sawSchedule) {
      sawSchedule = true;
      const scheduleEnd = r.delimited(end);
      if (scheduleEnd === UNUSUAL) return UNUSUAL;
      const schedule = readSchedule(r, scheduleEnd);
      if (schedule === UNUSUAL) return UNUSUAL;
      spec.schedule = schedule;
    } else if (tag === 0x1a && !sawArgs) {
      sawArgs = true;
      const argsEnd = r.delimited(end);
      if (argsEnd === UNUSUAL) return UNUSUAL;
      const start = r.pos;
      if (!checkStruct(r, argsEnd, 0)) return UNUSUAL;
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
    const tag = r.buf[r.pos++];
    // One kind only: a second one (or a repeated message field, which would merge) is unusual.
    if (tag !== 0x22 && kind.case !== undefined) return UNUSUAL;
    if (tag === 0x0a) {
      const cron = r.string(end);
      if (cron === UNUSUAL) return UNUSUAL;
      kind = { case: "cron", value: cron };
    } else if (tag === 0x12 || tag === 0x1a) {
      const messageEnd = r.delimited(end);
      if (messageEnd === UNUSUAL) return UNUSUAL;
      const parts = readSecondsNanos(r, messageEnd);
      if (parts === UNUSUAL) return UNUSUAL;
      kind =
        tag === 0x12
          ? {
              case: "interval",
              value: { $typeName: "google.protobuf.Duration", ...parts } satisfies Duration,
            }
          : { case: "at", value: { $typeName: "google.protobuf.Timestamp", ...parts } satisfies Timestamp };
    } else if (tag === 0x22) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      timezone = text;
    } else {
      return UNUSUAL;
    }
  }
  return { $typeName: "partitura.v1.Schedule", kind, timezone };
}

/** Whether buf[pos, end) is a Struct this reader vouches for: map entries of key and Value. */
function checkStruct(r: WireReader, end: number, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  while (r.pos < end) {
    if (r.buf[r.pos++] !== 0x0a) return false;
    const entryEnd = r.delimited(end);
    if (entryEnd === UNUSUAL) return false;
    let sawValue = false;
    while (r.pos < entryEnd) {
      const tag = r.buf[r.pos++];
      if (tag === 0x0a) {
        if (r.string(entryEnd) === UNUSUAL) return false;
      } else if (tag === 0x12 && !sawValue) {
        sawValue = true;
        const valueEnd = r.delimited(entryEnd);
        if (valueEnd === UNUSUAL || !checkValue(r, valueEnd, depth + 1)) return false;
      } else {
        return false;
      }
    }
    if (!sawValue) return false;
  }
  return true;
}

/** Whether buf[pos, end) is a Value with exactly one kind set, of a value JSON can hold. */
function checkValue(r: WireReader, end: number, depth: number): boolean {
  if (r.pos >= end) return false;
  const tag = r.buf[r.pos++];
  switch (tag) {
    case 0x08: // null_value: NULL_VALUE is 0
      if (r.varint(end) !== 0) return false;
      break;
    case 0x11: // number_value: a double; NaN and infinities have no JSON form
      if (r.pos + 8 > end || !Number.isFinite(r.buf.readDoubleLE(r.pos))) return false;
      r.pos += 8;
      break;
    case 0x1a: // string_value
      if (r.string(end) === UNUSUAL) return false;
      break;
    case 0x20: {
      // bool_value
      const value = r.varint(end);
      if (value !== 0 && value !== 1) return false;
      break;
    }
    case 0x2a: {
      // struct_value
      const structEnd = r.delimited(end);
      if (structEnd === UNUSUAL || !checkStruct(r, structEnd, depth + 1)) return false;
      break;
    }
    case 0x32: {
      // list_value: repeated Value values = 1
      const listEnd = r.delimited(end);
      if (listEnd === UNUSUAL || depth + 1 > MAX_DEPTH) return false;
      while (r.pos < listEnd) {
        if (r.buf[r.pos++] !== 0x0a) return false;
        const valueEnd = r.delimited(listEnd);
        if (valueEnd === UNUSUAL || !checkValue(r, valueEnd, depth + 1)) return false;
      }
      break;
    }
    default:
      return false;
  }
  return r.pos === end;
}
