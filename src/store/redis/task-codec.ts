import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { TaskRecord } from "../../domain/model.ts";

/*
 * Task definitions are few and read off the hot path, so they are JSON (readable with
 * redis-cli), with the default args as base64. Unlike instance records, size does not matter.
 */

/** The stored form of a task. */
export function encodeTask(task: TaskRecord): string {
  return JSON.stringify({ ...task, defaultArgs: Buffer.from(task.defaultArgs).toString("base64") });
}

/** Decodes a stored task; one this build cannot read is INTERNAL, never a guess. */
export function decodeTask(name: string, text: string): TaskRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    throw unreadable(name, thrown);
  }
  if (
    typeof value !== "object" ||
    value === null ||
    !("name" in value) ||
    value.name !== name ||
    !("defaultArgs" in value) ||
    typeof value.defaultArgs !== "string" ||
    !("partitionCount" in value) ||
    typeof value.partitionCount !== "number"
  ) {
    throw unreadable(name, undefined);
  }
  const stored = value as Omit<TaskRecord, "defaultArgs"> & { defaultArgs: string };
  return {
    ...stored,
    // JSON drops an undefined schedule (a dynamic task's); the record always has the key.
    schedule: stored.schedule ?? undefined,
    defaultArgs: new Uint8Array(Buffer.from(stored.defaultArgs, "base64")),
  };
}

function unreadable(name: string, cause: unknown): PartituraError {
  return new PartituraError(ErrorCode.Internal, `redis task record "${name}" is unreadable`, { cause });
}
