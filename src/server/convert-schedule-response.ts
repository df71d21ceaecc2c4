import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { InstanceSchema, InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  type ScheduleRequest,
  ScheduleResponseSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ScheduleSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { invalid } from "../domain/errors.ts";
import { MAX_CRON_LENGTH, MAX_REPLY_BYTES, MAX_TIMEZONE_LENGTH } from "../domain/limits.ts";
import type { InstanceRecord, ScheduleSpec } from "../domain/model.ts";
import type { UpsertResult } from "../store/store.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import { outcomeToProto } from "./convert-outcome.ts";
import { DEFAULT_TIMEZONE } from "./convert-schedule.ts";
import {
  delimitedSize,
  durationFieldSize,
  stringSize,
  tagByte,
  timestampFieldSize,
  uintSize,
  utf8Length,
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
const INSTANCES = tagByte(RESP.instances);
const OUTCOMES = tagByte(RESP.outcomes);
const I = InstanceSchema.field;
const TASK = tagByte(I.task);
const NAME = tagByte(I.name);
const PARTITION = tagByte(I.partition);
const SCHEDULE = tagByte(I.schedule);
const NEXT_RUN_AT = tagByte(I.nextRunAt);
const LOCKED_UNTIL = tagByte(I.lockedUntil);
const ATTEMPT = tagByte(I.attempt);
const CREATED_AT = tagByte(I.createdAt);
const PARTITION_KEY = tagByte(I.partitionKey);
const STATE = tagByte(I.state);
const CRON = tagByte(ScheduleSchema.field.cron);
const INTERVAL = tagByte(ScheduleSchema.field.interval);
const AT = tagByte(ScheduleSchema.field.at);
const TIMEZONE = tagByte(ScheduleSchema.field.timezone);
const JITTER = tagByte(ScheduleSchema.field.jitter);
const START_AT = tagByte(ScheduleSchema.field.startAt);
const END_AT = tagByte(ScheduleSchema.field.endAt);

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
      "state",
    ],
    // The pause note and time are stored, not sent, so the request cannot bound their echo
    // (a note is up to 500 bytes an instance); the state says a re-Schedule kept a pause, and
    // GetInstance shows the rest.
    // Nor are the run counters, history, next slots and a pending trigger or backfill: a
    // Schedule reply echoes what was scheduled; GetInstance and ListInstances show how it runs.
    ["args", "pauseNote", "pausedAt", "runs", "failures", "lastOutcome", "nextSlots", "history", "manualRun"],
  ),
  // An instance's schedule has no max_runs: it was turned into end_at when it was scheduled.
  covers(ScheduleSchema, ["cron", "interval", "at", "timezone", "jitter", "startAt", "endAt"], ["maxRuns"]),
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
  let total = results.length > 0 ? delimitedSize(results.length) : 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i] as UpsertResult;
    const size = instanceSize(result.instance, trimLocked && result.outcome === "locked");
    each[i] = size;
    total += delimitedSize(size);
  }
  return { each, total };
}

/** The state field: a tag byte and a one-byte enum value. */
const STATE_FIELD_BYTES = 2;

/** Bytes of an Instance message (without its own tag and length). */
function instanceSize(r: InstanceRecord, trim: boolean): number {
  return (
    stringSize(utf8Length(r.task)) +
    stringSize(utf8Length(r.name)) +
    uintSize(r.partition) +
    (trim ? 0 : delimitedSize(scheduleSize(r.schedule))) +
    timestampFieldSize(r.nextRunAt) +
    (r.lockedUntil !== 0 ? timestampFieldSize(r.lockedUntil) : 0) +
    uintSize(r.attempt) +
    timestampFieldSize(r.createdAt) +
    (trim ? 0 : stringSize(utf8Length(r.partitionKey))) +
    STATE_FIELD_BYTES
  );
}

