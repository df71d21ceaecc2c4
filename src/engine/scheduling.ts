import { withinEnd } from "../domain/bounds.ts";
import type { Clock } from "../domain/clock.ts";
import { ErrorCode, invalid, PartituraError, quote } from "../domain/errors.ts";
import { holdUntil } from "../domain/jitter.ts";
import { CRON_STEPS_PER_TURN, MAX_BATCH, MAX_READS_PER_PAGE } from "../domain/limits.ts";
import { RunLimits } from "../domain/max-runs.ts";
import {
  type InstanceDraft,
  type InstanceRecord,
  type InstanceState,
  type RunHistory,
  type ScheduleSpec,
  stateOf,
  type TaskRecord,
} from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import { checkSchedule, firstSlot } from "../domain/schedule.ts";
import { selectPartition } from "../domain/selector.ts";
import type { PauseOutcome, ResumeOutcome, Store, UpsertMode, UpsertResult } from "../store/store.ts";
import { indexedReadyAt } from "../store/transitions.ts";
import type { RetryObserver } from "./retries.ts";
import {
  type BackfillWindow,
  backfillInstances,
  type ManualRunResult,
  triggerInstances,
} from "./scheduling-manual.ts";
import { decodePageToken, encodePageToken, pageSize } from "./scheduling-paging.ts";
import {
  type DeadLetterOutcome,
  discardDeadLetters,
  type PauseTarget,
  pauseInstances,
  pausePartition,
  requeueDeadLetters,
  resumeInstances,
  resumePartition,
} from "./scheduling-pause.ts";
import { checkArgs, checkReplaceable, resolveTask, sameSchedule, type TaskInput } from "./scheduling-task.ts";

/*
 * Listing instances walks partitions in order; a task with many empty partitions would make
 * one page read thousands of them. Past this many store reads (a read is one partition, or a
 * short page of one) a page ends early (possibly short, even empty) with a token, which paging
 * clients handle anyway.
 */

/** One instance a client asks to schedule. */
export interface InstanceInput {
  readonly name: string;
  /** Undefined means the task's default schedule. */
  readonly schedule: ScheduleSpec | undefined;
  readonly args: Uint8Array;
  /** "" means: hash the name. */
  readonly partitionKey: string;
}

/** What SchedulingService needs. */
export interface SchedulingOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Told when a partition's earliest ready time may have become sooner. */
  readonly wake: (task: string, partition: number, readyAt: number) => void;
  /** Told when a task was created, changed or deleted. */
  readonly taskChanged: (name: string) => void;
  /** Told how many dead letters were requeued or discarded (metrics). */
  readonly retries?: RetryObserver;
}

/** A page of results and the token of the next one ("" on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

/**
 * The application logic of SchedulerService over the Store: defaults, validation, partition
 * selection, first slots, paging. Every method validates its whole request before it writes,
 * so a refused request changes nothing. Errors are PartituraError naming the field and rule.
 */
export class SchedulingService {
  constructor(private readonly options: SchedulingOptions) {}

  /**
   * Creates or replaces a task. A static task's one instance (named after the task, in
   * partition 0) is created with it; a repeated PutTask with the same schedule keeps its due
   * time, a changed schedule takes effect at once.
   */
  async putTask(input: TaskInput): Promise<TaskRecord> {
    const { store, clock } = this.options;
    const now = clock.now();
    checkName("task.name", input.name);
    const existing = await store.getTask(input.name);
    const task = resolveTask(input, existing, now);
    if (existing !== undefined) {
      const changesLayout =
        existing.dynamic !== task.dynamic || existing.partitionCount !== task.partitionCount;
      if (changesLayout) checkReplaceable(existing, task, await store.hasInstances(existing));
    }
    await store.putTask(task);
    if (!task.dynamic && task.schedule !== undefined) {
      // SAFE keeps the stored due time when the schedule is unchanged (it is sooner than or
      // equal to a fresh first slot); FORCE makes a changed schedule count from now.
      const unchanged = sameSchedule(existing?.schedule, task.schedule);
      // A static one-off whose instance is gone has run, and so has a bounded schedule with no
      // slot left before its end: a redeploy must not run either again. Nor one with max_runs:
      // its instance ran its runs (gone) or is counting them (kept as it is, end and all, so a
      // redeploy neither counts afresh nor runs past the N-th slot).
      const finite = task.schedule.kind === "at" || task.schedule.maxRuns !== undefined;
      const ranOnce =
        unchanged &&
        (finite || withinEnd(task.schedule, firstSlot(task.schedule, now)) === null) &&
        (await store.getInstance(task.name, 0, task.name)) === undefined;
      if (ranOnce || (unchanged && task.schedule.maxRuns !== undefined)) {
        this.options.taskChanged(task.name);
        return task;
      }
      const mode: UpsertMode = unchanged ? "safe" : "force";
      const draft = firstDraft(
        task.name,
        {
          name: task.name,
          partition: 0,
          partitionKey: "",
          schedule: task.schedule,
          args: new Uint8Array(0),
        },
        { now, field: "task.schedule", limits: new RunLimits() },
      );
      const results = await store.upsertInstances(task, [draft], mode, now);
      this.wakeFor(task.name, results);
    }
    this.options.taskChanged(task.name);
    return task;
  }

