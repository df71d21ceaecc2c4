import { create } from "@bufbuild/protobuf";
import {
  ExecutionMode as ExecutionModeProto,
  FailureMode as FailureModeProto,
  MisfirePolicy as MisfirePolicyProto,
  OnExhausted as OnExhaustedProto,
  type RetryPolicy as RetryPolicyProto,
  RetryPolicySchema,
  type Task,
  TaskSchema,
} from "../../gen/ts/partitura/v1/task_pb.ts";
import { invalid } from "../domain/errors.ts";
import { DEFAULT_HISTORY_LIMIT } from "../domain/limits.ts";
import type {
  ExecutionMode,
  FailureMode,
  MisfirePolicy,
  OnExhausted,
  RetryPolicy,
  TaskRecord,
} from "../domain/model.ts";
import type { RetryPolicyInput } from "../domain/retry.ts";
import type { TaskInput } from "../engine/scheduling-task.ts";
import { argsToBytes, bytesToArgs } from "./convert-args.ts";
import { scheduleFromProto, scheduleToProto } from "./convert-schedule.ts";
import { durationToMs, msToDuration } from "./convert-time.ts";

/*
 * Enum value 0 (*_UNSPECIFIED) means "the default", which the scheduling layer applies; so it
 * maps to undefined here. A number outside the enum (a newer client) is refused, never guessed.
 */

const executionModes = new Map<number, ExecutionMode>([
  [ExecutionModeProto.AT_LEAST_ONCE, "at_least_once"],
  [ExecutionModeProto.AT_MOST_ONCE, "at_most_once"],
]);
const failureModes = new Map<number, FailureMode>([
  [FailureModeProto.NONE, "none"],
  [FailureModeProto.UNLOCK, "unlock"],
  [FailureModeProto.COMMIT, "commit"],
]);
const misfirePolicies = new Map<number, MisfirePolicy>([
  [MisfirePolicyProto.CATCH_UP, "catch_up"],
  [MisfirePolicyProto.FAST_FORWARD, "fast_forward"],
  [MisfirePolicyProto.SKIP, "skip"],
]);

const onExhaustedValues = new Map<number, OnExhausted>([
  [OnExhaustedProto.CONTINUE, "continue"],
  [OnExhaustedProto.PAUSE, "pause"],
  [OnExhaustedProto.DEAD_LETTER, "dead_letter"],
]);

function fromEnum<T>(field: string, values: Map<number, T>, value: number): T | undefined {
  if (value === 0) return undefined;
  const mapped = values.get(value);
  if (mapped === undefined) throw invalid(field, `${value} is not a known value`);
  return mapped;
}

function toEnum<T>(values: Map<number, T>, value: T): number {
  for (const [number, mapped] of values) if (mapped === value) return number;
  return 0;
}

/** A PutTask request's task as a TaskInput; INVALID_ARGUMENT when it is missing or malformed. */
export function taskInputFromProto(task: Task | undefined): TaskInput {
  if (task === undefined) throw invalid("task", "is required");
  return {
    name: task.name,
    dynamic: task.dynamic,
    schedule: scheduleFromProto("task.schedule", task.schedule),
    partitionCount: task.partitionCount,
    executionMode: fromEnum("task.execution_mode", executionModes, task.executionMode),
    failureMode: fromEnum("task.failure_mode", failureModes, task.failureMode),
    leaseMs: task.leaseDuration && durationToMs("task.lease_duration", task.leaseDuration),
    misfirePolicy: fromEnum("task.misfire_policy", misfirePolicies, task.misfirePolicy),
    misfireGraceMs: task.misfireGrace && durationToMs("task.misfire_grace", task.misfireGrace),
    defaultArgs: argsToBytes("task.default_args", task.defaultArgs),
    enabled: task.enabled,
    retry: task.retryPolicy && retryFromProto("task.retry_policy", task.retryPolicy),
    historyLimit: task.historyLimit,
  };
}

function retryFromProto(field: string, policy: RetryPolicyProto): RetryPolicyInput {
  return {
    maxAttempts: policy.maxAttempts,
    initialIntervalMs:
      policy.initialInterval && durationToMs(`${field}.initial_interval`, policy.initialInterval),
    backoffCoefficient: policy.backoffCoefficient,
    maxIntervalMs: policy.maxInterval && durationToMs(`${field}.max_interval`, policy.maxInterval),
    jitterMs: policy.jitter && durationToMs(`${field}.jitter`, policy.jitter),
    onExhausted: fromEnum(`${field}.on_exhausted`, onExhaustedValues, policy.onExhausted) ?? "continue",
  };
}

function retryToProto(policy: RetryPolicy): RetryPolicyProto {
  return create(RetryPolicySchema, {
    maxAttempts: policy.maxAttempts,
    initialInterval: msToDuration(policy.initialIntervalMs),
    backoffCoefficient: policy.backoffCoefficient,
    maxInterval: msToDuration(policy.maxIntervalMs),
    jitter: policy.jitterMs === 0 ? undefined : msToDuration(policy.jitterMs),
    onExhausted: toEnum(onExhaustedValues, policy.onExhausted),
  });
}

/** A stored task as the wire Task, every default spelled out. */
export function taskToProto(task: TaskRecord): Task {
  return create(TaskSchema, {
    name: task.name,
    dynamic: task.dynamic,
    schedule: task.schedule && scheduleToProto(task.schedule),
    partitionCount: task.partitionCount,
    executionMode: toEnum(executionModes, task.executionMode),
    failureMode: toEnum(failureModes, task.failureMode),
    leaseDuration: msToDuration(task.leaseMs),
    misfirePolicy: toEnum(misfirePolicies, task.misfirePolicy),
    misfireGrace: msToDuration(task.misfireGraceMs),
    defaultArgs: bytesToArgs(task.defaultArgs),
    enabled: task.enabled,
    retryPolicy: task.retry && retryToProto(task.retry),
    historyLimit: task.historyLimit ?? DEFAULT_HISTORY_LIMIT,
  });
}
