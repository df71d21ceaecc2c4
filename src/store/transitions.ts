import { holdUntil } from "../domain/jitter.ts";
import { skipMissedSlot } from "../domain/misfire.ts";
import type {
  InstanceDraft,
  InstanceRecord,
  LeaseRef,
  LeaseStatus,
  ManualRun,
  PauseState,
  TaskRecord,
} from "../domain/model.ts";
import { readyAt } from "../domain/model.ts";
import type {
  ManualOutcome,
  ManualRunItem,
  PauseOutcome,
  ResumeOutcome,
  UpsertMode,
  UpsertResult,
} from "./store.ts";

/*
 * The state changes of one instance, as pure functions of the stored record: the whole rule
 * of each operation, shared so every adapter means the same thing. SQLite applies them inside
 * one transaction; DynamoDB applies them to the item it read and writes back conditionally.
 * (Redis must run the same rules inside Lua; the conformance suite holds all three to them.)
 */

/** Whether `lease` may still settle or extend `record` at `now`. */
export function leaseStatus(record: InstanceRecord | undefined, lease: LeaseRef, now: number): LeaseStatus {
  if (record === undefined || record.incarnation !== lease.incarnation) return "not_found";
  // A lease is live up to and including its last millisecond: expired means now > lockedUntil.
  if (record.version !== lease.version || now > record.lockedUntil) return "lease_lost";
  return "ok";
}

/** True when a worker holds a live lease on the instance (a retry delay alone is no lease). */
export function isLeased(record: InstanceRecord, now: number): boolean {
  return record.leaseOwner !== "" && record.lockedUntil > now;
}

/** The outcome of upserting `draft` over `existing` (absent when new). */
export function upserted(
  task: TaskRecord,
  existing: InstanceRecord | undefined,
  draft: InstanceDraft,
  mode: UpsertMode,
  now: number,
  newIncarnation: () => number,
): UpsertResult {
  const spec = {
    task: task.name,
    name: draft.name,
    partition: draft.partition,
    partitionKey: draft.partitionKey,
    schedule: draft.schedule,
    args: draft.args,
    partitionCount: task.partitionCount,
  };
  if (existing === undefined) {
    return { outcome: "created", instance: createdInstance(task, draft, newIncarnation(), now) };
  }
  if (mode === "force") {
    // Overwrite and unlock; the version bump kills whatever lease was out, and a trigger or
    // backfill not yet finished goes with the schedule it was asked of.
    const { manual: _manual, ...kept } = existing;
    const instance: InstanceRecord = {
      ...kept,
      ...spec,
      nextRunAt: draft.nextRunAt,
      lockedUntil: draft.holdUntil ?? 0,
      version: existing.version + 1,
      attempt: 0,
      leaseOwner: "",
    };
    return { outcome: "updated", instance };
  }
  if (isLeased(existing, now)) return { outcome: "locked", instance: existing };
  const nextRunAt = Math.min(existing.nextRunAt, draft.nextRunAt);
  const hold = draft.holdUntil ?? 0;
  if (draft.nextRunAt <= existing.nextRunAt && hold > existing.lockedUntil) {
    /*
     * The draft's slot wins and its jitter holds it later than the stored lock: take the hold.
     * The version bump and the cleared owner make sure no expired lease comes back to life
     * under a lockedUntil it never had. A hold never makes an instance ready sooner than its
     * stored lock (a retry delay, an older jitter), and a draft without jitter changes nothing.
     */
    const instance: InstanceRecord = {
      ...existing,
      ...spec,
      nextRunAt,
      lockedUntil: hold,
      version: existing.version + 1,
      leaseOwner: "",
    };
    return { outcome: "updated", instance };
  }
  return { outcome: "updated", instance: { ...existing, ...spec, nextRunAt } };
}

/** The instance as a claim at `now` leaves it. */
export function claimed(record: InstanceRecord, now: number, leaseMs: number, owner: string): InstanceRecord {
  return {
    ...record,
    lockedUntil: now + leaseMs,
    version: record.version + 1,
    attempt: record.attempt + 1,
    leaseOwner: owner,
  };
}

