import { invalid } from "./errors.ts";
import { MAX_RUNS } from "./limits.ts";
import type { ScheduleSpec } from "./model.ts";

/*
 * Schedule bounds (Temporal's ScheduleSpec start_time/end_time): no slot before startAtMs, none
 * after endAtMs. They are applied where slots are made, in schedule.ts (firstSlot, nextSlot,
 * lastSlotAtOrBefore), so everything that walks slots (misfire, preview, the engine's plans)
 * inherits them without knowing they exist. An instance whose next slot would be past its end
 * gets a null next slot, which every store already reads as "delete after this run", as it
 * does for a one-off that ran.
 */

/** `slot`, or null when it is past the schedule's end (or already null). */
export function withinEnd(spec: ScheduleSpec, slot: number | null): number | null {
  return slot !== null && spec.endAtMs !== undefined && slot > spec.endAtMs ? null : slot;
}

/**
 * The instant a fresh schedule counts from: `now`, or the start when it is still ahead, and
 * whether the start is (so the first slot may be the start itself rather than after it).
 */
export function countFrom(spec: ScheduleSpec, now: number): { from: number; atStart: boolean } {
  const start = spec.startAtMs;
  return start !== undefined && start > now ? { from: start, atStart: true } : { from: now, atStart: false };
}

/**
 * Throws INVALID_ARGUMENT naming `${field}.start_at` or `${field}.end_at` when a bound is set
 * on a one-off (whose one slot is its own bound) or the end is not after the start. Whether
 * any slot is left before the end depends on `now`: checkSchedule decides that from firstSlot.
 */
export function checkBounds(field: string, spec: ScheduleSpec): void {
  const { startAtMs: start, endAtMs: end } = spec;
  if (start === undefined && end === undefined) return;
  if (spec.kind === "at") {
    const which = start !== undefined ? "start_at" : "end_at";
    throw invalid(
      `${field}.${which}`,
      "must be unset for an at schedule: start_at/end_at apply to cron and interval schedules",
    );
  }
  if (start !== undefined && end !== undefined && end <= start) {
    throw invalid(
      `${field}.end_at`,
      `must be after start_at (${new Date(start).toISOString()}), got ${new Date(end).toISOString()}`,
    );
  }
}

/**
 * Throws INVALID_ARGUMENT naming `${field}.max_runs` when max_runs is set on a one-off (whose
 * one slot is its one run) or is not 1 .. MAX_RUNS (0 on the wire, absent here, is no limit).
 * max-runs.ts turns a valid one into an end bound.
 */
export function checkMaxRuns(field: string, spec: ScheduleSpec): void {
  const runs = spec.maxRuns;
  if (runs === undefined) return;
  if (spec.kind === "at") {
    throw invalid(
      `${field}.max_runs`,
      "must be 0 for an at schedule: max_runs applies to cron and interval schedules",
    );
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) {
    throw invalid(`${field}.max_runs`, `must be at most ${MAX_RUNS} (0 is no limit), got ${runs}`);
  }
}
