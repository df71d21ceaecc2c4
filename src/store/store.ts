import type { LiveMember, MemberRecord } from "../domain/member.ts";
import type {
  InstanceDraft,
  InstanceRecord,
  LeaseRef,
  LeaseStatus,
  ManualKind,
  PauseState,
  RunHistory,
  RunRecord,
  TaskRecord,
} from "../domain/model.ts";

/**
 * The Store contract: high-level operations only. No ioredis, DynamoDB or SQLite type crosses
 * it, each adapter owns its connections, and every adapter throws only PartituraError (mapped
 * from its own failures) so callers see the same thing whatever the store. Times come in as
 * arguments (`now`), never from the store's clock. Every batch operation answers per item, in
 * the order of its input.
 *
 * A batch that fails half way. A store applies a batch in groups (SQLite: one transaction, so
 * all or nothing; Redis: one atomic script per partition group; DynamoDB: one conditional
 * write per item), and a group may fail after others were applied. Then:
 * - commit, release and extendLeases answer "unknown" (BatchStatus) for every item the adapter
 *   cannot vouch for (a Redis group whose script call failed while others passed, a DynamoDB
 *   write that still errored after the SDK's retries: it may or may not have been applied),
 *   and the known answer for the rest. They throw only when nothing was applied or nothing can
 *   be known about any item. The caller keeps what it cannot know (the engine keeps the lease:
 *   it is settled again, or it expires).
 * - upsertInstances and removeInstances throw when any group failed; the groups that passed
 *   stay applied. Both converge when the same batch is sent again (an upsert of the same
 *   drafts lands on the same records, SAFE keeping the sooner due time; a remove of what is
 *   gone counts 0), so a caller that saw an error re-sends the whole batch.
 *
 * The conformance suite in test/store-conformance runs the same cases against every adapter.
 */
export interface Store {
  /** A short name for logs and metrics: "sqlite", "redis", "redis-cluster", "dynamodb". */
  readonly kind: string;

  /** Resolves once the store answers (tables created, scripts loaded); throws UNAVAILABLE. */
  ready(): Promise<void>;
  /** True while the store answers; cheap, for the health service. */
  healthy(): boolean;
  /**
   * Asks the store whether it answers, within `timeoutMs`; rejects (UNAVAILABLE) when it does
   * not. For stores whose connection can stay open while the server does not answer (Redis
   * frozen, a partitioned network), which healthy() cannot see. Optional: without it the
   * health service follows healthy() alone.
   */
  ping?(timeoutMs: number): Promise<void>;
  /** Closes every connection the adapter owns. Idempotent. */
  close(): Promise<void>;

  // --- tasks ---------------------------------------------------------------------------------

  /** Creates or replaces a task definition (instances are not touched). */
  putTask(task: TaskRecord): Promise<void>;
  getTask(name: string): Promise<TaskRecord | undefined>;
  /** Tasks in name order, `limit` at most, starting after `afterName`. */
  listTasks(limit: number, afterName?: string): Promise<TaskRecord[]>;
  /** Deletes a task and every instance of it; false when there was no such task. */
  deleteTask(name: string): Promise<boolean>;
  /** True when any instance of the task exists (guards partition_count changes). */
  hasInstances(task: TaskRecord): Promise<boolean>;

  // --- instances -----------------------------------------------------------------------------