  /** The task named `name`; NOT_FOUND when there is none. */
  async getTask(name: string, field = "name"): Promise<TaskRecord> {
    checkName(field, name);
    const task = await this.options.store.getTask(name);
    if (task === undefined) {
      throw new PartituraError(ErrorCode.NotFound, `${field}: no task named ${quote(name)}`);
    }
    return task;
  }

  /** Tasks in name order. */
  async listTasks(requestedSize: number, pageToken: string): Promise<Page<TaskRecord>> {
    const size = pageSize(requestedSize);
    const start = decodePageToken("tasks", pageToken);
    const tasks = await this.options.store.listTasks(size + 1, start.after);
    if (tasks.length <= size) return { items: tasks, nextPageToken: "" };
    const items = tasks.slice(0, size);
    const last = items[items.length - 1]?.name;
    return { items, nextPageToken: encodePageToken("tasks", { partition: 0, after: last }) };
  }

  /** Deletes a task and its instances; NOT_FOUND when there is no such task. */
  async deleteTask(name: string): Promise<void> {
    checkName("name", name);
    const deleted = await this.options.store.deleteTask(name);
    if (!deleted) throw new PartituraError(ErrorCode.NotFound, `name: no task named ${quote(name)}`);
    this.options.taskChanged(name);
  }

