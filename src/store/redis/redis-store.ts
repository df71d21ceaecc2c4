import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { newIncarnation } from "../../domain/incarnation.ts";
import { REDIS_LIST_EXTRA_SCANS, REDIS_LIST_SCAN_COUNT, TASK_TOMBSTONE_MS } from "../../domain/limits.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import type { InstanceDraft, InstanceRecord, RunHistory, TaskRecord } from "../../domain/model.ts";
import { decodeRuns } from "../run-codec.ts";
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
  WakeListener,
} from "../store.ts";
import { createdInstance } from "../transitions.ts";
import { closedError, mapRedisError } from "./errors.ts";
import { formatHashCursor, parseHashCursor } from "./hash-cursor.ts";
import type { KeyLayout } from "./keys.ts";
import * as members from "./members.ts";
import { overdueIn } from "./overdue.ts";
import { perPartition, perPartitionSettled } from "./partition-groups.ts";
import * as pause from "./pause.ts";
import { decodeRecord, encodeOwner, encodeTail } from "./record-codec.ts";
import { type RedisClient, Scripts } from "./scripts.ts";
import { decodeTask, encodeTask } from "./task-codec.ts";
import { WakeSubscriber, wakeTarget } from "./wake.ts";

/** How long ready() waits for the first connection before it reports UNAVAILABLE. */
const READY_TIMEOUT_MS = 10_000;

/** The answer for an item of a group whose script call failed (store.ts: a batch half way). */
const UNKNOWN_RESULT: { readonly status: BatchStatus } = { status: "unknown" };

/** Where an item of a lease batch lives. */
const leasePartition = (item: { readonly lease: { task: string; partition: number } }) => item.lease;

/**
 * The Store on Redis or Redis Cluster (open it with openRedisStore). Instances live per
 * partition in a `due` sorted set and an `inst` hash of binary records (keys.ts,
 * record-codec.ts); every change of instances is one Lua script per partition (lua/), so each
 * is atomic and a batch costs one round trip per node, however many partitions it spans.
 */
export class RedisStore implements Store {
  readonly kind: string;
  readonly #scripts: Scripts;
  readonly #wakes: WakeSubscriber;
  #closing: Promise<void> | undefined;
  #ownerText = "";
  #ownerBytes: Buffer = Buffer.alloc(0);

  constructor(
    readonly client: RedisClient,
    readonly keys: KeyLayout,
    cluster: boolean,
    onError: (error: Error) => void,
  ) {
    this.kind = cluster ? "redis-cluster" : "redis";
    this.#scripts = new Scripts(client);
    this.#wakes = new WakeSubscriber(client, keys.wakeChannel, onError);
    // ioredis emits "error" for every failed reconnect; without a listener Node would crash.
    client.on("error", onError);
  }