  /**
   * Creates or updates instances, one atomic step per instance. SAFE keeps the sooner of the
   * stored and the drafted due time and refuses a locked instance ("locked"); FORCE
   * overwrites and unlocks. A new instance gets a fresh incarnation, version 0, attempt 0.
   * A draft's holdUntil (jitter) becomes lockedUntil when created or forced; under SAFE only
   * when the draft's slot wins (sooner or equal) and the hold is later than the stored lock
   * (transitions.ts upserted states the rule).
   */
  upsertInstances(
    task: TaskRecord,
    drafts: readonly InstanceDraft[],
    mode: UpsertMode,
    now: number,
  ): Promise<UpsertResult[]>;
  /** Removes instances at once, leased or not; returns how many existed. */
  removeInstances(task: string, refs: readonly InstanceRef[]): Promise<number>;
  getInstance(task: string, partition: number, name: string): Promise<InstanceRecord | undefined>;
  /**
   * One page of a partition's instances: at most `request.limit`, starting where
   * `request.cursor` (from the previous page) points, or at the start. The cursor is opaque and
   * the adapter's own; `cursor: undefined` in the answer means the partition is done. A page may
   * be short, even empty, and still carry a cursor. The order is stable but the adapter's: SQLite
   * and DynamoDB list by name (UTF-8 byte order; the cursor is the last name), Redis in its hash
   * order (HSCAN: a page costs O(page), whatever the partition's size). Across the pages of one
   * walk every instance appears once when nothing changes meanwhile; an instance created or
   * removed during the walk may or may not appear, and Redis may show one twice while its hash
   * grows (deduplicated within a page, never dropped).
   */
  listInstances(request: ListInstancesRequest): Promise<InstancePage>;
  /**
   * Pauses instances (issue 14), one atomic step each: a paused instance leaves the due index,
   * so no claim takes it, and keeps its slot, its lease (an execution in flight finishes; its
   * commit, release or heartbeat keeps it paused, out of the index) and its pause through any
   * upsert (SAFE or FORCE). Answers per ref, in order: "paused", "already_paused" (nothing
   * changes: the first pause's time and note stay), "not_found". Idempotent.
   */
  pauseInstances(request: PauseRequest): Promise<PauseOutcome[]>;
  /**
   * Resumes paused instances, one atomic step each (transitions.ts resumedInstance): back in
   * the due index at their stored slot (the claim's misfire policy decides about the slots they
   * missed) or, with `skipMissed`, at the first slot after `now`. Answers per ref, in order,
   * with the ready time a resumed instance is indexed at (for wake-ups). Idempotent.
   */
  resumeInstances(request: ResumeRequest): Promise<ResumeResult[]>;

  /**
   * Triggers or backfills instances (issue 14), one atomic step each (transitions.ts
   * manualRequested): an idle active instance is armed (its next slot becomes the manual
   * slot, the scheduled one is kept to resume at); one with an execution in flight or a slot
   * waiting for a retry gets it queued, and the commit settling that slot arms it. Answers per
   * item, in order. Idempotent by the run's id.
   */
  requestManualRuns(request: ManualRunRequest): Promise<ManualOutcome[]>;

  // --- execution -----------------------------------------------------------------------------

  /**
   * Atomically claims up to `request.limit` instances of one partition whose ready time
   * (max(nextRunAt, lockedUntil)) is at or before `request.now`, earliest first: bumps each
   * version, increments attempt, sets lockedUntil = now + leaseMs and the owner. Answers the
   * records as they are after the claim, and the partition's earliest ready time right after
   * it (what nextDueAt would answer then), always. Two concurrent claims never return the same
   * version. A limit of 0 claims nothing and still answers nextDueAt.
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Settles leases: moves each instance to `nextRunAt` (attempt 0, version bumped) or deletes
   * it when `nextRunAt` is null. With `keepLease` (at-most-once) the lease stays held, under
   * the returned new version, until released. Refused per item when the lease expired or the
   * version moved on ("lease_lost") or the instance or incarnation is gone ("not_found").
   */
  commit(items: readonly CommitItem[], now: number): Promise<CommitResult[]>;
  /**
   * Gives leases up: the instance becomes ready at `retryAt` (default: at once, or at its
   * nextRunAt if later), or is parked paused when the item says `park` (transitions.ts
   * released); version bumped so the old lease is dead. Same refusals as commit.
   */
  release(items: readonly ReleaseItem[], now: number): Promise<BatchStatus[]>;
  /**
   * The run counters and recent runs (issue 14) of instances of one task, in the order of
   * `refs`; undefined where none was recorded or the instance is gone. Commit and release
   * record them (CommitItem.run) in the same atomic step as the lease change, beside the
   * instance (same partition; on Redis the same hash tag), and every removal of an instance
   * removes them. A read off the hot path: claims never load them.
   */
  getRuns(task: string, refs: readonly InstanceRef[]): Promise<(RunHistory | undefined)[]>;
  /** Heartbeats: lockedUntil = now + durationMs for each live lease; version unchanged. */
  extendLeases(items: readonly ExtendItem[], now: number): Promise<ExtendResult[]>;
  /** The earliest ready time in a partition (locked instances count at their lease end). */
  nextDueAt(task: string, partition: number): Promise<number | undefined>;

