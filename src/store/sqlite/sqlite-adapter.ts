import type { Database } from "better-sqlite3";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { newIncarnation } from "../../domain/incarnation.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import type {
  InstanceDraft,
  InstanceRecord,
  LeaseRef,
  LeaseStatus,
  RunHistory,
  TaskRecord,
} from "../../domain/model.ts";
import { namePage } from "../name-page.ts";
import { appendRun, decodeRuns } from "../run-codec.ts";
import type {
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
  RunWrite,
  Store,
  UpsertMode,
  UpsertResult,
} from "../store.ts";
import {
  claimed,
  committed,
  indexedReadyAt,
  leaseStatus,
  manualRequested,
  pausedInstance,
  released,
  resumedInstance,
  upserted,
} from "../transitions.ts";
import { instanceToRow, rowToInstance, rowToTask, taskToRow } from "./codec.ts";
import { mapSqliteError } from "./errors.ts";
import { SqliteMembers } from "./members.ts";
import { type OverdueQuery, prepareOverdue } from "./overdue.ts";
import { prepareStatements, type Statements } from "./statements.ts";

/**
 * The Store on one SQLite file through better-sqlite3 (open it with openSqliteStore). Every
 * multi-item operation is one transaction, and every read-modify-write runs BEGIN IMMEDIATE, so
 * two processes on one file serialise their claims and never take the same slot (a deferred
 * transaction would read first and then fail to upgrade its lock with SQLITE_BUSY).
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  #closed = false;
  readonly #sql: Statements;
  readonly #overdue: OverdueQuery;

  constructor(readonly db: Database) {
    this.#sql = prepareStatements(db);
    this.#overdue = prepareOverdue(db);
  }

  #get(task: string, partition: number, name: string): InstanceRecord | undefined {
    const row = this.#sql.getInstance.get(task, partition, name);
    return row === undefined ? undefined : rowToInstance(row);
  }

  #put(record: InstanceRecord): void {
    this.#sql.putInstance.run(instanceToRow(record));
  }

  /*
   * One write transaction, BEGIN IMMEDIATE: the write lock is taken before anything is read,
   * so the rows a body reads cannot change under it, in this process or another.
   */
  #write<T>(body: () => T): T {
    return this.db.transaction(body).immediate();
  }

  /** Checks each item's lease, then applies `apply` to the live ones; answers in input order. */
  #settle<I extends { readonly lease: LeaseRef }, R>(
    items: readonly I[],
    now: number,
    apply: (record: InstanceRecord, item: I) => R,
    refused: (status: LeaseStatus) => R,
  ): R[] {
    return this.#write(() =>
      items.map((item) => {
        const { task, partition, name } = item.lease;
        const record = this.#get(task, partition, name);
        const status = leaseStatus(record, item.lease, now);
        return status === "ok" && record !== undefined ? apply(record, item) : refused(status);
      }),
    );
  }

  /** Runs one operation, refusing on a closed store and mapping driver errors. */
  async #run<T>(operation: string, body: () => T): Promise<T> {
    if (this.#closed) {
      throw new PartituraError(ErrorCode.Unavailable, `sqlite ${operation}: the store is closed`);
    }
    try {
      return body();
    } catch (thrown) {
      throw mapSqliteError(thrown, operation);
    }
  }

  ready(): Promise<void> {
    return this.#run("ready", () => this.#selectOne());
  }

  /**
   * One trivial statement. The database lives in this process, so it answers or throws at once
   * (a closed handle, a deleted file's I/O error): there is nothing to wait for and no timeout.
   */
  #selectOne(): void {
    this.db.prepare("SELECT 1").get();
  }

  healthy(): boolean {
    return !this.#closed && this.db.open;
  }

  ping(_timeoutMs: number): Promise<void> {
    return this.#run("ping", () => this.#selectOne());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.close();
    } catch (thrown) {
      throw mapSqliteError(thrown, "close");
    }
  }

  putTask(task: TaskRecord): Promise<void> {
    return this.#run("putTask", () => {
      this.#sql.putTask.run(taskToRow(task));
    });
  }

  getTask(name: string): Promise<TaskRecord | undefined> {
    return this.#run("getTask", () => {
      const row = this.#sql.getTask.get(name);
      return row === undefined ? undefined : rowToTask(row);
    });
  }

  listTasks(limit: number, afterName?: string): Promise<TaskRecord[]> {
    return this.#run("listTasks", () => this.#sql.listTasks.all(afterName ?? "", limit).map(rowToTask));
  }

  deleteTask(name: string): Promise<boolean> {
    return this.#run("deleteTask", () =>
      this.#write(() => {
        this.#sql.deleteTaskInstances.run(name);
        this.#sql.deleteTaskRuns.run(name);
        return this.#sql.deleteTask.run(name).changes > 0;
      }),
    );
  }

  hasInstances(task: TaskRecord): Promise<boolean> {
    return this.#run("hasInstances", () => this.#sql.anyInstance.get(task.name) !== undefined);
  }

  upsertInstances(
    task: TaskRecord,
    drafts: readonly InstanceDraft[],
    mode: UpsertMode,
    now: number,
  ): Promise<UpsertResult[]> {
    return this.#run("upsertInstances", () =>
      this.#write(() => {
        // In the transaction: a task deleted after the caller read it takes no instances.
        if (drafts.length > 0 && this.#sql.getTask.get(task.name) === undefined) {
          throw new PartituraError(ErrorCode.NotFound, `task ${task.name} was deleted`);
        }
        return drafts.map((draft) => {
          const existing = this.#get(task.name, draft.partition, draft.name);
          const result = upserted(task, existing, draft, mode, now, newIncarnation);
          if (result.outcome !== "locked") this.#put(result.instance);
          return result;
        });
      }),
    );
  }

  removeInstances(task: string, refs: readonly InstanceRef[]): Promise<number> {
    return this.#run("removeInstances", () =>
      this.#write(() => {
        let removed = 0;
        for (const ref of refs) removed += this.#delete(task, ref.partition, ref.name);
        return removed;
      }),
    );
  }

  getInstance(task: string, partition: number, name: string): Promise<InstanceRecord | undefined> {
    return this.#run("getInstance", () => {
      const row = this.#sql.getInstance.get(task, partition, name);
      return row === undefined ? undefined : rowToInstance(row);
    });
  }

  listInstances(request: ListInstancesRequest): Promise<InstancePage> {
    const { task, partition, limit, cursor } = request;
    return this.#run("listInstances", () =>
      namePage(
        this.#sql.listInstances.all(task, partition, cursor ?? "", limit + 1).map(rowToInstance),
        limit,
      ),
    );
  }

  pauseInstances(request: PauseRequest): Promise<PauseOutcome[]> {
    const { task, refs, note, now } = request;
    return this.#run("pauseInstances", () =>
      this.#write(() =>
        refs.map((ref) => {
          const result = pausedInstance(this.#get(task, ref.partition, ref.name), note, now);
          if (result.instance !== undefined) this.#put(result.instance);
          return result.outcome;
        }),
      ),
    );
  }

  resumeInstances(request: ResumeRequest): Promise<ResumeResult[]> {
    const { task, refs, skipMissed, now } = request;
    return this.#run("resumeInstances", () =>
      this.#write(() =>
        refs.map((ref): ResumeResult => {
          const result = resumedInstance(
            this.#get(task, ref.partition, ref.name),
            skipMissed,
            now,
            request.deadLettered === true,
          );
          if (result.instance === undefined) return { outcome: result.outcome };
          this.#put(result.instance);
          const readyAt = indexedReadyAt(result.instance);
          return readyAt === undefined ? { outcome: result.outcome } : { outcome: result.outcome, readyAt };
        }),
      ),
    );
  }

  requestManualRuns(request: ManualRunRequest): Promise<ManualOutcome[]> {
    const { task, items, now } = request;
    return this.#run("requestManualRuns", () =>
      this.#write(() =>
        items.map((item) => {
          const result = manualRequested(this.#get(task, item.ref.partition, item.ref.name), item, now);
          if (result.instance !== undefined) this.#put(result.instance);
          return result.outcome;
        }),
      ),
    );
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    const { task, partition, now, limit, leaseMs, owner } = request;
    return this.#run("claim", () =>
      this.#write(() => {
        const claimedRecords = this.#sql.due.all(task, partition, now, limit).map((row) => {
          const record = claimed(rowToInstance(row), now, leaseMs, owner);
          this.#put(record);
          return record;
        });
        // In the same transaction, so the answer is the partition as the claim left it.
        const nextDueAt = this.#sql.nextDueAt.get(task, partition)?.ready ?? undefined;
        return { claimed: claimedRecords, nextDueAt };
      }),
    );
  }

  commit(items: readonly CommitItem[], now: number): Promise<CommitResult[]> {
    return this.#run("commit", () =>
      this.#settle(
        items,
        now,
        (record, item: CommitItem): CommitResult => {
          if (item.nextRunAt === null) {
            // The one-off ran: its history goes with it.
            this.#delete(record.task, record.partition, record.name);
            return { status: "ok" };
          }
          const next = committed(
            record,
            item.nextRunAt,
            item.keepLease === true,
            item.holdUntil,
            item.finishManual === true,
          );
          this.#put(next);
          if (item.run !== undefined) this.#recordRun(record, item.run);
          return item.keepLease === true ? { status: "ok", version: next.version } : { status: "ok" };
        },
        (status): CommitResult => ({ status }),
      ),
    );
  }

  release(items: readonly ReleaseItem[], now: number): Promise<LeaseStatus[]> {
    return this.#run("release", () =>
      this.#settle(
        items,
        now,
        (record, item: ReleaseItem): LeaseStatus => {
          this.#put(released(record, item.retryAt, item.park));
          if (item.run !== undefined) this.#recordRun(record, item.run);
          return "ok";
        },
        (status) => status,
      ),
    );
  }

  extendLeases(items: readonly ExtendItem[], now: number): Promise<ExtendResult[]> {
    return this.#run("extendLeases", () =>
      this.#settle(
        items,
        now,
        (record, item: ExtendItem): ExtendResult => {
          const lockedUntil = now + item.durationMs;
          this.#put({ ...record, lockedUntil });
          return { status: "ok", lockedUntil };
        },
        (status): ExtendResult => ({ status }),
      ),
    );
  }

  getRuns(task: string, refs: readonly InstanceRef[]): Promise<(RunHistory | undefined)[]> {
    return this.#run("getRuns", () =>
      refs.map((ref) => {
        const row = this.#sql.getRuns.get(task, ref.partition, ref.name);
        return row === undefined ? undefined : decodeRuns(`instance "${ref.name}"`, row.history);
      }),
    );
  }

  /** Counts one more run of `record` and keeps it among its recent runs (run-codec.ts). */
  #recordRun(record: InstanceRecord, run: RunWrite): void {
    const stored = this.#sql.getRuns.get(record.task, record.partition, record.name);
    const history = appendRun(stored?.history, run.record, run.limit);
    this.#sql.putRuns.run(record.task, record.partition, record.name, history);
  }

  /** Deletes an instance and its run history; 1 when it existed. */
  #delete(task: string, partition: number, name: string): number {
    this.#sql.deleteRuns.run(task, partition, name);
    return this.#sql.deleteInstance.run(task, partition, name).changes;
  }

  nextDueAt(task: string, partition: number): Promise<number | undefined> {
    return this.#run("nextDueAt", () => this.#sql.nextDueAt.get(task, partition)?.ready ?? undefined);
  }

  // Membership (issue 10): members.ts, its table created on first use.
  #members: SqliteMembers | undefined;
  heartbeatMember(member: MemberRecord, ttlMs: number, now: number): Promise<void> {
    return this.#run("heartbeatMember", () => this.#membersTable().heartbeat(member, ttlMs, now));
  }
  listMembers(now: number): Promise<LiveMember[]> {
    return this.#run("listMembers", () => this.#membersTable().list(now));
  }
  removeMember(id: string): Promise<void> {
    return this.#run("removeMember", () => this.#membersTable().remove(id));
  }
  #membersTable(): SqliteMembers {
    this.#members ??= new SqliteMembers(this.db);
    return this.#members;
  }
  overdue(task: string, partition: number, before: number): Promise<OverdueCount> {
    return this.#run("overdue", () => this.#overdue(task, partition, before));
  }
}
