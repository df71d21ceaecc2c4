/**
 * The records Partitura stores and computes with. Times are epoch milliseconds (UTC) and
 * args are the protobuf encoding of a google.protobuf.Struct (empty = none), which the stores
 * keep as opaque bytes: compact, and never re-encoded on the hot path.
 */

/**
 * When an instance falls due. `jitterMs` (deterministic jitter, jitter.ts) is absent when the
 * schedule has none: never stored as 0, so an un-jittered schedule encodes exactly as before.
 * The bounds `startAtMs` and `endAtMs` (cron and interval only) are absent when unset, for the
 * same reason: an unbounded schedule is stored byte for byte as it was before bounds existed.
 */
export type ScheduleSpec = (
  | { readonly kind: "cron"; readonly cron: string; readonly timezone: string }
  | { readonly kind: "interval"; readonly intervalMs: number }
  | { readonly kind: "at"; readonly atMs: number }
) & {
  /** Each slot is delivered up to this much after it (1 ms .. MAX_JITTER_MS); absent: none. */
  readonly jitterMs?: number;
  /** No slot before this instant (epoch ms); absent: no bound. */
  readonly startAtMs?: number;
  /** No slot after this instant (epoch ms); the instance ends after its last slot; absent: no bound. */
  readonly endAtMs?: number;
  /**
   * At most this many slots (1 .. MAX_RUNS), counted from the first slot a Schedule or PutTask
   * call computes; absent: no limit. Only a request and a task's schedule (the template its
   * instances are made from) carry it: an instance is stored with it turned into endAtMs
   * (max-runs.ts), so instance records and their codecs never see it.
   */
  readonly maxRuns?: number;
};

export type ExecutionMode = "at_least_once" | "at_most_once";
export type FailureMode = "none" | "unlock" | "commit";
export type MisfirePolicy = "catch_up" | "fast_forward" | "skip";

/** A task definition with every default applied. */
export interface TaskRecord {
  readonly name: string;
  readonly dynamic: boolean;
  /** Required when static; the default for instances when dynamic. */
  readonly schedule: ScheduleSpec | undefined;
  /** At least 1. */
  readonly partitionCount: number;
  readonly executionMode: ExecutionMode;
  readonly failureMode: FailureMode;
  readonly leaseMs: number;
  readonly misfirePolicy: MisfirePolicy;
  readonly misfireGraceMs: number;
  readonly defaultArgs: Uint8Array;
  readonly enabled: boolean;
  /**
   * How failed slots are retried (retry.ts); absent, never undefined, when the task has no
   * policy, so a task without one is stored as before.
   */
  readonly retry?: RetryPolicy;
  /**
   * How many recent runs each instance keeps (0: none, only the counters); absent means
   * DEFAULT_HISTORY_LIMIT, so tasks stored before history read as that.
   */
  readonly historyLimit?: number;
}

/** What happens to a slot whose retries ran out. */
export type OnExhausted = "continue" | "pause" | "dead_letter";

/** Retries of one slot with exponential backoff (retry.ts computes the waits). */
export interface RetryPolicy {
  /** Deliveries of one slot at most, the first included (1 .. MAX_RETRY_ATTEMPTS). */
  readonly maxAttempts: number;
  /** The wait before the second attempt. */
  readonly initialIntervalMs: number;
  /** Each wait is the one before times this (at least 1). */
  readonly backoffCoefficient: number;
  /** No wait is longer. */
  readonly maxIntervalMs: number;
  /** Each wait grows by a random part of this (0: none). */
  readonly jitterMs: number;
  readonly onExhausted: OnExhausted;
}

/** What a caller asks a store to create or update: an instance without its stored state. */
export interface InstanceDraft {
  readonly name: string;
  readonly partition: number;
  /** Empty when the name is hashed. */
  readonly partitionKey: string;
  readonly schedule: ScheduleSpec;
  readonly args: Uint8Array;
  /** The first slot, computed by the caller from the schedule and `now`. */
  readonly nextRunAt: number;
  /**
   * The first slot's jittered delivery time when the schedule has jitter and it is later than
   * the slot (jitter.ts holdUntil); undefined otherwise. Stores keep it in lockedUntil. Always
   * written (undefined when none) by the Schedule path, so every draft has one shape: drafts
   * built with and without the key made V8's property reads polymorphic and cost Schedule about
   * 15 % (bench: schedule 92,582 vs 108,006 instances/s before jitter, 2026-12-02).
   */
  readonly holdUntil?: number | undefined;
}