  /**
   * Creates or updates instances of a dynamic task. The batch is validated whole first
   * (`checkTask` sees the task before anything is written); what only the write can tell
   * (SAFE on a locked instance) comes back per instance.
   */
  async schedule(
    taskName: string,
    inputs: readonly InstanceInput[],
    mode: UpsertMode,
    checkTask?: (task: TaskRecord) => void,
  ): Promise<UpsertResult[]> {
    const task = await this.getTask(taskName, "task");
    // What only the task tells (its default schedule's jitter in the reply bound): before any write.
    checkTask?.(task);
    if (!task.dynamic) {
      throw new PartituraError(
        ErrorCode.FailedPrecondition,
        `task: ${quote(task.name)} is static; its one instance is made by PutTask, Schedule is for dynamic tasks`,
      );
    }
    if (inputs.length > MAX_BATCH) throw invalid("instances", `must be at most ${MAX_BATCH} a call`);
    const now = this.options.clock.now();
    const limits = new RunLimits();
    const drafts: InstanceDraft[] = [];
    let turn = 0;
    for (const [i, input] of inputs.entries()) {
      drafts.push(this.draft(task, input, i, { now, field: `instances[${i}].schedule`, limits }));
      // Long cron walks for max_runs let other calls and streams run between them.
      if (limits.steps - turn >= CRON_STEPS_PER_TURN) {
        turn = limits.steps;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    checkUnique(drafts);
    if (drafts.length === 0) return [];
    const results = await this.options.store.upsertInstances(task, drafts, mode, now);
    this.wakeFor(task.name, results);
    return results;
  }

  /** Removes instances of a dynamic task at once; returns how many existed. */
  async unschedule(taskName: string, names: readonly string[], partitionKey: string): Promise<number> {
    const task = await this.getTask(taskName, "task");
    if (!task.dynamic) {
      throw new PartituraError(
        ErrorCode.FailedPrecondition,
        `task: ${quote(task.name)} is static; delete the task to remove its instance`,
      );
    }
    if (names.length > MAX_BATCH) throw invalid("names", `must be at most ${MAX_BATCH} a call`);
    if (partitionKey !== "") checkName("partition_key", partitionKey);
    const refs = names.map((name, i) => {
      checkName(`names[${i}]`, name);
      return { name, partition: selectPartition(partitionKey || name, task.partitionCount) };
    });
    if (refs.length === 0) return 0;
    return this.options.store.removeInstances(task.name, refs);
  }

  /** The instant requests are served at (the injected clock). */
  now(): number {
    return this.options.clock.now();
  }

  /**
   * One instance; NOT_FOUND when the task or the instance does not exist. `field` names the
   * request field that carries the instance name in refusals.
   */
  async getInstance(
    taskName: string,
    name: string,
    partitionKey: string,
    field = "name",
  ): Promise<InstanceRecord> {
    return this.instanceOf(await this.getTask(taskName, "task"), name, partitionKey, field);
  }

  /** As getInstance, for a task already read (so it is read once). */
  async instanceOf(
    task: TaskRecord,
    name: string,
    partitionKey: string,
    field = "name",
  ): Promise<InstanceRecord> {
    checkName(field, name);
    if (partitionKey !== "") checkName("partition_key", partitionKey);
    const partition = task.dynamic ? selectPartition(partitionKey || name, task.partitionCount) : 0;
    const instance = await this.options.store.getInstance(task.name, partition, name);
    if (instance === undefined) {
      throw new PartituraError(
        ErrorCode.NotFound,
        `${field}: task ${quote(task.name)} has no instance ${quote(name)}`,
      );
    }
    return instance;
  }

  /**
   * Instances of a task, partition by partition, each in the store's stable cursor order (by
   * name on SQLite and DynamoDB, hash order on Redis: see Store.listInstances), or of one
   * partition, optionally only those in `state` (a task's dead-letter list). A page may be
   * short before the end, even empty when filtered; only an empty token means the end.
   */
  async listInstances(
    taskName: string,
    partition: number | undefined,
    requestedSize: number,
    pageToken: string,
    state?: InstanceState,
  ): Promise<Page<InstanceRecord>> {
    const task = await this.getTask(taskName, "task");
    if (partition !== undefined && partition >= task.partitionCount) {
      throw invalid("partition", `must be below the task's partition_count ${task.partitionCount}`);
    }
    const scope = `${task.name}\u0000${partition ?? ""}${state === undefined ? "" : `\u0000${state}`}`;
    const size = pageSize(requestedSize);
    const start = decodePageToken(scope, pageToken);
    let current = partition ?? start.partition;
    // The token carries the store's own cursor within `current`, opaquely.
    let cursor = start.after;
    const last = partition ?? task.partitionCount - 1;
    if (current > last) throw invalid("page_token", "is not a token this server issued for this request");
    const items: InstanceRecord[] = [];
    for (let reads = 0; reads < MAX_READS_PER_PAGE && items.length < size; reads++) {
      const page = await this.options.store.listInstances({
        task: task.name,
        partition: current,
        limit: size - items.length,
        cursor,
      });
      if (state === undefined) items.push(...page.instances);
      else for (const instance of page.instances) if (stateOf(instance) === state) items.push(instance);
      cursor = page.cursor;
      if (cursor !== undefined) continue;
      if (current >= last) return { items, nextPageToken: "" };
      current++;
    }
    return { items, nextPageToken: encodePageToken(scope, { partition: current, after: cursor }) };
  }

  /**
   * Pauses instances (issue 14): never claimed until resumed; one outcome per name. A
   * re-Schedule keeps a paused instance paused; an Unschedule removes it, pause and all.
   */
  async pause(taskName: string, target: PauseTarget, note: string): Promise<PauseOutcome[]> {
    const task = await this.getTask(taskName, "task");
    return pauseInstances(this.options, task, target, note);
  }

  /** Pauses every active instance of one partition; how many it paused. */
  async pausePartition(taskName: string, partition: number, note: string): Promise<number> {
    const task = await this.getTask(taskName, "task");
    return pausePartition(this.options, task, partition, note);
  }

  /** Resumes every paused instance of one partition (dead letters stay); how many it resumed. */
  async resumePartition(taskName: string, partition: number, skipMissed: boolean): Promise<number> {
    const task = await this.getTask(taskName, "task");
    return resumePartition(this.options, task, partition, skipMissed);
  }

  /** Resumes paused instances at their stored slot (misfire policy) or, skipping, after now. */
  async resume(taskName: string, target: PauseTarget, skipMissed: boolean): Promise<ResumeOutcome[]> {
    const task = await this.getTask(taskName, "task");
    return resumeInstances(this.options, task, target, skipMissed);
  }

  /**
   * Runs instances once now, outside their schedule, without moving their next slot (issue
   * 14); one waiting for an execution in flight runs when that is settled. Idempotent by
   * `requestId` ("" makes one).
   */
  async trigger(taskName: string, target: PauseTarget, requestId: string): Promise<ManualRunResult> {
    const task = await this.getTask(taskName, "task");
    return triggerInstances(this.options, task, target, requestId);
  }

  /** Runs the slots of a past range of instances, oldest first, one at a time (issue 14). */
  async backfill(
    taskName: string,
    target: PauseTarget,
    window: BackfillWindow,
    requestId: string,
  ): Promise<ManualRunResult> {
    const task = await this.getTask(taskName, "task");
    return backfillInstances(this.options, task, target, window, requestId);
  }

  /**
   * The run counters and recent runs of stored instances of one task (issue 14), in order;
   * undefined for one that never ran.
   */
  async runsOf(
    taskName: string,
    instances: readonly Pick<InstanceRecord, "partition" | "name">[],
  ): Promise<(RunHistory | undefined)[]> {
    if (instances.length === 0) return [];
    return this.options.store.getRuns(taskName, instances);
  }

  /** Requeues dead letters: each runs its failed slot again, with a fresh retry budget. */
  async requeueDeadLetters(taskName: string, target: PauseTarget): Promise<DeadLetterOutcome[]> {
    const task = await this.getTask(taskName, "task");
    return requeueDeadLetters(this.options, task, target);
  }

  /** Discards dead letters: each moves on to its first slot after now; a one-off is removed. */
  async discardDeadLetters(taskName: string, target: PauseTarget): Promise<DeadLetterOutcome[]> {
    const task = await this.getTask(taskName, "task");
    return discardDeadLetters(this.options, task, target);
  }

  /** Validates one instance of a Schedule batch and turns it into a draft. */
  private draft(task: TaskRecord, input: InstanceInput, i: number, at: DraftTime): InstanceDraft {
    const field = `instances[${i}]`;
    const { now } = at;
    checkName(`${field}.name`, input.name);
    if (input.partitionKey !== "") checkName(`${field}.partition_key`, input.partitionKey);
    const schedule = input.schedule ?? task.schedule;
    if (schedule === undefined) {
      throw invalid(`${field}.schedule`, `is required: task ${quote(task.name)} has no default schedule`);
    }
    checkSchedule(`${field}.schedule`, schedule, now);
    checkArgs(`${field}.args`, input.args);
    return firstDraft(
      task.name,
      {
        name: input.name,
        partition: selectPartition(input.partitionKey || input.name, task.partitionCount),
        partitionKey: input.partitionKey,
        schedule,
        args: input.args,
      },
      at,
    );
  }

  /** Wakes each partition an upsert may have made due sooner, once, at its earliest time. */
  private wakeFor(task: string, results: readonly UpsertResult[]): void {
    const earliest = new Map<number, number>();
    for (const { outcome, instance } of results) {
      // A paused instance (kept paused by the upsert) is not due: nothing to wake for.
      const at = outcome === "locked" ? undefined : indexedReadyAt(instance);
      if (at === undefined) continue;
      const known = earliest.get(instance.partition);
      if (known === undefined || at < known) earliest.set(instance.partition, at);
    }
    for (const [partition, at] of earliest) this.options.wake(task, partition, at);
  }
}

/** When and under which call a draft is made: `limits` is shared by every draft of one call. */
interface DraftTime {
  readonly now: number;
  /** The schedule's field, for a refusal of its max_runs. */
  readonly field: string;
  readonly limits: RunLimits;
}

/**
 * A draft with its first slot from `now`, its max_runs turned into an end bound counted from
 * that slot (max-runs.ts), and that slot's jitter hold (holdUntil, the function every commit
 * of a next slot goes through too).
 */
function firstDraft(
  task: string,
  base: Omit<InstanceDraft, "nextRunAt" | "holdUntil">,
  at: DraftTime,
): InstanceDraft {
  const nextRunAt = firstSlot(base.schedule, at.now);
  const schedule = at.limits.bound(at.field, base.schedule, nextRunAt);
  // One literal, every key always present: see InstanceDraft.holdUntil.
  return {
    name: base.name,
    partition: base.partition,
    partitionKey: base.partitionKey,
    schedule,
    args: base.args,
    nextRunAt,
    holdUntil: holdUntil({ task, instance: base.name }, schedule, nextRunAt),
  };
}

/** INVALID_ARGUMENT when a batch names one instance twice (its outcome would be ambiguous). */
function checkUnique(drafts: readonly InstanceDraft[]): void {
  const seen = new Map<string, number>();
  drafts.forEach((draft, i) => {
    const key = `${draft.partition}/${draft.name}`;
    const first = seen.get(key);
    if (first !== undefined)
      throw invalid(`instances[${i}].name`, `duplicates instances[${first}] in one call`);
    seen.set(key, i);
  });
}
