import type { ScheduleResponse } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { InstanceRecord, ScheduleSpec } from "../domain/model.ts";
import type { UpsertResult } from "../store/store.ts";
import { outcomeToProto } from "./convert-instance.ts";
import { delimitedSize, varintSize, writeHeader, writeVarint } from "./convert-wire.ts";

/*
 * ScheduleResponse written by hand: a Schedule batch answers every instance it stored, and
 * protobuf-es needed a message tree per instance plus the args decoded to JSON and encoded
 * again. Here the stored Struct bytes are copied as they are, and the bytes are those
 * protobuf-es writes for instanceToProto (test/server-convert-schedule.test.ts).
 */

/** The encoded ScheduleResponse of a Schedule call's results. */
export function encodeScheduleResponse(results: readonly UpsertResult[]): ScheduleResponse {
  const sizes = new Array<number>(results.length);
  let total = 0;
  for (let i = 0; i < results.length; i++) {
    const size = instanceSize((results[i] as UpsertResult).instance);
    sizes[i] = size;
    total += delimitedSize(size);
  }
  // Outcomes are packed: one byte each (1 to 3).
  if (results.length > 0) total += delimitedSize(results.length);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < results.length; i++) {
    pos = writeHeader(out, pos, 1, sizes[i] as number);
    pos = writeInstance(out, pos, (results[i] as UpsertResult).instance);
  }
  if (results.length > 0) {
    pos = writeHeader(out, pos, 2, results.length);
    for (const result of results) out[pos++] = outcomeToProto(result.outcome);
  }
  // bind.ts passes a Buffer through its response serializer untouched.
  return out as unknown as ScheduleResponse;
}

/** Bytes of an Instance message (without its own tag and length). */
function instanceSize(r: InstanceRecord): number {
  return (
    stringSize(r.task) +
    stringSize(r.name) +
    uintSize(r.partition) +
    delimitedSize(scheduleSize(r.schedule)) +
    (r.args.length > 0 ? delimitedSize(r.args.length) : 0) +
    delimitedSize(timestampSize(r.nextRunAt)) +
    (r.lockedUntil !== 0 ? delimitedSize(timestampSize(r.lockedUntil)) : 0) +
    uintSize(r.attempt) +
    delimitedSize(timestampSize(r.createdAt)) +
    (r.partitionKey.length > 0 ? stringSize(r.partitionKey) : 0)
  );
}

function writeInstance(out: Buffer, pos: number, r: InstanceRecord): number {
  pos = writeString(out, pos, 1, r.task);
  pos = writeString(out, pos, 2, r.name);
  pos = writeUint(out, pos, 3, r.partition);
  pos = writeHeader(out, pos, 4, scheduleSize(r.schedule));
  pos = writeSchedule(out, pos, r.schedule);
  if (r.args.length > 0) {
    pos = writeHeader(out, pos, 5, r.args.length);
    out.set(r.args, pos);
    pos += r.args.length;
  }
  pos = writeTimestamp(out, pos, 6, r.nextRunAt);
  if (r.lockedUntil !== 0) pos = writeTimestamp(out, pos, 7, r.lockedUntil);
  pos = writeUint(out, pos, 8, r.attempt);
  pos = writeTimestamp(out, pos, 9, r.createdAt);
  if (r.partitionKey.length > 0) pos = writeString(out, pos, 10, r.partitionKey);
  return pos;
}

/** A Schedule as scheduleToProto builds it: the timezone only with a cron. */
function scheduleSize(spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      return stringSize(spec.cron) + stringSize(spec.timezone);
    case "interval":
      return delimitedSize(durationSize(spec.intervalMs));
    case "at":
      return delimitedSize(timestampSize(spec.atMs));
  }
}

function writeSchedule(out: Buffer, pos: number, spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      pos = writeString(out, pos, 1, spec.cron);
      return writeString(out, pos, 4, spec.timezone);
    case "interval": {
      const { seconds, nanos } = durationParts(spec.intervalMs);
      pos = writeHeader(out, pos, 2, durationSize(spec.intervalMs));
      return writeSecondsNanos(out, pos, seconds, nanos);
    }
    case "at":
      return writeTimestamp(out, pos, 3, spec.atMs);
  }
}

/** Seconds and nanos as protobuf-es timestampFromMs splits them (nanos never negative). */
function timestampParts(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Seconds and nanos as protobuf-es durationFromMs splits them (both carry the sign). */
function durationParts(ms: number): { seconds: number; nanos: number } {
  const sign = ms < 0 ? -1 : 1;
  const abs = Math.abs(ms);
  const seconds = Math.floor(abs / 1000);
  const nanos = (abs - seconds * 1000) * 1_000_000;
  return { seconds: seconds * sign, nanos: nanos === 0 ? 0 : nanos * sign };
}

function secondsNanosSize(seconds: number, nanos: number): number {
  return (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

function timestampSize(ms: number): number {
  const { seconds, nanos } = timestampParts(ms);
  return secondsNanosSize(seconds, nanos);
}

function durationSize(ms: number): number {
  const { seconds, nanos } = durationParts(ms);
  return secondsNanosSize(seconds, nanos);
}

function writeTimestamp(out: Buffer, pos: number, field: number, ms: number): number {
  const { seconds, nanos } = timestampParts(ms);
  pos = writeHeader(out, pos, field, secondsNanosSize(seconds, nanos));
  return writeSecondsNanos(out, pos, seconds, nanos);
}

function writeSecondsNanos(out: Buffer, pos: number, seconds: number, nanos: number): number {
  if (seconds !== 0) {
    out[pos++] = 0x08;
    pos = writeVarint(out, pos, seconds);
  }
  if (nanos !== 0) {
    out[pos++] = 0x10;
    pos = writeVarint(out, pos, nanos);
  }
  return pos;
}

/** A proto3 string field; empty strings are not written. */
function stringSize(value: string): number {
  return value.length === 0 ? 0 : delimitedSize(Buffer.byteLength(value));
}

function writeString(out: Buffer, pos: number, field: number, value: string): number {
  if (value.length === 0) return pos;
  pos = writeHeader(out, pos, field, Buffer.byteLength(value));
  return pos + out.write(value, pos, "utf8");
}

/** A proto3 uint32 field; 0 is not written. */
function uintSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function writeUint(out: Buffer, pos: number, field: number, value: number): number {
  if (value === 0) return pos;
  out[pos++] = field << 3;
  return writeVarint(out, pos, value);
}
