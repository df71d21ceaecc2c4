import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import type { InstanceDraft, InstanceRecord, RunHistory, TaskRecord } from "../../domain/model.ts";
import type {
  BatchStatus,
  ClaimRequest,
  ClaimResult,
  CommitItem,
  CommitResult,
  ExtendItem,
  ExtendResult,
  InstancePage,
  InstanceRef,
  ListInstancesRequest,
  ManualOutcome,
  ManualRunRequest,
  OverdueCount,
  PauseOutcome,
  PauseRequest,
  ReleaseItem,
  ResumeRequest,
  ResumeResult,
  Store,
  UpsertMode,
  UpsertResult,
} from "../store.ts";
import { claim } from "./claim.ts";
import { createDynamoClient } from "./client.ts";
import { type DynamoContext, WRITE_CONCURRENCY } from "./context.ts";
import { mapDynamoError } from "./errors.ts";
import * as instances from "./instances.ts";
import { commitOne, extendOne, releaseOne } from "./lease-writes.ts";
import * as manual from "./manual.ts";
import { mapSettled } from "./map-limit.ts";
import * as members from "./members.ts";
import { overdueIn } from "./overdue.ts";
import * as pause from "./pause.ts";
import { pingTable } from "./ping.ts";
import { ensureTable } from "./table.ts";
import * as tasks from "./tasks.ts";
import { upsertBatch } from "./upsert.ts";
import { type DynamoConfig, parseDynamoUrl } from "./url.ts";

/** The answer for an item whose write failed after retries (store.ts: a batch half way). */
const UNKNOWN_RESULT: { readonly status: BatchStatus } = { status: "unknown" };

/**
 * The Store on one DynamoDB table (open it with openDynamoStore). Every instance write is a
 * conditional write, fenced by version and incarnation; lease batches run as parallel
 * single-item writes, WRITE_CONCURRENCY at a time, and upserts as transactions that also check
 * the task's generation (upsert.ts). DynamoDB has no pub/sub, so there is no `watch`: the
 * engine relies on in-process wake-ups and its poll bound.
 */
export class DynamoStore implements Store {
  readonly kind = "dynamodb";
  readonly #context: DynamoContext;
  readonly #config: DynamoConfig;
  #ready: Promise<void> | undefined;
  #closed = false;
  #answering = true;

  constructor(config: DynamoConfig, client: DynamoDBClient = createDynamoClient(config)) {
    this.#config = config;
    this.#context = { client, table: config.table, namespace: config.namespace };
  }