/** One stored instance. */
export interface InstanceRecord extends InstanceDraft {
  readonly task: string;
  /**
   * Epoch ms until which a lease, a retry delay or the slot's jitter (a hold without an owner)
   * holds it; 0 when unlocked.
   */
  readonly lockedUntil: number;
  /** Bumped by every claim, commit and release: the fencing token of a lease. */
  readonly version: number;
  /** New whenever the instance is created again, so a stale lease never touches a newer one. */
  readonly incarnation: number;
  /** Deliveries of the current slot so far. */
  readonly attempt: number;
  readonly createdAt: number;
  /** The partition count the instance was placed with (for later repartitioning). */
  readonly partitionCount: number;
  /** Who holds the lease, for logs; empty when unlocked. */
  readonly leaseOwner: string;
  /**
   * Set while the instance is paused (issue 14): it is out of the due index, so no claim takes
   * it. Absent, never undefined, while it is active, so an active record costs nothing more.
   */
  readonly paused?: PauseState;
  /**
   * A trigger or backfill of the instance (issue 14, manual.ts), from its request until the
   * next one: absent, never undefined, on an instance never triggered, so it costs nothing.
   */
  readonly manual?: ManualRun;
}

/** What runs an instance outside its schedule: TriggerInstances or BackfillInstances. */
export type ManualKind = "triggered" | "backfill";

/**
 * Where a manual run of an instance stands. waiting: asked while an execution of it was in
 * flight (or its slot waited for a retry); the commit that settles that slot arms it. armed:
 * nextRunAt is the manual slot to run now (the trigger's time, or the current backfill slot)
 * and `resume` the scheduled slot the instance goes on at afterwards. done: finished, kept
 * so the same request id is not run twice.
 */
export type ManualState = "waiting" | "armed" | "done";

/** A trigger or backfill of one instance (transitions.ts manualRequested, committed). */
export interface ManualRun {
  /** The request id (1 .. MAX_REQUEST_ID_BYTES bytes): a repeat of it is a duplicate. */
  readonly id: string;
  readonly kind: ManualKind;
  readonly state: ManualState;
  /** The first manual slot: the trigger's time, or the backfill's first slot. */
  readonly first: number;
  /** The backfill's last slot (inclusive); a trigger's is its first. */
  readonly end: number;
  /** While armed: the scheduled slot to go on at after the manual run (0 while waiting). */
  readonly resume: number;
}

/** How one finished run ended, as its ack said. */
export type RunOutcome = "success" | "failure";

/** Why an execution runs: its slot fell due, a retry of it, or a trigger or backfill. */
export type ExecutionReason = "scheduled" | "retry" | "triggered" | "backfill";

/** One finished run of an instance, as its ack settled it (run history, issue 14). */
export interface RunRecord {
  /** The slot it ran for (the execution's scheduled_at). */
  readonly slot: number;
  readonly deliveredAt: number;
  readonly finishedAt: number;
  readonly attempt: number;
  /** The worker_id of the stream it went to (or the replica's id when another one settled it). */
  readonly worker: string;
  readonly outcome: RunOutcome;
  readonly reason: ExecutionReason;
  /** A FAILURE ack's error, cut to MAX_RUN_ERROR_BYTES; "" for a success. */
  readonly error: string;
}

/** An instance's run counters and its most recent runs, newest first. */
export interface RunHistory {
  /** Runs settled so far, successes and failures. */
  readonly runs: number;
  readonly failures: number;
  readonly lastOutcome: RunOutcome | undefined;
  /** At most the task's history_limit runs, newest first. */
  readonly recent: readonly RunRecord[];
}

/** Whether an instance runs: the wire's InstanceState without UNSPECIFIED. */
export type InstanceState = "active" | "paused" | "dead_lettered";

/** The state of a stored instance. */
export function stateOf(record: Pick<InstanceRecord, "paused">): InstanceState {
  if (record.paused === undefined) return "active";
  return record.paused.deadLettered === true ? "dead_lettered" : "paused";
}

/** Since when and why an instance is paused. */
export interface PauseState {
  /** Epoch ms of the pause. */
  readonly at: number;
  /** Who paused it and why, as the caller wrote it (at most MAX_PAUSE_NOTE_BYTES); may be "". */
  readonly note: string;
  /**
   * Set when the retry policy parked it in its task's dead-letter list (the note then holds the
   * last error): only RequeueDeadLetters or DiscardDeadLetters bring it back, never a resume.
   * Absent for a plain pause.
   */
  readonly deadLettered?: true;
}

/** Identifies one lease: an instance at one version of one incarnation. */
export interface LeaseRef {
  readonly task: string;
  readonly partition: number;
  readonly name: string;
  readonly version: number;
  readonly incarnation: number;
}

/** The outcome of a lease operation on one item. */
export type LeaseStatus = "ok" | "lease_lost" | "not_found";

/**
 * The next slot of an instance's schedule: while a manual run (trigger, backfill) is armed,
 * nextRunAt is the manual slot and the schedule goes on at `resume` afterwards.
 */
export function scheduledNext(instance: Pick<InstanceRecord, "nextRunAt" | "manual">): number {
  return instance.manual?.state === "armed" ? instance.manual.resume : instance.nextRunAt;
}

/** The ready time of an instance: when a claim may take it. */
export function readyAt(instance: Pick<InstanceRecord, "nextRunAt" | "lockedUntil">): number {
  return Math.max(instance.nextRunAt, instance.lockedUntil);
}
