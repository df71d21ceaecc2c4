import { planSlot, type SlotPlan } from "../domain/misfire.ts";
import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { nextSlot } from "../domain/schedule.ts";

/**
 * What to do with a freshly claimed instance. A first delivery of its slot goes through the
 * misfire policy. A redelivery (attempt > 1: a failed, released or expired earlier attempt) is
 * a retry, not a misfire: it runs the same slot again however late it is, because the slot was
 * due and did not complete; the slots after it then meet the misfire policy as usual.
 */
export function planClaim(task: TaskRecord, record: InstanceRecord, now: number): SlotPlan {
  if (record.attempt > 1) {
    return { deliver: record.nextRunAt, next: nextSlot(record.schedule, record.nextRunAt) };
  }
  return planSlot(record.schedule, task.misfirePolicy, task.misfireGraceMs, record.nextRunAt, now);
}

/**
 * The slot to commit when an ack reaches a replica that did not deliver the lease, read back
 * from the instance as the claim left it: the claim happened at its lease start
 * (lockedUntil - lease duration, unless a heartbeat moved it, which only makes a
 * fast-forward land later, never earlier than now).
 */
export function nextAfterAck(task: TaskRecord, record: InstanceRecord): number | null {
  return planClaim(task, record, record.lockedUntil - task.leaseMs).next;
}