  /** Runs one operation, refusing on a closed store, mapping SDK errors and tracking health. */
  async #run<T>(operation: string, body: (context: DynamoContext) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new PartituraError(ErrorCode.Unavailable, `dynamodb ${operation}: the store is closed`);
    }
    try {
      const result = await body(this.#context);
      this.#answering = true;
      return result;
    } catch (thrown) {
      const error = mapDynamoError(thrown, operation);
      if (error.code === ErrorCode.Unavailable) this.#answering = false;
      throw error;
    }
  }

  /** Creates (or checks) the table once; later calls return the same promise. */
  ready(): Promise<void> {
    this.#ready ??= this.#run("ready", (context) =>
      ensureTable(context.client, context.table, this.#config.create),
    ).catch((error: unknown) => {
      this.#ready = undefined; // a failed start-up may be tried again
      throw error;
    });
    return this.#ready;
  }

  healthy(): boolean {
    return !this.#closed && this.#answering;
  }

  ping(timeoutMs: number): Promise<void> {
    return this.#run("ping", (context) => pingTable(context, timeoutMs));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.client.destroy();
  }

  putTask(task: TaskRecord): Promise<void> {
    return this.#run("putTask", (context) => tasks.putTask(context, task));
  }

  getTask(name: string): Promise<TaskRecord | undefined> {
    return this.#run("getTask", (context) => tasks.getTask(context, name));
  }

  listTasks(limit: number, afterName?: string): Promise<TaskRecord[]> {
    return this.#run("listTasks", (context) => tasks.listTasks(context, limit, afterName));
  }

  deleteTask(name: string): Promise<boolean> {
    return this.#run("deleteTask", (context) => tasks.deleteTask(context, name));
  }

  hasInstances(task: TaskRecord): Promise<boolean> {
    return this.#run("hasInstances", (context) => tasks.hasInstances(context, task));
  }

  upsertInstances(
    task: TaskRecord,
    drafts: readonly InstanceDraft[],
    mode: UpsertMode,
    now: number,
  ): Promise<UpsertResult[]> {
    return this.#run("upsertInstances", (context) => upsertBatch(context, task, drafts, mode, now));
  }

  removeInstances(task: string, refs: readonly InstanceRef[]): Promise<number> {
    return this.#run("removeInstances", (context) => instances.removeInstances(context, task, refs));
  }

  getRuns(task: string, refs: readonly InstanceRef[]): Promise<(RunHistory | undefined)[]> {
    return this.#run("getRuns", (context) => instances.getRuns(context, task, refs));
  }

  getInstance(task: string, partition: number, name: string): Promise<InstanceRecord | undefined> {
    return this.#run("getInstance", (context) => instances.getInstance(context, task, partition, name));
  }

  listInstances(request: ListInstancesRequest): Promise<InstancePage> {
    return this.#run("listInstances", (context) => instances.listInstances(context, request));
  }

  // Pause and resume (issue 14): pause.ts.
  pauseInstances(request: PauseRequest): Promise<PauseOutcome[]> {
    return this.#run("pauseInstances", (context) => pause.pauseInstances(context, request));
  }
  resumeInstances(request: ResumeRequest): Promise<ResumeResult[]> {
    return this.#run("resumeInstances", (context) => pause.resumeInstances(context, request));
  }

  requestManualRuns(request: ManualRunRequest): Promise<ManualOutcome[]> {
    return this.#run("requestManualRuns", (context) => manual.requestManualRuns(context, request));
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run("claim", (context) => claim(context, request));
  }

  commit(items: readonly CommitItem[], now: number): Promise<CommitResult[]> {
    return this.#run("commit", (context) =>
      mapSettled(items, WRITE_CONCURRENCY, UNKNOWN_RESULT, (item) => commitOne(context, item, now)),
    );
  }

  release(items: readonly ReleaseItem[], now: number): Promise<BatchStatus[]> {
    return this.#run("release", (context) =>
      mapSettled<ReleaseItem, BatchStatus>(items, WRITE_CONCURRENCY, "unknown", (item) =>
        releaseOne(context, item, now),
      ),
    );
  }

  extendLeases(items: readonly ExtendItem[], now: number): Promise<ExtendResult[]> {
    return this.#run("extendLeases", (context) =>
      mapSettled(items, WRITE_CONCURRENCY, UNKNOWN_RESULT, (item) => extendOne(context, item, now)),
    );
  }

  nextDueAt(task: string, partition: number): Promise<number | undefined> {
    return this.#run("nextDueAt", (context) => instances.nextDueAt(context, task, partition));
  }

  // Membership (issue 10): members.ts.
  heartbeatMember(member: MemberRecord, ttlMs: number, now: number): Promise<void> {
    return this.#run("heartbeatMember", (context) => members.heartbeatMember(context, member, ttlMs, now));
  }
  listMembers(now: number): Promise<LiveMember[]> {
    return this.#run("listMembers", (context) => members.listMembers(context, now));
  }
  removeMember(id: string): Promise<void> {
    return this.#run("removeMember", (context) => members.removeMember(context, id));
  }
  overdue(task: string, partition: number, before: number): Promise<OverdueCount> {
    return this.#run("overdue", (context) => overdueIn(context, task, partition, before));
  }
}

/**
 * Opens the DynamoDB store named by
 * `dynamodb://TABLE?region=REGION&endpoint=URL&create=false&ns=NAME&maxAttempts=N` and waits
 * until its table is usable (created when missing unless create=false). Throws
 * INVALID_ARGUMENT for a bad URL, FAILED_PRECONDITION for a missing or mis-shaped table,
 * UNAVAILABLE when DynamoDB cannot be reached.
 */
export async function openDynamoStore(url: string): Promise<Store> {
  const store = new DynamoStore(parseDynamoUrl(url));
  try {
    await store.ready();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
