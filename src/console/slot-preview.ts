import type { ScheduleSpec } from "../domain/model.ts";
import { upcomingSlots } from "../domain/preview.ts";
import { offsetAt } from "../domain/zone-time.ts";

/*
 * The next slots of a schedule, from the same walk of nextSlot as PreviewSchedule (upcomingSlots),
 * each with the zone's UTC offset, and marked where the offset changed since the slot before
 * it (or since `now`, for the first): that is where a daylight-saving change fell in between.
 */

/** One upcoming slot. */
export interface PreviewSlot {
  readonly at: number;
  /** The zone's UTC offset at the slot (ms east). */
  readonly offsetMs: number;
  /** The offset before it (at the previous slot, or at `now`) when it differs: a DST change. */
  readonly offsetChangedFrom: number | undefined;
}

/** The zone slots are read in: a cron's zone, UTC for intervals and one-offs. */
export function zoneOf(spec: ScheduleSpec): string {
  return spec.kind === "cron" ? spec.timezone : "UTC";
}

/** Up to `count` slots starting with `first` (the instance's next run). */
export function previewSlots(spec: ScheduleSpec, first: number, now: number, count: number): PreviewSlot[] {
  const zone = zoneOf(spec);
  let before = offsetAt(zone, Math.min(now, first));
  return upcomingSlots(spec, first, count).map((at) => {
    const offsetMs = offsetAt(zone, at);
    const slot = { at, offsetMs, offsetChangedFrom: offsetMs === before ? undefined : before };
    before = offsetMs;
    return slot;
  });
}
