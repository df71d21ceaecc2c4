import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type {
  ExecutionMode,
  FailureMode,
  InstanceRecord,
  ManualRun,
  MisfirePolicy,
  PauseState,
  RetryPolicy,
  ScheduleSpec,
  TaskRecord,
} from "../../domain/model.ts";

/** One row of `tasks`, as better-sqlite3 returns it. */
export interface TaskRow {
  name: string;
  dynamic: number;
  schedule: string | null;
  partition_count: number;
  execution_mode: string;
  failure_mode: string;
  lease_ms: number;
  misfire_policy: string;
  misfire_grace_ms: number;
  default_args: Uint8Array;
  enabled: number;
  /** JSON of the RetryPolicy; NULL for none (schema 3). */
  retry_policy: string | null;
  /** NULL: the default (schema 3). */
  history_limit: number | null;
}

/** One row of `instances` (without the generated `ready`), as better-sqlite3 returns it. */
export interface InstanceRow {
  task: string;
  partition: number;
  name: string;
  partition_key: string;
  schedule: string;
  args: Uint8Array;
  next_run_at: number;
  locked_until: number;
  version: number;
  incarnation: number;
  attempt: number;
  created_at: number;
  partition_count: number;
  lease_owner: string;
  /** NULL while active (schema 2). */
  paused_at: number | null;
  pause_note: string | null;
  /** 1 when the pause is a dead letter, NULL otherwise (schema 3). */
  dead_lettered: number | null;
  /** JSON of the ManualRun (a trigger or backfill); NULL when never triggered (schema 4). */
  manual: string | null;
}

/** The columns of InstanceRow in table order, for SELECT lists and INSERTs. */
export const INSTANCE_COLUMNS =
  "task, partition, name, partition_key, schedule, args, next_run_at, locked_until, version, " +
  "incarnation, attempt, created_at, partition_count, lease_owner, paused_at, pause_note, dead_lettered, " +
  "manual";

/** Encodes a schedule as JSON: small, readable with the sqlite3 shell, and versionless. */
export function encodeSchedule(spec: ScheduleSpec): string {
  return JSON.stringify(spec);
}

/** Decodes a stored schedule; a row this build cannot read is INTERNAL, never a guess. */
export function decodeSchedule(text: string): ScheduleSpec {
  const value: unknown = JSON.parse(text);
  if (typeof value === "object" && value !== null && "kind" in value) {
    const kind = value.kind;
    if (kind === "cron" || kind === "interval" || kind === "at") return value as ScheduleSpec;
  }
  throw new PartituraError(ErrorCode.Internal, `sqlite schedule: stored value ${text} is not a schedule`);
}

/*
 * better-sqlite3 hands BLOBs back as Buffers. Callers get a plain Uint8Array view (no copy),
 * so records compare equal whatever store produced them.
 */
function bytes(blob: Uint8Array): Uint8Array {
  return new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** A stored task row as the domain record. */
export function rowToTask(row: TaskRow): TaskRecord {
  return {
    name: row.name,
    dynamic: row.dynamic !== 0,
    schedule: row.schedule === null ? undefined : decodeSchedule(row.schedule),
    partitionCount: row.partition_count,
    executionMode: row.execution_mode as ExecutionMode,
    failureMode: row.failure_mode as FailureMode,
    leaseMs: row.lease_ms,
    misfirePolicy: row.misfire_policy as MisfirePolicy,
    misfireGraceMs: row.misfire_grace_ms,
    defaultArgs: bytes(row.default_args),
    enabled: row.enabled !== 0,
    ...(row.retry_policy === null ? {} : { retry: decodeRetry(row.retry_policy) }),
    ...(row.history_limit === null ? {} : { historyLimit: row.history_limit }),
  };
}

/** Decodes a stored retry policy; one this build cannot read is INTERNAL, never a guess. */
function decodeRetry(text: string): RetryPolicy {
  const value: unknown = JSON.parse(text);
  if (typeof value === "object" && value !== null && "maxAttempts" in value && "onExhausted" in value) {
    return value as RetryPolicy;
  }
  throw new PartituraError(
    ErrorCode.Internal,
    `sqlite retry_policy: stored value ${text} is not a retry policy`,
  );
}

/** A domain task as the row to write. */
export function taskToRow(task: TaskRecord): TaskRow {
  return {
    name: task.name,
    dynamic: task.dynamic ? 1 : 0,
    schedule: task.schedule === undefined ? null : encodeSchedule(task.schedule),
    partition_count: task.partitionCount,
    execution_mode: task.executionMode,
    failure_mode: task.failureMode,
    lease_ms: task.leaseMs,
    misfire_policy: task.misfirePolicy,
    misfire_grace_ms: task.misfireGraceMs,
    default_args: task.defaultArgs,
    enabled: task.enabled ? 1 : 0,
    retry_policy: task.retry === undefined ? null : JSON.stringify(task.retry),
    history_limit: task.historyLimit ?? null,
  };
}

/** A stored instance row as the domain record. */
export function rowToInstance(row: InstanceRow): InstanceRecord {
  return {
    task: row.task,
    partition: row.partition,
    name: row.name,
    partitionKey: row.partition_key,
    schedule: decodeSchedule(row.schedule),
    args: bytes(row.args),
    nextRunAt: row.next_run_at,
    lockedUntil: row.locked_until,
    version: row.version,
    incarnation: row.incarnation,
    attempt: row.attempt,
    createdAt: row.created_at,
    partitionCount: row.partition_count,
    leaseOwner: row.lease_owner,
    // Absent, not undefined, while active: records compare equal whatever store made them.
    ...(row.paused_at === null
      ? {}
      : { paused: pauseOf(row.paused_at, row.pause_note ?? "", row.dead_lettered) }),
    ...(row.manual === null ? {} : { manual: decodeManual(row.manual) }),
  };
}

/** Decodes a stored manual run; one this build cannot read is INTERNAL, never a guess. */
function decodeManual(text: string): ManualRun {
  const value: unknown = JSON.parse(text);
  if (typeof value === "object" && value !== null && "id" in value && "state" in value && "kind" in value) {
    return value as ManualRun;
  }
  throw new PartituraError(ErrorCode.Internal, `sqlite manual: stored value ${text} is not a manual run`);
}

function pauseOf(at: number, note: string, deadLettered: number | null): PauseState {
  return deadLettered === 1 ? { at, note, deadLettered: true } : { at, note };
}

/** A domain instance as the row to write. */
export function instanceToRow(record: InstanceRecord): InstanceRow {
  return {
    task: record.task,
    partition: record.partition,
    name: record.name,
    partition_key: record.partitionKey,
    schedule: encodeSchedule(record.schedule),
    args: record.args,
    next_run_at: record.nextRunAt,
    locked_until: record.lockedUntil,
    version: record.version,
    incarnation: record.incarnation,
    attempt: record.attempt,
    created_at: record.createdAt,
    partition_count: record.partitionCount,
    lease_owner: record.leaseOwner,
    paused_at: record.paused?.at ?? null,
    pause_note: record.paused?.note ?? null,
    dead_lettered: record.paused?.deadLettered ? 1 : null,
    manual: record.manual === undefined ? null : JSON.stringify(record.manual),
  };
}