function writeInstance(out: Buffer, pos: number, r: InstanceRecord, trim: boolean): number {
  pos = writeString(out, pos, TASK, r.task, utf8Length(r.task));
  pos = writeString(out, pos, NAME, r.name, utf8Length(r.name));
  pos = writeUint(out, pos, PARTITION, r.partition);
  if (!trim) {
    pos = writeHeader(out, pos, SCHEDULE, scheduleSize(r.schedule));
    pos = writeSchedule(out, pos, r.schedule);
  }
  pos = writeTimestamp(out, pos, NEXT_RUN_AT, r.nextRunAt);
  if (r.lockedUntil !== 0) pos = writeTimestamp(out, pos, LOCKED_UNTIL, r.lockedUntil);
  pos = writeUint(out, pos, ATTEMPT, r.attempt);
  pos = writeTimestamp(out, pos, CREATED_AT, r.createdAt);
  if (!trim) pos = writeString(out, pos, PARTITION_KEY, r.partitionKey, utf8Length(r.partitionKey));
  out[pos++] = STATE;
  out[pos++] = r.paused === undefined ? InstanceState.ACTIVE : InstanceState.PAUSED;
  return pos;
}

/** A Schedule as scheduleToProto builds it: the timezone only with a cron; jitter and bounds when set. */
function scheduleSize(spec: ScheduleSpec): number {
  return (
    kindSize(spec) +
    (spec.jitterMs === undefined ? 0 : durationFieldSize(spec.jitterMs)) +
    (spec.startAtMs === undefined ? 0 : timestampFieldSize(spec.startAtMs)) +
    (spec.endAtMs === undefined ? 0 : timestampFieldSize(spec.endAtMs))
  );
}

function kindSize(spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      return stringSize(utf8Length(spec.cron)) + stringSize(utf8Length(spec.timezone));
    case "interval":
      return durationFieldSize(spec.intervalMs);
    case "at":
      return timestampFieldSize(spec.atMs);
  }
}

function writeSchedule(out: Buffer, pos: number, spec: ScheduleSpec): number {
  // Field-number order, as protobuf-es writes: kind (1-4), jitter (5), start_at (6), end_at (7).
  pos = writeKind(out, pos, spec);
  if (spec.jitterMs !== undefined) pos = writeDuration(out, pos, JITTER, spec.jitterMs);
  if (spec.startAtMs !== undefined) pos = writeTimestamp(out, pos, START_AT, spec.startAtMs);
  return spec.endAtMs === undefined ? pos : writeTimestamp(out, pos, END_AT, spec.endAtMs);
}

function writeKind(out: Buffer, pos: number, spec: ScheduleSpec): number {
  switch (spec.kind) {
    case "cron":
      pos = writeString(out, pos, CRON, spec.cron, utf8Length(spec.cron));
      return writeString(out, pos, TIMEZONE, spec.timezone, utf8Length(spec.timezone));
    case "interval":
      return writeDuration(out, pos, INTERVAL, spec.intervalMs);
    case "at":
      return writeTimestamp(out, pos, AT, spec.atMs);
  }
}

/*
 * The reply bound, from what the request carries. The request reader computes it while it
 * parses (byte lengths are on the wire); checkScheduleReplySize computes the same from a
 * decoded request, for requests protobuf-es read.
 */

/** The most bytes a Timestamp or Duration field takes: tag, length, 10 + 5 byte varints. */
const TIME_FIELD_MAX = 2 + 1 + 10 + 1 + 5;
/** The most bytes a varint field of 32 bits takes. */
const UINT_FIELD_MAX = 1 + 5;
/*
 * An instance scheduled without a schedule takes its task's, which a stored task bounds: a
 * cron of at most 256 characters (ASCII once valid) and an IANA zone name (under 64).
 */
const STORED_SCHEDULE_MAX = 3 + 2 + MAX_CRON_LENGTH + 2 + MAX_TIMEZONE_LENGTH;
/** Echo bytes of the schedule field of an instance sent without a schedule (or kind). */
export const ECHO_UNSET_SCHEDULE = STORED_SCHEDULE_MAX;
/**
 * Echo bytes a jitter adds to a schedule field: its Duration field, and a byte the schedule's
 * own length prefix may grow by.
 */
