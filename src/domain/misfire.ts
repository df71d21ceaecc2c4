import { deliveryAt, type JitterKey } from "./jitter.ts";
import type { MisfirePolicy, ScheduleSpec } from "./model.ts";
import { lastSlotAtOrBefore, nextSlot } from "./schedule.ts";

/** What to do with one claimed slot. */
export interface SlotPlan {
  /** The slot to deliver (its `scheduled_at`), or null to deliver nothing (SKIP). */
  readonly deliver: number | null;
  /** The slot to commit after the delivery (or at once when nothing is delivered); null deletes. */
  readonly next: number | null;
}

/**
 * Applies the misfire policy to a slot claimed at `now`. A slot is missed when claimed more
 * than `graceMs` after it fell due. CATCH_UP delivers it (the next slot, still in the past,
 * is claimed again at once, so missed slots run one at a time); FAST_FORWARD delivers only the
 * latest missed slot and continues after now; SKIP delivers none. A one-off always runs.
 * With jitter (`key` names the instance) lateness counts from each slot's delivery time, not
 * from the slot: a slot its jitter holds back half an hour is not late when claimed then.
 */
export function planSlot(
  spec: ScheduleSpec,
  policy: MisfirePolicy,
  graceMs: number,
  slot: number,
  now: number,
  key?: JitterKey,
): SlotPlan {
  const onTime = (at: number) =>
    now - (key === undefined || spec.jitterMs === undefined ? at : deliveryAt(key, spec, at)) <= graceMs;
  if (spec.kind === "at" || onTime(slot) || policy === "catch_up") {
    return { deliver: slot, next: nextSlot(spec, slot) };
  }
  const { latest, following } = lastSlotAtOrBefore(spec, slot, now);
  // The latest slot may itself be on time (within grace): then even SKIP runs it.
  if (policy === "fast_forward" || onTime(latest)) {
    return { deliver: latest, next: following };
  }
  return { deliver: null, next: following };
}

/**
 * The slot a paused instance resumes at when its missed slots are to be skipped (Resume with
 * skip_missed): the first slot after `now` in the series of its stored slot, or the stored slot
 * itself when it is still ahead. A one-off keeps its slot: it always runs once, even late.
 */
export function skipMissedSlot(spec: ScheduleSpec, stored: number, now: number): number {
  if (spec.kind === "at" || stored > now) return stored;
  return lastSlotAtOrBefore(spec, stored, now).following ?? stored;
}