  /**
   * Subscribes to wake-ups published by any replica when an upsert or commit makes a
   * partition's earliest ready time sooner. Stores without a channel (SQLite: one process;
   * DynamoDB) may omit it; the engine then relies on in-process wake-ups and its poll bound.
   * `onGap` is called when wake-ups may have been missed (the channel was down and came
   * back): the watcher should then look at every partition it serves.
   */
  watch?(listener: WakeListener, onGap?: () => void): () => void;

  // --- membership (issue 10; optional: membership mode needs them) --------------------------

  /**
   * Writes (creates or refreshes) this replica's member record, live until `now + ttlMs`.
   * Idempotent; the last write wins.
   */
  heartbeatMember?(member: MemberRecord, ttlMs: number, now: number): Promise<void>;
  /**
   * The members whose record is live at `now` (expiresAt > now), in id order, read with
   * strong consistency. Expired records are never returned (an adapter may clean them up).
   */
  listMembers?(now: number): Promise<LiveMember[]>;
  /** Deletes a member record at once (a replica leaving on SIGTERM). No error when absent. */
  removeMember?(id: string): Promise<void>;
  // --- observability (issue 13) --------------------------------------------------------------

  /**
   * How many instances of one partition have a ready time (max(nextRunAt, lockedUntil)) at or
   * before `before`, and the earliest such ready time: instances overdue and not held by a
   * live lease. Read from the due index, without loading records; may count from a slightly
   * stale view. Optional: without it the overdue metrics stay absent.
   */
  overdue?(task: string, partition: number, before: number): Promise<OverdueCount>;
}

/** What Store.overdue answers for one partition. */
export interface OverdueCount {
  readonly count: number;
  /** The earliest overdue ready time (epoch ms), or undefined when count is 0. */
  readonly oldest: number | undefined;
}

/** SAFE keeps the sooner due time and refuses locked instances; FORCE overwrites and unlocks. */
export type UpsertMode = "safe" | "force";

/**
 * One item's result in a batch: what the store did, or "unknown" when a part of the batch
 * failed and the adapter cannot vouch for this item (see the contract's batch rule above).
 */
export type BatchStatus = LeaseStatus | "unknown";

/** Where an instance lives. */
export interface InstanceRef {
  readonly partition: number;
  readonly name: string;
}

/** What pauseInstances asks for: instances of one task. */
export interface PauseRequest {
  readonly task: string;
  readonly refs: readonly InstanceRef[];
  /** Who paused them and why; kept and shown. May be "". */
  readonly note: string;
  readonly now: number;
}

/** What pausing did with one instance. */
export type PauseOutcome = "paused" | "already_paused" | "not_found";

/** What resumeInstances asks for: instances of one task. */
export interface ResumeRequest {
  readonly task: string;
  readonly refs: readonly InstanceRef[];
  /** Continue at the first slot after `now` instead of the stored one (no missed slot runs). */
  readonly skipMissed: boolean;
  /**
   * Bring back dead-lettered instances (RequeueDeadLetters, DiscardDeadLetters) instead of
   * paused ones: each kind is resumed only by its own call, and the other answers "not_paused".
   */
  readonly deadLettered?: boolean;
  readonly now: number;
}

/** What resuming did with one instance. */
export type ResumeOutcome = "resumed" | "not_paused" | "not_found";

/** One instance's answer to resumeInstances. */
export interface ResumeResult {
  readonly outcome: ResumeOutcome;
  /** When resumed: the ready time it is indexed at. */
  readonly readyAt?: number;
}

/** What requestManualRuns asks for: instances of one task, each with its run. */
export interface ManualRunRequest {
  readonly task: string;
  readonly items: readonly ManualRunItem[];
  readonly now: number;
}

/** One instance to run outside its schedule. */
export interface ManualRunItem {
  readonly ref: InstanceRef;
  readonly id: string;
  readonly kind: ManualKind;
  /** The first manual slot (a trigger: now; a backfill: its first slot in the range). */
  readonly first: number;
  /** The last one, inclusive (a trigger: first). */
  readonly end: number;
}