export const ECHO_JITTER = TIME_FIELD_MAX + 1;
/** Echo bytes a start_at or an end_at adds to a schedule field, as a jitter does. */
export const ECHO_BOUND = TIME_FIELD_MAX + 1;
/**
 * Echo bytes a task's default schedule adds, past what the decoder assumed, to each instance
 * sent without a schedule: its jitter and bounds, max_runs as the end_at it becomes (the
 * decoder cannot know the task's).
 */
export function echoDefaultExtra(spec: ScheduleSpec | undefined): number {
  if (spec === undefined) return 0;
  return (
    (spec.jitterMs === undefined ? 0 : ECHO_JITTER) +
    (spec.startAtMs === undefined ? 0 : ECHO_BOUND) +
    // The instance's end_at: the task's, or the one its max_runs becomes.
    (spec.endAtMs === undefined && spec.maxRuns === undefined ? 0 : ECHO_BOUND)
  );
}

/** Echo bytes of an interval or at schedule field. */
export const ECHO_TIME_SCHEDULE = TIME_FIELD_MAX + 2;
const DEFAULT_TIMEZONE_BYTES = utf8Length(DEFAULT_TIMEZONE);

/** Echo bytes of a cron schedule field whose cron and timezone take these bytes (0: default zone). */
export function echoCronSchedule(cronBytes: number, timezoneBytes: number): number {
  return delimitedSize(
    stringSize(cronBytes) + stringSize(timezoneBytes === 0 ? DEFAULT_TIMEZONE_BYTES : timezoneBytes),
  );
}

/** The most reply bytes one instance's echo (tag and length included) takes. */
export function echoInstance(
  taskField: number,
  nameBytes: number,
  schedule: number,
  keyBytes: number,
): number {
  const size =
    taskField +
    stringSize(nameBytes) +
    UINT_FIELD_MAX +
    schedule +
    3 * TIME_FIELD_MAX +
    UINT_FIELD_MAX +
    stringSize(keyBytes) +
    STATE_FIELD_BYTES;
  return 1 + varintSize(size) + size;
}

/** Refuses (INVALID_ARGUMENT) a reply of `count` instances whose echoes take `echoes` bytes. */
export function checkReplyBound(count: number, echoes: number): void {
  const total = (count > 0 ? delimitedSize(count) : 0) + echoes;
  if (total > MAX_REPLY_BYTES) {
    throw invalid(
      "instances",
      `the reply would pass ${MAX_REPLY_BYTES} bytes (a stock client's receive limit); send fewer instances per call`,
    );
  }
}

/**
 * Refuses (INVALID_ARGUMENT, before anything is stored) a Schedule request whose reply could
 * pass MAX_REPLY_BYTES: the echo of each instance is bounded by what the request carries.
 * `unsetExtra` is added for each instance sent without a schedule: echoDefaultExtra once the
 * task is known to give them a jittered or bounded default (which the decoder cannot know).
 */
export function checkScheduleReplySize(request: ScheduleRequest, unsetExtra = 0): void {
  const task = stringSize(utf8Length(request.task));
  let echoes = 0;
  for (const spec of request.instances) {
    const schedule = spec.schedule;
    let scheduleBytes: number;
    if (schedule?.kind.case === "cron") {
      scheduleBytes = echoCronSchedule(utf8Length(schedule.kind.value), utf8Length(schedule.timezone));
    } else if (schedule === undefined || schedule.kind.case === undefined) {
      scheduleBytes = ECHO_UNSET_SCHEDULE + (schedule === undefined ? unsetExtra : 0);
    } else {
      scheduleBytes = ECHO_TIME_SCHEDULE;
    }
    if (schedule?.jitter !== undefined) scheduleBytes += ECHO_JITTER;
    if (schedule?.startAt !== undefined) scheduleBytes += ECHO_BOUND;
    // max_runs is echoed as the end_at it becomes.
    if (schedule?.endAt !== undefined || (schedule?.maxRuns ?? 0) !== 0) scheduleBytes += ECHO_BOUND;
    echoes += echoInstance(task, utf8Length(spec.name), scheduleBytes, utf8Length(spec.partitionKey));
  }
  checkReplyBound(request.instances.length, echoes);
}
