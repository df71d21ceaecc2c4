import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { type ExecuteResponse, ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Instance, InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { Task } from "../../gen/ts/partitura/v1/task_pb.ts";
import { type ConnectionOptions, channelOf, metadataOf } from "./connection.ts";
import { toPartituraError } from "./errors.ts";
import {
  type BackfillOptions,
  type BackfillResult,
  boundOf,
  manualRunOutcomeName,
  requestIdOf,
  type TriggerOptions,
  type TriggerResult,
} from "./manual-runs.ts";
import { type RetryOptions, withRetries } from "./retry.ts";
import { type ClientOf, makeClient } from "./rpc.ts";

export { type ClientOf, makeClient, type RpcOptions } from "./rpc.ts";

type Scheduler = typeof SchedulerService.method;
type Execution = typeof ExecutionService.method;
type Methods = Scheduler & Execution;
type Unary = { [K in keyof Methods]: Methods[K] extends { methodKind: "unary" } ? K : never }[keyof Methods];
type RequestOf<K extends keyof Methods> = MessageInitShape<Methods[K]["input"]>;
type ResponseOf<K extends keyof Methods> = MessageShape<Methods[K]["output"]>;

/** Per-call settings. */
export interface CallOptions {
  /** Fails the call after this long (default: the client's `deadlineMs`). */
  readonly timeoutMs?: number;
}

/** How a Client connects, waits and retries. */
export interface ClientOptions extends ConnectionOptions {
  /** Deadline of each call unless the call sets one. Default 30 s. */
  readonly deadlineMs?: number;
  /** Retries of idempotent calls on UNAVAILABLE. */
  readonly retry?: RetryOptions;
}

/*
 * Calls that may be repeated without changing the outcome: reads, upserts (PutTask, Schedule:
 * the second application stores the same thing) and the lease calls (acks are idempotent by
 * contract). DeleteTask is not: its retry after a lost reply would report NOT_FOUND.
 */
const IDEMPOTENT: ReadonlySet<Unary> = new Set<Unary>([
  "putTask",
  "getTask",
  "listTasks",
  "schedule",
  "unschedule",
  "getInstance",
  "listInstances",
  "previewSchedule",
  "getPartitionMap",
  "ack",
  "extendLeases",
  // A retried pause or resume answers ALREADY_PAUSED / NOT_PAUSED, leaving the same state.
  "pauseInstances",
  "resumeInstances",
  // A retried requeue or discard answers NOT_DEAD_LETTERED for what the first one brought back.
  "requeueDeadLetters",
  "discardDeadLetters",
]);

/*
 * Calls that are safe to repeat only with a request id: a retried TriggerInstances or
 * BackfillInstances with the same id answers DUPLICATE and runs nothing again; without one the
 * server makes a fresh id per attempt, and a retry would run the instances twice.
 */
const IDEMPOTENT_WITH_REQUEST_ID: ReadonlySet<Unary> = new Set<Unary>([
  "triggerInstances",
  "backfillInstances",
]);

/**
 * A client of one Partitura server: every rpc as a typed async method taking a plain object.
 * Calls have a deadline by default, idempotent ones are retried on UNAVAILABLE with backoff
 * and jitter, and every failure is a PartituraError carrying the gRPC code and the server's
 * message. Close it (or `await using` it) when done.
 */
export class Client implements AsyncDisposable {
  private readonly scheduler: ClientOf<Scheduler>;
  private readonly execution: ClientOf<Execution>;
  private readonly deadlineMs: number;

  constructor(readonly options: ClientOptions) {
    const { credentials, channelOptions } = channelOf(options);
    const rpc = { metadata: metadataOf(options), channelOptions, deadlineMs: options.deadlineMs ?? 30_000 };
    this.deadlineMs = rpc.deadlineMs;
    this.scheduler = makeClient(SchedulerService, options.address, credentials, rpc);
    this.execution = makeClient(ExecutionService, options.address, credentials, rpc);
  }

  /** Creates or replaces a task. */
  putTask(request: RequestOf<"putTask">, options?: CallOptions): Promise<ResponseOf<"putTask">> {
    return this.call("putTask", request, options);
  }
  getTask(request: RequestOf<"getTask">, options?: CallOptions): Promise<ResponseOf<"getTask">> {
    return this.call("getTask", request, options);
  }
  listTasks(request: RequestOf<"listTasks"> = {}, options?: CallOptions): Promise<ResponseOf<"listTasks">> {
    return this.call("listTasks", request, options);
  }
  /** Deletes a task and its instances (not retried: a repeat would say NOT_FOUND). */
  deleteTask(request: RequestOf<"deleteTask">, options?: CallOptions): Promise<ResponseOf<"deleteTask">> {
    return this.call("deleteTask", request, options);
  }
  /** Creates or updates instances (at most 10,000 a call); the batch is validated whole. */
  schedule(request: RequestOf<"schedule">, options?: CallOptions): Promise<ResponseOf<"schedule">> {
    return this.call("schedule", request, options);
  }
  unschedule(request: RequestOf<"unschedule">, options?: CallOptions): Promise<ResponseOf<"unschedule">> {
    return this.call("unschedule", request, options);
  }
  getInstance(request: RequestOf<"getInstance">, options?: CallOptions): Promise<ResponseOf<"getInstance">> {
    return this.call("getInstance", request, options);
  }
  listInstances(
    request: RequestOf<"listInstances">,
    options?: CallOptions,
  ): Promise<ResponseOf<"listInstances">> {
    return this.call("listInstances", request, options);
  }
  getPartitionMap(
    request: RequestOf<"getPartitionMap">,
    options?: CallOptions,
  ): Promise<ResponseOf<"getPartitionMap">> {
    return this.call("getPartitionMap", request, options);
  }
  ack(request: RequestOf<"ack">, options?: CallOptions): Promise<ResponseOf<"ack">> {
    return this.call("ack", request, options);
  }
  extendLeases(
    request: RequestOf<"extendLeases">,
    options?: CallOptions,
  ): Promise<ResponseOf<"extendLeases">> {
    return this.call("extendLeases", request, options);
  }

  /** The raw Execute stream (no deadline: it lives as long as the worker). Prefer Worker. */
  execute(
    request: RequestOf<"execute">,
    options: grpc.CallOptions = {},
  ): grpc.ClientReadableStream<ExecuteResponse> {
    return this.execution.execute(request, options);
  }

  /** Every task, page after page. */
  async *tasks(pageSize = 0): AsyncGenerator<Task> {
    let pageToken = "";
    do {
      const page = await this.listTasks({ pageSize, pageToken });
      yield* page.tasks;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }

  /**
   * Every instance of a task (or of one partition, or in one state: `InstanceState.DEAD_LETTERED`
   * walks the task's dead-letter list), page after page.
   */
  async *instances(
    task: string,
    options: { partition?: number; pageSize?: number; state?: InstanceState } = {},
  ): AsyncGenerator<Instance> {
    let pageToken = "";
    do {
      const page = await this.listInstances({
        task,
        pageSize: options.pageSize ?? 0,
        pageToken,
        ...(options.partition === undefined ? {} : { partition: options.partition }),
        ...(options.state === undefined ? {} : { state: options.state }),
      });
      yield* page.instances;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }

  close(): void {
    this.scheduler.close();
    this.execution.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private call<K extends Unary>(
    method: K,
    request: RequestOf<K>,
    options: CallOptions = {},
  ): Promise<ResponseOf<K>> {
    const target = (method in this.scheduler ? this.scheduler : this.execution) as unknown as Record<
      K,
      (request: RequestOf<K>, options: grpc.CallOptions) => Promise<ResponseOf<K>>
    >;
    const once = () => {
      // A fresh deadline per attempt: a retry gets the whole budget again.
      const callOptions: grpc.CallOptions = { deadline: Date.now() + (options.timeoutMs ?? this.deadlineMs) };
      return target[method](request, callOptions);
    };
    const idempotent =
      IDEMPOTENT.has(method) ||
      (IDEMPOTENT_WITH_REQUEST_ID.has(method) && hasRequestId(request as { requestId?: string }));
    return idempotent
      ? withRetries(once, this.options.retry)
      : once().catch((thrown: unknown) => Promise.reject(toPartituraError(thrown)));
  }

  // --- pause and resume (issue 14) ---------------------------------------------------------

  /**
   * Pauses instances (at most 10,000 names a call), with a note saying who and why (at most
   * 500 bytes): a paused instance is never delivered; one running finishes. One outcome per
   * name (PAUSED, ALREADY_PAUSED, NOT_FOUND).
   */
  pauseInstances(
    request: RequestOf<"pauseInstances">,
    options?: CallOptions,
  ): Promise<ResponseOf<"pauseInstances">> {
    return this.call("pauseInstances", request, options);
  }
  /**
   * Resumes paused instances: the task's misfire policy decides about the slots they missed,
   * or with `skipMissed` they continue at the first slot after now. One outcome per name.
   */
  resumeInstances(
    request: RequestOf<"resumeInstances">,
    options?: CallOptions,
  ): Promise<ResponseOf<"resumeInstances">> {
    return this.call("resumeInstances", request, options);
  }

  // --- dead letters (issue 14) ------------------------------------------------------------

  /**
   * Runs dead-lettered instances again at the slot that failed, with a fresh retry budget. One
   * outcome per name (DONE, NOT_DEAD_LETTERED, NOT_FOUND). List them with
   * `instances(task, { state: InstanceState.DEAD_LETTERED })`.
   */
  requeueDeadLetters(
    request: RequestOf<"requeueDeadLetters">,
    options?: CallOptions,
  ): Promise<ResponseOf<"requeueDeadLetters">> {
    return this.call("requeueDeadLetters", request, options);
  }
  /**
   * Gives the failed slot of dead-lettered instances up: each continues at its first slot after
   * now; a one-off is removed. One outcome per name.
   */
  discardDeadLetters(
    request: RequestOf<"discardDeadLetters">,
    options?: CallOptions,
  ): Promise<ResponseOf<"discardDeadLetters">> {
    return this.call("discardDeadLetters", request, options);
  }

  // --- preview (issue 14) ------------------------------------------------------------------

  /**
   * The next slots of a schedule, or of a stored instance (`task` + `instance`), as the engine
   * will run them, with DST marks and, with jitter, each slot's delivery time. A read.
   */
  previewSchedule(
    request: RequestOf<"previewSchedule">,
    options?: CallOptions,
  ): Promise<ResponseOf<"previewSchedule">> {
    return this.call("previewSchedule", request, options);
  }

  // --- manual runs (issue 14) ----------------------------------------------------------------

  /**
   * Runs instances once now, outside their schedule, without moving their next slot: the
   * execution's reason is TRIGGERED. At most 10,000 names a call. Retried on UNAVAILABLE only
   * when `requestId` is set; prefer `trigger`, which always sets one.
   */
  triggerInstances(
    request: RequestOf<"triggerInstances">,
    options?: CallOptions,
  ): Promise<ResponseOf<"triggerInstances">> {
    return this.call("triggerInstances", request, options);
  }
  /**
   * Runs the slots of a past range (after `start`, at or before `end`) of each instance, one at
   * a time and oldest first, reason BACKFILL. At most 1,000 names and 1,000 slots an instance a
   * call (more is refused whole with INVALID_ARGUMENT naming `end`). Retried as triggerInstances.
   */
  backfillInstances(
    request: RequestOf<"backfillInstances">,
    options?: CallOptions,
  ): Promise<ResponseOf<"backfillInstances">> {
    return this.call("backfillInstances", request, options);
  }

  /**
   * Runs the named instances of `task` once now (reason TRIGGERED); their next slot stays
   * where it was. One outcome per name: "accepted" (due at once), "queued" (runs once the
   * execution in flight is settled), "duplicate" (this request id ran already), "busy" (another
   * trigger or backfill has not finished), "not_active" (paused or dead-lettered) or
   * "not_found". Returns the request id too: send it again and nothing runs twice.
   */
  async trigger(
    task: string,
    names: readonly string[],
    options: TriggerOptions = {},
    callOptions?: CallOptions,
  ): Promise<TriggerResult> {
    const requestId = requestIdOf(options);
    const response = await this.triggerInstances(
      { task, names: [...names], requestId, partitionKey: options.partitionKey ?? "" },
      callOptions,
    );
    return { requestId: response.requestId, outcomes: response.outcomes.map(manualRunOutcomeName) };
  }

  /**
   * Runs the slots of each named instance's schedule in the range (`start`, `end`], oldest
   * first and one at a time (reason BACKFILL); then the instance goes on at its next slot.
   * Outcomes as `trigger`, plus "no_slots" (its schedule has none in the range), and per name
   * the number of slots it will run.
   */
  async backfill(
    task: string,
    names: readonly string[],
    options: BackfillOptions,
    callOptions?: CallOptions,
  ): Promise<BackfillResult> {
    const request = {
      task,
      names: [...names],
      start: boundOf("start", options.start),
      end: boundOf("end", options.end),
      requestId: requestIdOf(options),
      partitionKey: options.partitionKey ?? "",
    };
    const response = await this.backfillInstances(request, callOptions);
    return {
      requestId: response.requestId,
      outcomes: response.outcomes.map(manualRunOutcomeName),
      slots: [...response.slots],
    };
  }
}

function hasRequestId(request: { requestId?: string }): boolean {
  return typeof request.requestId === "string" && request.requestId !== "";
}