/**
 * The instance moved to its next slot; with `keepLease` it stays locked under the new version,
 * otherwise it is unlocked, or held until `holdUntil` (the next slot's jittered delivery time).
 * A manual run (issue 14) the lease finished becomes done (`finishManual`); one queued while
 * this slot was in flight is armed now: the instance runs it next, and resumes afterwards at
 * the slot this commit moved it to.
 */
export function committed(
  record: InstanceRecord,
  nextRunAt: number,
  keepLease: boolean,
  holdUntil?: number,
  finishManual = false,
): InstanceRecord {
  const moved: InstanceRecord = {
    ...record,
    nextRunAt,
    version: record.version + 1,
    attempt: 0,
    lockedUntil: keepLease ? record.lockedUntil : (holdUntil ?? 0),
    leaseOwner: keepLease ? record.leaseOwner : "",
  };
  let manual = record.manual;
  if (manual === undefined) return moved;
  if (finishManual && manual.state === "armed") manual = finished(manual);
  if (manual.state !== "waiting") return { ...moved, manual };
  return {
    ...moved,
    nextRunAt: manual.first,
    // The manual slot is due at once: the next slot's jitter hold is recomputed when it ends.
    lockedUntil: keepLease ? record.lockedUntil : 0,
    manual: { ...manual, state: "armed", resume: nextRunAt },
  };
}

/** A manual run that ended: done, its id kept so a repeat of the request is a duplicate. */
function finished(manual: ManualRun): ManualRun {
  return { ...manual, state: "done", resume: 0 };
}

/**
 * Asking `record` for a manual run at `now` (TriggerInstances, BackfillInstances): the record
 * to write (absent when nothing changes) and the outcome. An idle active instance is armed: its
 * next slot becomes the manual one, due at once, and the scheduled slot is kept to resume at.
 * One with an execution in flight, or whose slot waits for a retry (attempt > 0), has the run
 * queued, so one instance never has two executions open and a slot's retries are not cut in.
 * A repeat of the same id is a duplicate whatever became of the first; another id while a
 * manual run has not finished is refused (busy), not stacked.
 */
export function manualRequested(
  record: InstanceRecord | undefined,
  item: ManualRunItem,
  now: number,
): { outcome: ManualOutcome; instance?: InstanceRecord } {
  if (record === undefined) return { outcome: "not_found" };
  if (record.paused !== undefined) return { outcome: "not_active" };
  const stored = record.manual;
  if (stored !== undefined && stored.id === item.id) return { outcome: "duplicate" };
  if (stored !== undefined && stored.state !== "done") return { outcome: "busy" };
  const run = { id: item.id, kind: item.kind, first: item.first, end: item.end };
  if (isLeased(record, now) || record.attempt > 0) {
    return { outcome: "queued", instance: { ...record, manual: { ...run, state: "waiting", resume: 0 } } };
  }
  const armed: InstanceRecord = {
    ...record,
    nextRunAt: item.first,
    // Due at once: a jitter hold of the scheduled slot is recomputed when the run ends, and the
    // bump with the cleared owner keeps an expired lease from coming back to life.
    lockedUntil: 0,
    version: record.version + 1,
    leaseOwner: "",
    manual: { ...run, state: "armed", resume: record.nextRunAt },
  };
  return { outcome: "accepted", instance: armed };
}

/**
 * The instance with its lease given up. A retry delay is kept in lockedUntil (not nextRunAt),
 * so the scheduled slot, from which the next one is computed, is never disturbed. With `park`
 * (a retry policy ran out) it is paused or dead-lettered at the same slot instead, unlocked and
 * with attempt 0, so what brings it back starts a fresh retry budget. An instance paused while
 * its execution was in flight keeps that pause (and its note) rather than take the park's.
 */
export function released(
  record: InstanceRecord,
  retryAt: number | undefined,
  park?: PauseState,
): InstanceRecord {
  const unlocked = { ...record, lockedUntil: retryAt ?? 0, version: record.version + 1, leaseOwner: "" };
  if (park === undefined) return unlocked;
  return { ...unlocked, lockedUntil: 0, attempt: 0, paused: record.paused ?? park };
}

