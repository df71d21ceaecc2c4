import { create } from "@bufbuild/protobuf";
import { type Schedule, ScheduleSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { invalid } from "../domain/errors.ts";
import type { ScheduleSpec } from "../domain/model.ts";
import { durationToMs, msToDuration, msToTimestamp, timestampToMs } from "./convert-time.ts";

/** The zone a cron is read in when the request leaves `timezone` empty. */
export const DEFAULT_TIMEZONE = "UTC";

/**
 * A wire Schedule as a ScheduleSpec; undefined when the field is unset. A Schedule message
 * with none of cron, interval or at set is refused naming `field`. Validity (cron syntax,
 * zone, interval length) is checked by the domain, not here.
 */
export function scheduleFromProto(field: string, schedule: Schedule | undefined): ScheduleSpec | undefined {
  if (schedule === undefined) return undefined;
  let spec = kindFromProto(field, schedule);
  // Jitter 0 is none, and none is never stored: an un-jittered schedule stays byte for byte.
  const jitterMs = schedule.jitter === undefined ? 0 : durationToMs(`${field}.jitter`, schedule.jitter);
  if (jitterMs !== 0) spec = { ...spec, jitterMs };
  // Unset bounds are never stored either. A start at the epoch bounds nothing, so it is none;
  // an end is kept whatever it is, so an end before any slot is refused, not dropped.
  if (schedule.startAt !== undefined) {
    const startAtMs = timestampToMs(`${field}.start_at`, schedule.startAt);
    if (startAtMs !== 0) spec = { ...spec, startAtMs };
  }
  if (schedule.endAt !== undefined)
    spec = { ...spec, endAtMs: timestampToMs(`${field}.end_at`, schedule.endAt) };
  // 0 is no limit, never stored; the domain checks the rest (checkMaxRuns).
  if (schedule.maxRuns !== 0) spec = { ...spec, maxRuns: schedule.maxRuns };
  return spec;
}

function kindFromProto(field: string, schedule: Schedule): ScheduleSpec {
  switch (schedule.kind.case) {
    case "cron":
      return { kind: "cron", cron: schedule.kind.value, timezone: schedule.timezone || DEFAULT_TIMEZONE };
    case "interval":
      return { kind: "interval", intervalMs: durationToMs(`${field}.interval`, schedule.kind.value) };
    case "at":
      return { kind: "at", atMs: timestampToMs(`${field}.at`, schedule.kind.value) };
    default:
      throw invalid(field, "must set one of cron, interval or at");
  }
}

/**
 * A ScheduleSpec as a wire Schedule. Only a task's schedule has max_runs: an instance's was
 * turned into its end_at when it was scheduled, so its max_runs reads 0.
 */
export function scheduleToProto(spec: ScheduleSpec): Schedule {
  const schedule = kindToProto(spec);
  if (spec.jitterMs !== undefined) schedule.jitter = msToDuration(spec.jitterMs);
  if (spec.startAtMs !== undefined) schedule.startAt = msToTimestamp(spec.startAtMs);
  if (spec.endAtMs !== undefined) schedule.endAt = msToTimestamp(spec.endAtMs);
  if (spec.maxRuns !== undefined) schedule.maxRuns = spec.maxRuns;
  return schedule;
}

function kindToProto(spec: ScheduleSpec): Schedule {
  switch (spec.kind) {
    case "cron":
      return create(ScheduleSchema, { kind: { case: "cron", value: spec.cron }, timezone: spec.timezone });
    case "interval":
      return create(ScheduleSchema, { kind: { case: "interval", value: msToDuration(spec.intervalMs) } });
    case "at":
      return create(ScheduleSchema, { kind: { case: "at", value: msToTimestamp(spec.atMs) } });
  }
}
