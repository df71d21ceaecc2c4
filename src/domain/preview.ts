import { cronSlotDst, type DstMark } from "./cron-next.ts";
import { invalid } from "./errors.ts";
import { deliveryAt, type JitterKey } from "./jitter.ts";
import { DEFAULT_PREVIEW_COUNT, MAX_PREVIEW_COUNT } from "./limits.ts";
import type { ScheduleSpec } from "./model.ts";
import { firstSlot, lastSlotAtOrBefore, nextSlot } from "./schedule.ts";

/*
 * PreviewSchedule's logic: the next slots of a schedule exactly as the engine computes them
 * (firstSlot, nextSlot), each with its jittered delivery time (deliveryAt, under the hold
 * every upsert and commit stores) and its DST mark (cronSlotDst, next to the DST rules).
 * Nothing here re-derives a slot, so the preview cannot disagree with what will run.
 */

/** One previewed slot. */
export interface PreviewedSlot {
  /** The slot (epoch ms, UTC): next_run_at, scheduled_at. */
  readonly at: number;
  /** With jitter, when it is delivered (at or after `at`); undefined without jitter. */
  readonly deliverAt: number | undefined;
  readonly dst: DstMark;
  /** Cron only: the wall time the cron named, "YYYY-MM-DDTHH:MM:SS" in its zone. */
  readonly localTime: string | undefined;
}

/** The count a request asks for, 0 meaning the default; INVALID_ARGUMENT naming `count` past the bound. */
export function previewCount(requested: number): number {
  if (requested === 0) return DEFAULT_PREVIEW_COUNT;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_PREVIEW_COUNT) {
    throw invalid("count", `must be 0 (${DEFAULT_PREVIEW_COUNT}) to ${MAX_PREVIEW_COUNT}`);
  }
  return requested;
}

/** The first slot a Schedule call at `from` would store (what a fresh instance runs first). */
export function freshStart(spec: ScheduleSpec, from: number): number {
  return firstSlot(spec, from);
}

/**
 * The first slot of a stored instance whose next slot is `nextRunAt`, at or after it and
 * strictly after `from` when `from` is given: the instance's own sequence (an interval keeps
 * its phase), or null when a one-off's slot is not after `from`.
 */
export function storedStart(spec: ScheduleSpec, nextRunAt: number, from: number | undefined): number | null {
  if (from === undefined || nextRunAt > from) return nextRunAt;
  return lastSlotAtOrBefore(spec, nextRunAt, from).following;
}

/**
 * Up to `count` slots from `start` on (start included), in time order: the one walk of
 * nextSlot that every listing of upcoming slots (PreviewSchedule, the console) goes through.
 */
export function upcomingSlots(spec: ScheduleSpec, start: number | null, count: number): number[] {
  const slots: number[] = [];
  for (let at = start; at !== null && slots.length < count; at = nextSlot(spec, at)) slots.push(at);
  return slots;
}

/** Up to `count` slots from `start` on, in time order, as the engine will run them. */
export function previewSlots(
  spec: ScheduleSpec,
  key: JitterKey,
  start: number | null,
  count: number,
): PreviewedSlot[] {
  return upcomingSlots(spec, start, count).map((at) => {
    const deliverAt = spec.jitterMs === undefined ? undefined : deliveryAt(key, spec, at);
    if (spec.kind !== "cron") return { at, deliverAt, dst: "none", localTime: undefined };
    const dst = cronSlotDst(spec.cron, spec.timezone, at);
    return { at, deliverAt, dst: dst.mark, localTime: new Date(dst.wall).toISOString().slice(0, 19) };
  });
}
