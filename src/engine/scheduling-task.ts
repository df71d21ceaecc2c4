import { ErrorCode, invalid, PartituraError, quote } from "../domain/errors.ts";
import {
  DEFAULT_HISTORY_LIMIT,
  MAX_ARGS_BYTES,
  MAX_DURATION_MS,
  MAX_HISTORY_LIMIT,
  MAX_PARTITIONS,
} from "../domain/limits.ts";
import type { ExecutionMode, FailureMode, MisfirePolicy, ScheduleSpec, TaskRecord } from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import { type RetryPolicyInput, retryPolicy } from "../domain/retry.ts";
import { checkSchedule, checkScheduleShape } from "../domain/schedule.ts";

/** Lease duration when unset. */
export const DEFAULT_LEASE_MS = 60_000;
/** Misfire grace when unset. */
export const DEFAULT_MISFIRE_GRACE_MS = 1_000;

/** A task as a client asked for it: undefined means "the default" (or, for enabled, "keep"). */
export interface TaskInput {
  readonly name: string;
  readonly dynamic: boolean;
  readonly schedule: ScheduleSpec | undefined;
  /** 0 means 1. */
  readonly partitionCount: number;
  readonly executionMode: ExecutionMode | undefined;
  readonly failureMode: FailureMode | undefined;
  readonly leaseMs: number | undefined;
  readonly misfirePolicy: MisfirePolicy | undefined;
  readonly misfireGraceMs: number | undefined;
  readonly defaultArgs: Uint8Array;
  /** Unset on a new task means true; on an existing task it keeps the stored value. */
  readonly enabled: boolean | undefined;
  /** Undefined: no retry policy (failure_mode alone decides). */
  readonly retry?: RetryPolicyInput | undefined;
  /** Recent runs each instance keeps; undefined means DEFAULT_HISTORY_LIMIT. */
  readonly historyLimit?: number | undefined;
}

/**
 * Validates a task and applies every default. `existing` is the stored task of the same name,
 * if any (its `enabled` is kept when the input leaves it unset). Throws INVALID_ARGUMENT
 * naming the field (`task.<field>`) and the rule.
 */
export function resolveTask(input: TaskInput, existing: TaskRecord | undefined, now: number): TaskRecord {
  checkName("task.name", input.name);
  if (input.schedule !== undefined) {
    // A redeploy of a task whose bounded schedule has ended (same schedule) is not refused.
    const check = sameSchedule(existing?.schedule, input.schedule) ? checkScheduleShape : checkSchedule;
    check("task.schedule", input.schedule, now);
  } else if (!input.dynamic) throw invalid("task.schedule", "is required for a static task");

  const partitionCount = input.partitionCount === 0 ? 1 : input.partitionCount;
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
    throw invalid("task.partition_count", `must be at most ${MAX_PARTITIONS}`);
  }
  if (!input.dynamic && partitionCount !== 1) {
    throw invalid(
      "task.partition_count",
      "must be 0 or 1 for a static task (only dynamic tasks are partitioned)",
    );
  }

  const executionMode = input.executionMode ?? "at_least_once";
  const failureMode = input.failureMode ?? "none";
  if (executionMode === "at_most_once" && failureMode !== "none") {
    throw invalid(
      "task.failure_mode",
      "must be FAILURE_MODE_NONE (or unset) with EXECUTION_MODE_AT_MOST_ONCE: a delivered slot is never retried",
    );
  }
  const leaseMs = checkDuration("task.lease_duration", input.leaseMs ?? DEFAULT_LEASE_MS);
  const misfireGraceMs = checkDuration(
    "task.misfire_grace",
    input.misfireGraceMs ?? DEFAULT_MISFIRE_GRACE_MS,
  );
  checkArgs("task.default_args", input.defaultArgs);
  const retry = input.retry && resolveRetry(input.retry, executionMode, failureMode);
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 0 || historyLimit > MAX_HISTORY_LIMIT) {
    throw invalid("task.history_limit", `must be 0 (no history, counters only) to ${MAX_HISTORY_LIMIT}`);
  }

  return {
    name: input.name,
    dynamic: input.dynamic,
    schedule: input.schedule,
    partitionCount,
    executionMode,
    failureMode,
    leaseMs,
    misfirePolicy: input.misfirePolicy ?? "catch_up",
    misfireGraceMs,
    defaultArgs: input.defaultArgs,
    enabled: input.enabled ?? existing?.enabled ?? true,
    historyLimit,
    ...(retry === undefined ? {} : { retry }),
  };
}

/** The task's retry policy with its defaults; refused where no failure could be retried. */
function resolveRetry(input: RetryPolicyInput, executionMode: ExecutionMode, failureMode: FailureMode) {
  if (executionMode === "at_most_once") {
    throw invalid(
      "task.retry_policy",
      "applies to EXECUTION_MODE_AT_LEAST_ONCE tasks only: an at-most-once slot is never delivered twice",
    );
  }
  if (failureMode === "commit") {
    throw invalid(
      "task.retry_policy",
      "cannot be set with FAILURE_MODE_COMMIT, which treats every failure as a success",
    );
  }
  return retryPolicy("task.retry_policy", input);
}

/**
 * Throws FAILED_PRECONDITION when replacing `existing` by `next` would orphan instances:
 * a static/dynamic flip or a changed partition count while instances exist.
 */
export function checkReplaceable(existing: TaskRecord, next: TaskRecord, hasInstances: boolean): void {
  if (!hasInstances) return;
  if (existing.dynamic !== next.dynamic) {
    throw new PartituraError(
      ErrorCode.FailedPrecondition,
      `task.dynamic: task ${quote(next.name)} has instances, so it cannot change between static and dynamic; delete the task first`,
    );
  }
  if (existing.partitionCount !== next.partitionCount) {
    throw new PartituraError(
      ErrorCode.FailedPrecondition,
      `task.partition_count: task ${quote(next.name)} has instances placed in ${existing.partitionCount} partition(s); it cannot change to ${next.partitionCount} while they exist`,
    );
  }
}

/** Throws INVALID_ARGUMENT unless encoded args fit the size limit. */
export function checkArgs(field: string, args: Uint8Array): void {
  if (args.byteLength > MAX_ARGS_BYTES) {
    throw invalid(field, `must be at most ${MAX_ARGS_BYTES} bytes encoded (got ${args.byteLength})`);
  }
}

function checkDuration(field: string, ms: number): number {
  if (!Number.isInteger(ms) || ms < 1) throw invalid(field, "must be positive (at least 1 ms)");
  if (ms > MAX_DURATION_MS) throw invalid(field, `must be at most ${MAX_DURATION_MS} ms (7 days)`);
  return ms;
}

/**
 * True when two schedules are the same (so a repeated PutTask keeps the due time); a changed
 * jitter, bound or max_runs is a change, so it applies to the pending slot at once (a changed
 * max_runs counts afresh from the first slot after now).
 */
export function sameSchedule(a: ScheduleSpec | undefined, b: ScheduleSpec | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.jitterMs !== b.jitterMs || a.startAtMs !== b.startAtMs || a.endAtMs !== b.endAtMs) return false;
  if (a.maxRuns !== b.maxRuns) return false;
  switch (a.kind) {
    case "cron":
      return b.kind === "cron" && a.cron === b.cron && a.timezone === b.timezone;
    case "interval":
      return b.kind === "interval" && a.intervalMs === b.intervalMs;
    case "at":
      return b.kind === "at" && a.atMs === b.atMs;
  }
}