  /** Runs one operation, refusing on a closed store and mapping driver errors. */
  async #run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw closedError(operation);
    try {
      return await body();
    } catch (thrown) {
      throw mapRedisError(thrown, operation);
    }
  }

  async ready(): Promise<void> {
    if (this.#closing !== undefined) throw closedError("ready");
    if (this.client.status === "wait") {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PartituraError(ErrorCode.Unavailable, "redis ready: no connection after 10 s")),
          READY_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([this.client.connect(), deadline]);
      } catch (thrown) {
        throw mapRedisError(thrown, "ready");
      } finally {
        clearTimeout(timer);
      }
    }
    await this.#run("ready", () => this.client.ping());
  }

  healthy(): boolean {
    return this.#closing === undefined && this.client.status === "ready";
  }

  ping(timeoutMs: number): Promise<void> {
    return this.#run("ping", async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new PartituraError(ErrorCode.Unavailable, `redis ping: no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([this.client.ping(), deadline]);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#wakes.close();
      await this.client.quit().catch(() => this.client.disconnect());
    })();
    return this.#closing;
  }

  // --- tasks -----------------------------------------------------------------------------------

  putTask(task: TaskRecord): Promise<void> {
    return this.#run("putTask", async () => {
      // A task created (again): lift the tombstones a deletion left, so its upserts pass. An
      // upsert that read the deleted task has been answered by now (its caller saw the delete
      // or lost the race), so none of them can slip through.
      if ((await this.client.hexists(this.keys.tasks, task.name)) === 0) {
        await Promise.all(
          partitions(task).map((p) => this.client.unlink(this.keys.partition(task.name, p).gone)),
        );
      }
      // Both keys carry the namespace's hash tag, so this MULTI stays in one slot.
      const results = await this.client
        .multi()
        .hset(this.keys.tasks, task.name, encodeTask(task))
        .zadd(this.keys.taskNames, 0, task.name)
        .exec();
      // EXEC reports a failed command in its results rather than by rejecting.
      for (const [error] of results ?? []) if (error !== null) throw error;
    });
  }

  getTask(name: string): Promise<TaskRecord | undefined> {
    return this.#run("getTask", async () => {
      const text = await this.client.hget(this.keys.tasks, name);
      return text === null ? undefined : decodeTask(name, text);
    });
  }

  listTasks(limit: number, afterName?: string): Promise<TaskRecord[]> {
    return this.#run("listTasks", async () => {
      if (limit <= 0) return [];
      const from = afterName === undefined ? "-" : `(${afterName}`;
      const names = await this.client.zrangebylex(this.keys.taskNames, from, "+", "LIMIT", 0, limit);
      if (names.length === 0) return [];
      const texts = await this.client.hmget(this.keys.tasks, ...names);
      const tasks: TaskRecord[] = [];
      names.forEach((name, i) => {
        const text = texts[i];
        // A task deleted between the two reads is simply gone.
        if (text !== null && text !== undefined) tasks.push(decodeTask(name, text));
      });
      return tasks;
    });
  }

  deleteTask(name: string): Promise<boolean> {
    return this.#run("deleteTask", async () => {
      const text = await this.client.hget(this.keys.tasks, name);
      if (text === null) return false;
      const task = decodeTask(name, text);
      // Instances first, the definition last: a failure half-way leaves a task that a retry
      // deletes, never instances without a task.
      await Promise.all(
        partitions(task).map(async (partition) => {
          const keys = this.keys.partition(name, partition);
          // The tombstone and the unlink in one MULTI (one slot): an upsert that read the task
          // before this delete either ran before it (and its instances go now) or after (and
          // is refused), so a Schedule racing a DeleteTask never leaves orphans.
          // UNLINK, not DEL: a partition may hold millions of instances, and DEL frees them
          // on Redis's one thread, stalling every other client; UNLINK frees in the background.
          const results = await this.client
            .multi()
            .set(keys.gone, "1", "PX", TASK_TOMBSTONE_MS)
            .unlink(keys.due, keys.inst, keys.runs)
            .exec();
          for (const [error] of results ?? []) if (error !== null) throw error;
        }),
      );
      const [deleted] = await Promise.all([
        this.client.hdel(this.keys.tasks, name),
        this.client.zrem(this.keys.taskNames, name),
      ]);
      return deleted > 0;
    });
  }

  hasInstances(task: TaskRecord): Promise<boolean> {
    // One EXISTS per partition, sent together: exact, and no per-task bookkeeping on the hot
    // path (a counter would live in another slot than the partitions it counts).
    return this.#run("hasInstances", async () => {
      const counts = await Promise.all(
        partitions(task).map((partition) =>
          this.client.exists(this.keys.partition(task.name, partition).inst),
        ),
      );
      return counts.some((count) => count > 0);
    });
  }

  // --- instances -------------------------------------------------------------------------------

  upsertInstances(
    task: TaskRecord,
    drafts: readonly InstanceDraft[],
    mode: UpsertMode,
    now: number,
  ): Promise<UpsertResult[]> {
    return this.#run("upsertInstances", () =>
      perPartition(
        drafts,
        (draft) => ({ task: task.name, partition: draft.partition }),
        async ({ partition, items }) => {
          const args = items.map((draft) => ({
            name: draft.name,
            nextRunAt: draft.nextRunAt,
            holdUntil: draft.holdUntil ?? 0,
            incarnation: newIncarnation(),
            tail: encodeTail(draft, task.partitionCount),
          }));
          const keys = this.keys.partition(task.name, partition);
          const wake = wakeTarget(this.keys.wakeChannel, task.name, partition);
          const answers = await this.#scripts.upsert(keys, wake, now, mode, args);
          if (answers === "task_gone") {
            throw new PartituraError(ErrorCode.NotFound, `task ${task.name} was deleted`);
          }
          return answers.map(({ outcome, record }, i) => {
            const draft = items[i] as InstanceDraft;
            // A created instance is not sent back: it is the draft as upsert.lua stored it.
            if (outcome === "created") {
              return { outcome, instance: createdInstance(task, draft, args[i]?.incarnation ?? 0, now) };
            }
            return { outcome, instance: decodeRecord(task.name, partition, draft.name, record) };
          });
        },
      ),
    );
  }

  removeInstances(task: string, refs: readonly InstanceRef[]): Promise<number> {
    return this.#run("removeInstances", async () => {
      const counts = await perPartition(
        refs,
        (ref) => ({ task, partition: ref.partition }),
        async ({ partition, items }) => {
          const removed = await this.#scripts.remove(
            this.keys.partition(task, partition),
            items.map((ref) => ref.name),
          );
          // One count per group, reported on its first item; the others count 0.
          return items.map((_, i) => (i === 0 ? removed : 0));
        },
      );
      return counts.reduce((sum, count) => sum + count, 0);
    });
  }

  getRuns(task: string, refs: readonly InstanceRef[]): Promise<(RunHistory | undefined)[]> {
    return this.#run("getRuns", async () => {
      // null, not undefined, inside: perPartition reads undefined as a missing answer.
      const found = await perPartition(
        refs,
        (ref) => ({ task, partition: ref.partition }),
        async ({ partition, items }) => {
          const stored = await this.client.hmgetBuffer(
            this.keys.partition(task, partition).runs,
            ...items.map((ref) => ref.name),
          );
          return items.map((ref, i) => {
            const bytes = stored[i];
            return bytes === null || bytes === undefined ? null : decodeRuns(`instance "${ref.name}"`, bytes);
          });
        },
      );
      return found.map((history) => history ?? undefined);
    });
  }

  getInstance(task: string, partition: number, name: string): Promise<InstanceRecord | undefined> {
    return this.#run("getInstance", async () => {
      const bytes = await this.client.hgetBuffer(this.keys.partition(task, partition).inst, name);
      return bytes === null ? undefined : decodeRecord(task, partition, name, bytes);
    });
  }

  listInstances(request: ListInstancesRequest): Promise<InstancePage> {
    /*
     * HSCAN, not a sorted list of names: a hash has no order, and sorting its names (HKEYS)
     * costs the whole partition on every page, blocking Redis for tens of ms at 200,000
     * instances; an index of names would cost memory on every instance for an admin listing.
     * HSCAN with COUNT ~ limit (in calls of a bounded COUNT) costs O(page) and answers the
     * records with the names. The order
     * is the hash's, stable while the hash does not change. While the hash rehashes (it grew
     * or shrank) HSCAN may answer an entry twice, never skip one: deduplicated here within a
     * page; across pages a walk then shows it twice at worst.
     */
    const { task, partition, limit } = request;
    return this.#run("listInstances", async () => {
      const inst = this.keys.partition(task, partition).inst;
      let { scan, skip } = parseHashCursor(request.cursor);
      const seen = new Set<string>();
      const instances: InstanceRecord[] = [];
      // Calls of at most REDIS_LIST_SCAN_COUNT buckets: a page of 1,000 is four short calls
      // rather than one that holds Redis for milliseconds.
      const count = Math.min(Math.max(limit, 10), REDIS_LIST_SCAN_COUNT);
      const calls = Math.ceil(limit / count) + REDIS_LIST_EXTRA_SCANS;
      for (let call = 0; call < calls; call++) {
        const [next, flat] = await this.client.hscanBuffer(inst, scan, "COUNT", count);
        const entries = flat.length / 2;
        let used = skip;
        for (; used < entries && instances.length < limit; used++) {
          const name = (flat[2 * used] as Buffer).toString("utf8");
          if (seen.has(name)) continue;
          seen.add(name);
          instances.push(decodeRecord(task, partition, name, flat[2 * used + 1] as Buffer));
        }
        // The page is full inside this reply: the next page asks for the same reply again.
        if (used < entries) return { instances, cursor: formatHashCursor({ scan, skip: used }) };
        scan = next.toString("latin1");
        skip = 0;
        if (scan === "0") return { instances, cursor: undefined };
        if (instances.length >= limit) break;
      }
      return { instances, cursor: formatHashCursor({ scan, skip: 0 }) };
    });
  }

  // Pause and resume (issue 14): pause.ts.
  pauseInstances(request: PauseRequest): Promise<PauseOutcome[]> {
    return this.#run("pauseInstances", () => pause.pauseInstances(this.#pauseContext(), request));
  }
  resumeInstances(request: ResumeRequest): Promise<ResumeResult[]> {
    return this.#run("resumeInstances", () => pause.resumeInstances(this.#pauseContext(), request));
  }

  requestManualRuns(request: ManualRunRequest): Promise<ManualOutcome[]> {
    return this.#run("requestManualRuns", () => pause.requestManualRuns(this.#pauseContext(), request));
  }
  #pauseContext(): pause.PauseContext {
    return { client: this.client, keys: this.keys, scripts: this.#scripts };
  }

  // --- execution -------------------------------------------------------------------------------

  claim(request: ClaimRequest): Promise<ClaimResult> {
    const { task, partition, now, limit, leaseMs, owner } = request;
    return this.#run("claim", async () => {
      if (limit <= 0) {
        return { claimed: [], nextDueAt: await this.nextDueAt(task, partition) };
      }
      if (owner !== this.#ownerText) {
        this.#ownerText = owner;
        this.#ownerBytes = encodeOwner(owner);
      }
      const keys = this.keys.partition(task, partition);
      const { claimed, nextDueAt } = await this.#scripts.claim(keys, now, limit, leaseMs, this.#ownerBytes);
      return {
        claimed: claimed.map(({ name, record }) => decodeRecord(task, partition, name, record)),
        nextDueAt,
      };
    });
  }

  commit(items: readonly CommitItem[], now: number): Promise<CommitResult[]> {
    return this.#run("commit", () =>
      perPartitionSettled(
        items,
        leasePartition,
        async ({ task, partition, items: group }) => {
          const answers = await this.#scripts.commit(
            this.keys.partition(task, partition),
            wakeTarget(this.keys.wakeChannel, task, partition),
            now,
            group,
          );
          return answers.map(({ status, version }, i): CommitResult => {
            const kept = status === "ok" && group[i]?.keepLease === true && group[i]?.nextRunAt !== null;
            return kept ? { status, version } : { status };
          });
        },
        UNKNOWN_RESULT,
      ),
    );
  }

  release(items: readonly ReleaseItem[], now: number): Promise<BatchStatus[]> {
    return this.#run("release", () =>
      perPartitionSettled(
        items,
        leasePartition,
        ({ task, partition, items: group }): Promise<BatchStatus[]> =>
          this.#scripts.release(
            this.keys.partition(task, partition),
            wakeTarget(this.keys.wakeChannel, task, partition),
            now,
            group.map(({ lease, retryAt, park, run }) => ({
              name: lease.name,
              version: lease.version,
              incarnation: lease.incarnation,
              retryAt,
              park,
              run,
            })),
          ),
        "unknown",
      ),
    );
  }

  extendLeases(items: readonly ExtendItem[], now: number): Promise<ExtendResult[]> {
    return this.#run("extendLeases", () =>
      perPartitionSettled(
        items,
        leasePartition,
        async ({ task, partition, items: group }) => {
          const statuses = await this.#scripts.extend(
            this.keys.partition(task, partition),
            now,
            group.map(({ lease, durationMs }) => ({
              name: lease.name,
              version: lease.version,
              incarnation: lease.incarnation,
              durationMs,
            })),
          );
          return statuses.map((status, i): ExtendResult => {
            const durationMs = group[i]?.durationMs ?? 0;
            return status === "ok" ? { status, lockedUntil: now + durationMs } : { status };
          });
        },
        UNKNOWN_RESULT,
      ),
    );
  }

  nextDueAt(task: string, partition: number): Promise<number | undefined> {
    return this.#run("nextDueAt", async () => {
      const first = await this.client.zrange(this.keys.partition(task, partition).due, 0, 0, "WITHSCORES");
      return first[1] === undefined ? undefined : Number(first[1]);
    });
  }

  overdue(task: string, partition: number, before: number): Promise<OverdueCount> {
    return this.#run("overdue", () =>
      overdueIn(this.client, this.keys.partition(task, partition).due, before),
    );
  }

  watch(listener: WakeListener, onGap?: () => void): () => void {
    if (this.#closing !== undefined) throw closedError("watch");
    return this.#wakes.watch(listener, onGap);
  }

  // Membership (issue 10): members.ts.
  heartbeatMember(member: MemberRecord, ttlMs: number, now: number): Promise<void> {
    return this.#run("heartbeatMember", () =>
      members.heartbeatMember(this.client, this.keys.namespace, member, ttlMs, now),
    );
  }
  listMembers(now: number): Promise<LiveMember[]> {
    return this.#run("listMembers", () => members.listMembers(this.client, this.keys.namespace, now));
  }
  removeMember(id: string): Promise<void> {
    return this.#run("removeMember", () => members.removeMember(this.client, this.keys.namespace, id));
  }
}

/** 0 .. partitionCount - 1. */
function partitions(task: TaskRecord): number[] {
  return Array.from({ length: task.partitionCount }, (_, partition) => partition);
}
