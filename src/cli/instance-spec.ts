import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { InstanceSpecSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import type { ScheduleSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { UsageError } from "./usage-error.ts";

/** An instance to schedule, as the Client takes it. */
export type InstanceSpecInit = MessageInitShape<typeof InstanceSpecSchema>;

/** The schedule and args of an InstanceSpec (everything but the name and partition key). */
export interface SpecFields {
  schedule?: MessageInitShape<typeof ScheduleSchema>;
  args?: JsonObject;
}

/** The schedule and args of one instance as text, from flags or from a CSV row. */
export interface SpecText {
  readonly cron?: string | undefined;
  readonly tz?: string | undefined;
  readonly every?: string | undefined;
  readonly at?: string | undefined;
  /** ISO-8601 instants: the schedule's start_at and end_at (with a cron or an interval). */
  readonly startAt?: string | undefined;
  readonly endAt?: string | undefined;
  /** A whole number of runs (Schedule.max_runs, with a cron or an interval). */
  readonly maxRuns?: string | undefined;
  readonly args?: string | undefined;
}

/**
 * The schedule and args fields of an InstanceSpec from text. `label(field)` names the field in
 * errors ("--cron" for flags, "people.csv:3: cron" for a file), so every message says where.
 */
export function specOf(text: SpecText, label: (field: string) => string): SpecFields {
  const given = [text.cron, text.every, text.at].filter((v) => v !== undefined && v !== "").length;
  if (given > 1)
    throw new UsageError(`${label("cron")}, ${label("every")}, ${label("at")}: give at most one`);
  return { ...boundsOf(text, label, scheduleOf(text, label)), ...argsOf(text.args, label) };
}

/*
 * The bounds (and max_runs) go onto the schedule given with them. Without one the instance
 * would take its task's default schedule, which the CLI cannot amend: refused here rather
 * than dropped. An `at` with bounds, or a max_runs past the server's bound, is left for the
 * server to refuse, with the rule.
 */
function boundsOf(text: SpecText, label: (field: string) => string, fields: SpecFields): SpecFields {
  const bounds = {
    ...instantOf(text.startAt, "start_at", "startAt", label),
    ...instantOf(text.endAt, "end_at", "endAt", label),
    ...runsOf(text.maxRuns, label),
  };
  if (Object.keys(bounds).length === 0) return fields;
  if (fields.schedule === undefined) {
    const given = [
      text.startAt ? label("start_at") : "",
      text.endAt ? label("end_at") : "",
      text.maxRuns ? label("max_runs") : "",
    ].filter(Boolean);
    throw new UsageError(`${given.join(", ")}: give with ${label("cron")} or ${label("every")}`);
  }
  return { schedule: { ...fields.schedule, ...bounds } };
}

function instantOf(
  text: string | undefined,
  field: "start_at" | "end_at",
  key: "startAt" | "endAt",
  label: (field: string) => string,
): Record<string, ReturnType<typeof timestampFromMs>> {
  if (text === undefined || text === "") return {};
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${label(field)}: "${text}" is not an ISO-8601 instant`);
  return { [key]: timestampFromMs(ms) };
}

function runsOf(text: string | undefined, label: (field: string) => string): { maxRuns?: number } {
  if (text === undefined || text === "") return {};
  const runs = Number(text);
  // 0 (no limit) is the default already; what a uint32 cannot carry is a usage error here.
  if (!/^[0-9]+$/.test(text) || runs > 0xffffffff)
    throw new UsageError(`${label("max_runs")}: must be a whole number of runs`);
  return runs === 0 ? {} : { maxRuns: runs };
}

function scheduleOf(text: SpecText, label: (field: string) => string): SpecFields {
  if (text.cron !== undefined && text.cron !== "") {
    return { schedule: { kind: { case: "cron", value: text.cron }, timezone: text.tz ?? "" } };
  }
  if (text.every !== undefined && text.every !== "") {
    const ms = Number(text.every);
    if (!Number.isFinite(ms) || ms < 1)
      throw new UsageError(`${label("every")}: must be a number of milliseconds, at least 1`);
    return { schedule: { kind: { case: "interval", value: durationFromMs(ms) } } };
  }
  if (text.at !== undefined && text.at !== "") {
    const ms = Date.parse(text.at);
    if (Number.isNaN(ms)) throw new UsageError(`${label("at")}: "${text.at}" is not an ISO-8601 instant`);
    return { schedule: { kind: { case: "at", value: timestampFromMs(ms) } } };
  }
  return {};
}

function argsOf(text: string | undefined, label: (field: string) => string): SpecFields {
  if (text === undefined || text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${label("args")}: must be a JSON object`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${label("args")}: must be a JSON object`);
  }
  return { args: parsed as JsonObject };
}