/** A new instance from `draft`: unlocked, version 0, attempt 0, the given incarnation. */
export function createdInstance(
  task: TaskRecord,
  draft: InstanceDraft,
  incarnation: number,
  now: number,
): InstanceRecord {
  return {
    task: task.name,
    name: draft.name,
    partition: draft.partition,
    partitionKey: draft.partitionKey,
    schedule: draft.schedule,
    args: draft.args,
    partitionCount: task.partitionCount,
    nextRunAt: draft.nextRunAt,
    lockedUntil: draft.holdUntil ?? 0,
    version: 0,
    incarnation,
    attempt: 0,
    createdAt: now,
    leaseOwner: "",
  };
}

/*
 * Pause and resume (issue 14). A paused record keeps every field (its slot, its lease, if one
 * is out) and only gains `paused`; each adapter keeps it out of its due index while it is
 * set, and every write (commit, release, heartbeat, upsert) keeps it set. So an execution in
 * flight finishes and commits, and the instance stays paused at its next slot.
 */

/** The ready time a record is indexed at, or undefined when it is paused (not indexed). */
export function indexedReadyAt(record: InstanceRecord): number | undefined {
  return record.paused === undefined ? readyAt(record) : undefined;
}

/** Pausing `record` at `now`: the record to write (absent when nothing changes) and the outcome. */
export function pausedInstance(
  record: InstanceRecord | undefined,
  note: string,
  now: number,
): { outcome: PauseOutcome; instance?: InstanceRecord } {
  if (record === undefined) return { outcome: "not_found" };
  // Idempotent: a second pause keeps the first one's time and note.
  if (record.paused !== undefined) return { outcome: "already_paused" };
  return { outcome: "paused", instance: { ...record, paused: { at: now, note } } };
}

/**
 * Resuming `record` at `now` (a paused one, or with `deadLettered` a dead letter: requeue
 * without `skipMissed`, discard with it): without `skipMissed` it is due again at its stored slot, and the
 * claim applies the task's misfire policy to the slots it missed; with it, it continues at the
 * first slot after now (skipMissedSlot).
 */
export function resumedInstance(
  record: InstanceRecord | undefined,
  skipMissed: boolean,
  now: number,
  deadLettered = false,
): { outcome: ResumeOutcome; instance?: InstanceRecord } {
  if (record === undefined) return { outcome: "not_found" };
  // A dead letter comes back only by a requeue or discard, a paused instance only by a resume.
  if (record.paused === undefined || (record.paused.deadLettered === true) !== deadLettered) {
    return { outcome: "not_paused" };
  }
  const { paused: _paused, ...resumed } = record;
  // Skipping gives up an armed manual run too: it goes on at the first scheduled slot after now.
  const armed = skipMissed && record.manual?.state === "armed" ? record.manual : undefined;
  const active: InstanceRecord = armed === undefined ? resumed : { ...resumed, manual: finished(armed) };
  const from = armed === undefined ? record.nextRunAt : armed.resume;
  const nextRunAt = skipMissed ? skipMissedSlot(record.schedule, from, now) : record.nextRunAt;
  /*
   * A new slot waits for its jitter as a committed one does (a kept slot keeps the hold it has).
   * As with an upsert's hold, the version bump and the cleared owner keep an expired lease
   * from coming back to life under it; a live lease (an execution in flight) is left alone.
   */
  const hold =
    nextRunAt === record.nextRunAt || isLeased(record, now)
      ? undefined
      : holdUntil({ task: record.task, instance: record.name }, record.schedule, nextRunAt);
  if (hold === undefined || hold <= record.lockedUntil) {
    return { outcome: "resumed", instance: { ...active, nextRunAt } };
  }
  const held = { ...active, nextRunAt, lockedUntil: hold, version: record.version + 1, leaseOwner: "" };
  return { outcome: "resumed", instance: held };
}