/**
 * What requesting a manual run did: accepted (armed, due at once), queued (behind an execution
 * in flight or a retry), duplicate (this id was seen), busy (another manual run of it has not
 * finished), not_active (paused or dead-lettered), not_found.
 */
export type ManualOutcome = "accepted" | "queued" | "duplicate" | "busy" | "not_active" | "not_found";

/** What listInstances reads: one page of one partition. */
export interface ListInstancesRequest {
  readonly task: string;
  readonly partition: number;
  /** The most instances to answer (at least 1). */
  readonly limit: number;
  /** Where to go on: the previous page's cursor; absent for the first page. */
  readonly cursor?: string | undefined;
}

/** One page of instances and where the next one starts. */
export interface InstancePage {
  readonly instances: InstanceRecord[];
  /** Pass back for the next page; undefined when the partition is done. */
  readonly cursor: string | undefined;
}

/** What a claim asks for: one partition of one task, at `now`. */
export interface ClaimRequest {
  readonly task: string;
  readonly partition: number;
  /** Epoch ms: instances ready at or before it are taken. */
  readonly now: number;
  /** The most instances to take. */
  readonly limit: number;
  /** The lease duration: lockedUntil = now + leaseMs. */
  readonly leaseMs: number;
  /** Who holds the lease (a replica id, for operators). */
  readonly owner: string;
}

/** The instances a claim took, and the partition's earliest ready time after it. */
export interface ClaimResult {
  readonly claimed: InstanceRecord[];
  readonly nextDueAt: number | undefined;
}

/** What an upsert did with one draft, and the instance as it was left. */
export interface UpsertResult {
  readonly outcome: "created" | "updated" | "locked";
  readonly instance: InstanceRecord;
}

export interface CommitItem {
  readonly lease: LeaseRef;
  /** The next slot, or null to delete the instance (a one-off that ran). */
  readonly nextRunAt: number | null;
  /** At-most-once: advance the slot but keep the instance locked until released. */
  readonly keepLease?: boolean;
  /**
   * Without keepLease: hold the instance (lockedUntil, no owner) until this time, the next
   * slot's jittered delivery time (jitter.ts holdUntil); undefined means unlocked at once.
   * The engine writes every key of a commit item, undefined when unused, so the items of the
   * hot path share one shape (see InstanceDraft.holdUntil).
   */
  readonly holdUntil?: number | undefined;
  /** The run this commit settles, to record (RunWrite); undefined records nothing (a skip). */
  readonly run?: RunWrite | undefined;
  /**
   * This lease ran the instance's armed manual run to its end (its last backfill slot, or the
   * trigger): the run becomes done, and nextRunAt is the slot it resumes at. Whatever the item
   * says, a queued manual run is armed by the commit (transitions.ts committed). The engine
   * writes the key on every item (false when unused), as for holdUntil.
   */
  readonly finishManual?: boolean;
}

/**
 * A finished run to record with a commit or release: the counters count it, and it joins the
 * recent runs, of which at most `limit` (the task's history_limit; 0: none) are kept.
 */
export interface RunWrite {
  readonly record: RunRecord;
  readonly limit: number;
}

export interface CommitResult {
  readonly status: BatchStatus;
  /** With keepLease and status ok: the version the kept lease now carries. */
  readonly version?: number;
}

export interface ReleaseItem {
  readonly lease: LeaseRef;
  /** Epoch ms before which the instance must not run again; absent means at once. */
  readonly retryAt?: number;
  /**
   * Parks the instance instead (a retry policy ran out, issue 14): it keeps its slot, leaves
   * the due index paused with this state (a dead letter when `deadLettered`), unlocked, with
   * attempt 0 so a requeue or resume starts a fresh retry budget. retryAt is then unused.
   */
  readonly park?: PauseState;
  /** A failed run this release settles, to record; absent: none (a stream closed, a shutdown). */
  readonly run?: RunWrite | undefined;
}

export interface ExtendItem {
  readonly lease: LeaseRef;
  readonly durationMs: number;
}

export interface ExtendResult {
  readonly status: BatchStatus;
  /** The new lease end when status is ok. */
  readonly lockedUntil?: number;
}

/** Called when a partition's earliest ready time became `readyAt`. */
export type WakeListener = (task: string, partition: number, readyAt: number) => void;
