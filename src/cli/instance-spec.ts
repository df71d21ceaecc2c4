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
  return { ...scheduleOf(text, label), ...argsOf(text.args, label) };
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
