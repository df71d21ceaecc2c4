import type { ScheduleSpec } from "./model.ts";
import { cronNext, nextSlot } from "./schedule.ts";

/*
 * The slots a backfill runs (issue 14, BackfillInstances): the schedule's slots after `start`
 * and at or before `end`, inside the schedule's own start/end bounds. An interval's slots are
 * the grid its stored slot lies on (slot + k * interval: no drift, as it runs), so a backfill
 * replays the times it would have run at; a cron's are its fire times in its zone, DST rules
 * and all (cronNext); a one-off's is its instant when inside the range.
 */

/** Where a backfill of one instance starts, and how many slots it holds (at most `max` + 1). */
export interface BackfillRange {
  /** The first slot after start, or undefined when the range holds none. */
  readonly first: number | undefined;
  /** The last slot at or before end (defined with first). */
  readonly last: number | undefined;
  /** The slots in the range, counted up to max + 1 (more than max means too many). */
  readonly count: number;
}

/**
 * The backfill slots of an instance whose stored slot is `anchor`, in (start, end]; counts at
 * most `max` + 1 so a caller can refuse a range over its bound without walking all of it.
 */
export function backfillRange(
  spec: ScheduleSpec,
  anchor: number,
  start: number,
  end: number,
  max: number,
): BackfillRange {
  const from = spec.startAtMs === undefined ? start : Math.max(start, spec.startAtMs - 1);
  const to = spec.endAtMs === undefined ? end : Math.min(end, spec.endAtMs);
  if (to <= from) return { first: undefined, last: undefined, count: 0 };
  switch (spec.kind) {
    case "at":
      return spec.atMs > from && spec.atMs <= to
        ? { first: spec.atMs, last: spec.atMs, count: 1 }
        : { first: undefined, last: undefined, count: 0 };
    case "interval": {
      const step = spec.intervalMs;
      // The grid point after `from`: anchor + k * step > from, k the least such integer.
      const first = anchor + (Math.floor((from - anchor) / step) + 1) * step;
      if (first > to) return { first: undefined, last: undefined, count: 0 };
      const count = Math.floor((to - first) / step) + 1;
      return { first, last: first + (count - 1) * step, count: Math.min(count, max + 1) };
    }
    case "cron": {
      const first = cronNext(spec.cron, spec.timezone, from);
      if (first > to) return { first: undefined, last: undefined, count: 0 };
      let last = first;
      let count = 1;
      for (let next = cronNext(spec.cron, spec.timezone, last); next <= to && count <= max; ) {
        last = next;
        count++;
        next = cronNext(spec.cron, spec.timezone, last);
      }
      return { first, last, count };
    }
  }
}

/** The backfill slot after `slot`, or null when `slot` was the backfill's last (`end`). */
export function nextBackfillSlot(spec: ScheduleSpec, slot: number, end: number): number | null {
  if (slot >= end) return null;
  const next = nextSlot(spec, slot);
  return next !== null && next <= end ? next : null;
}
