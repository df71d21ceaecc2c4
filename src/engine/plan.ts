import { nextBackfillSlot } from "../domain/backfill.ts";
import { holdUntil } from "../domain/jitter.ts";
import { planSlot, type SlotPlan } from "../domain/misfire.ts";
import type { ExecutionReason, InstanceRecord, ManualRun, TaskRecord } from "../domain/model.ts";
import { nextSlot } from "../domain/schedule.ts";

/** A slot plan and the hold its next slot's jitter asks for (undefined: none). */
export interface ClaimPlan extends SlotPlan {
  /** The next slot's jittered delivery time when later than the slot (jitter.ts holdUntil). */
  readonly holdUntil: number | undefined;
  /** Why the slot runs: its schedule (or a retry of it), or a trigger or backfill. */
  readonly reason: ExecutionReason;
  /** The slot ends the instance's manual run: its commit says so (CommitItem.finishManual). */
  readonly finishManual: boolean;
}

/**
 * What to do with a freshly claimed instance. A first delivery of its slot goes through the
 * misfire policy. A redelivery (attempt > 1: a failed, released or expired earlier attempt) is
 * a retry, not a misfire: it runs the same slot again however late it is, because the slot was
 * due and did not complete; the slots after it then meet the misfire policy as usual.
 */
export function planClaim(task: TaskRecord, record: InstanceRecord, now: number): ClaimPlan {
  const key = { task: record.task, instance: record.name };
  const manual = record.manual;
  if (manual !== undefined && manual.state === "armed") return planManual(record, manual);
  const reason = record.attempt > 1 ? "retry" : "scheduled";
  const plan =
    record.attempt > 1
      ? { deliver: record.nextRunAt, next: nextSlot(record.schedule, record.nextRunAt) }
      : planSlot(record.schedule, task.misfirePolicy, task.misfireGraceMs, record.nextRunAt, now, key);
  return {
    deliver: plan.deliver,
    next: plan.next,
    holdUntil: holdUntil(key, record.schedule, plan.next),
    reason,
    finishManual: false,
  };
}

/**
 * An armed manual run (issue 14): its slot runs however late (it was asked for now, outside the
 * misfire policy), then the next backfill slot, or after the last one the scheduled slot it
 * resumes at, which waits for its jitter as a committed slot does. A retry of a manual slot
 * keeps the manual run's reason: its attempt says it is one.
 */
function planManual(record: InstanceRecord, manual: ManualRun): ClaimPlan {
  const slot = record.nextRunAt;
  const following = manual.kind === "backfill" ? nextBackfillSlot(record.schedule, slot, manual.end) : null;
  if (following !== null) {
    return { deliver: slot, next: following, holdUntil: undefined, reason: manual.kind, finishManual: false };
  }
  const key = { task: record.task, instance: record.name };
  return {
    deliver: slot,
    next: manual.resume,
    holdUntil: holdUntil(key, record.schedule, manual.resume),
    reason: manual.kind,
    finishManual: true,
  };
}

/**
 * The plan to commit when an ack reaches a replica that did not deliver the lease, read back
 * from the instance as the claim left it: the claim happened at its lease start
 * (lockedUntil - lease duration, unless a heartbeat moved it, which only makes a
 * fast-forward land later, never earlier than now).
 */
export function planAfterAck(task: TaskRecord, record: InstanceRecord): ClaimPlan {
  return planClaim(task, record, record.lockedUntil - task.leaseMs);
}
