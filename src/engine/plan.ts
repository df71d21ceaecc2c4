import { holdUntil } from "../domain/jitter.ts";
import { planSlot, type SlotPlan } from "../domain/misfire.ts";
import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { nextSlot } from "../domain/schedule.ts";

/** A slot plan and the hold its next slot's jitter asks for (undefined: none). */
export interface ClaimPlan extends SlotPlan {
  /** The next slot's jittered delivery time when later than the slot (jitter.ts holdUntil). */
  readonly holdUntil: number | undefined;
}

/**
 * What to do with a freshly claimed instance. A first delivery of its slot goes through the
 * misfire policy. A redelivery (attempt > 1: a failed, released or expired earlier attempt) is
 * a retry, not a misfire: it runs the same slot again however late it is, because the slot was
 * due and did not complete; the slots after it then meet the misfire policy as usual.
 */
export function planClaim(task: TaskRecord, record: InstanceRecord, now: number): ClaimPlan {
  const key = { task: record.task, instance: record.name };
  const plan =
    record.attempt > 1
      ? { deliver: record.nextRunAt, next: nextSlot(record.schedule, record.nextRunAt) }
      : planSlot(record.schedule, task.misfirePolicy, task.misfireGraceMs, record.nextRunAt, now, key);
  return { deliver: plan.deliver, next: plan.next, holdUntil: holdUntil(key, record.schedule, plan.next) };
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
