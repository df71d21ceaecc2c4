import { type CronExpression, CronExpressionParser } from "cron-parser";
import { DAY_MS, instantsOf, offsetAt, wallOf } from "./zone-time.ts";

/*
 * The next slot of a cron in a zone, with DST decided here rather than by cron-parser.
 * cron-parser walks local time itself and, at a 30-minute change (Australia/Lord_Howe), loops
 * until its limit and throws ("loop limit exceeded"), which would stop the schedule. So
 * cron-parser only does calendar arithmetic, in UTC on wall times, and the mapping of each
 * candidate wall time to instants follows RFC 5545 as DESIGN.md states it:
 * - a wall time inside a gap (spring forward) is read with the offset before the gap; a cron
 *   whose hour field is a wildcard or a step skips it instead (that hour is not real);
 * - a wall time that occurs twice (fall back) means its first occurrence; a cron whose hour
 *   field is a wildcard or a step fires at both, since both hours are real.
 */

/*
 * No DST change moves clocks by more than this (Antarctica/Troll's is 2 h): a candidate whose
 * wall time is this far from another cannot be out of order with it in real time.
 */
const SHIFT_BOUND_MS = 3 * 3_600_000;

/** A cron's wall-time candidates after `wall`, ascending (cron-parser in UTC). */
function candidates(cron: string, wall: number): CronExpression {
  return CronExpressionParser.parse(cron, { tz: "UTC", currentDate: new Date(wall) });
}

/** True when the hour field is `*` or stepped, so every real hour fires (5 or 6 fields). */
function everyHour(cron: string): boolean {
  const parts = cron.trim().split(/\s+/);
  const hour = parts[parts.length === 6 ? 2 : 1] ?? "";
  return hour === "*" || hour.includes("/");
}

/** The instants wall time `wall` fires at, by the rules above. */
function firings(zone: string, wall: number, allHours: boolean): readonly number[] {
  const { instants, offsetBefore } = instantsOf(zone, wall);
  if (instants.length === 0) return allHours ? [] : [wall - offsetBefore];
  if (instants.length === 2 && !allHours) return instants.slice(0, 1);
  return instants;
}

/** True when `zone`'s offset is the same `SHIFT_BOUND_MS` either side of `instant`. */
function steady(zone: string, instant: number): boolean {
  return offsetAt(zone, instant - SHIFT_BOUND_MS) === offsetAt(zone, instant + SHIFT_BOUND_MS);
}

/** The first slot of `cron` strictly after `after` (epoch ms), in `zone` (computed, uncached). */
export function computeCronNext(cron: string, zone: string, after: number): number {
  const offset = offsetAt(zone, after);
  const allHours = everyHour(cron);
  if (steady(zone, after)) {
    // Far from any change at `after`: the first wall candidate is the answer, unless it lies
    // near a change itself (then the careful walk below decides).
    const wall = candidates(cron, after + offset)
      .next()
      .getTime();
    const fired = firings(zone, wall, allHours);
    const first = fired[0];
    if (fired.length === 1 && first !== undefined && first > after && steady(zone, first)) return first;
  }
  /*
   * Near a change: walk wall candidates from `spread` before `after`'s wall time (a fall back
   * can make an earlier wall time later in real time) until one lies further past the best
   * found than the change around that best can reorder.
   */
  const walk = candidates(cron, after + offset - spread(zone, after));
  let best: number | undefined;
  let horizon = 0;
  for (;;) {
    const wall = walk.next().getTime();
    if (best !== undefined && wall > horizon) return best;
    for (const instant of firings(zone, wall, allHours)) {
      if (instant > after && (best === undefined || instant < best)) {
        best = instant;
        horizon = wall + spread(zone, instant);
      }
    }
  }
}

/**
 * The slot `steps` slots after `slot` (itself a slot of `cron` in `zone`), or the first slot
 * past `limit` when that comes sooner, and the steps taken: what chained computeCronNext calls
 * give, for max_runs' N-th slot. A call costs a fresh cron-parser iterator (about 80 us), so a chain of
 * 100,000 would take seconds; instead one iterator is kept while the zone's offset is steady
 * and each slot is its next wall candidate minus that offset, which is computeCronNext's own
 * fast path. Steadiness is checked a day at a time (equal offsets a day apart mean no change
 * between, as instantsOf assumes); near a change each step is computeCronNext itself.
 */
export function cronAdvance(
  cron: string,
  zone: string,
  slot: number,
  steps: number,
  limit: number,
): { slot: number; steps: number } {
  let walk: CronExpression | undefined;
  let offset = 0;
  // [spanFrom, spanTo]: the zone's offset is `offset` throughout.
  let spanFrom = 0;
  let spanTo = -1;
  const inSpan = (instant: number) =>
    instant - SHIFT_BOUND_MS >= spanFrom && instant + SHIFT_BOUND_MS <= spanTo;
  const verify = (instant: number): boolean => {
    const from = instant - SHIFT_BOUND_MS;
    if (offsetAt(zone, from) !== offset || offsetAt(zone, from + DAY_MS) !== offset) return false;
    spanFrom = from;
    spanTo = from + DAY_MS;
    return true;
  };
  let taken = 0;
  for (; taken < steps && slot <= limit; taken++) {
    if (walk !== undefined) {
      const next = walk.next().getTime() - offset;
      if (inSpan(next) || verify(next)) {
        slot = next;
        continue;
      }
    }
    slot = computeCronNext(cron, zone, slot);
    offset = offsetAt(zone, slot);
    // Verified afresh: a span read under the offset before this slot says nothing now.
    walk = verify(slot) ? candidates(cron, slot + offset) : undefined;
  }
  return { slot, steps: taken };
}

/** How far the zone's offset moves within a day either side of `instant` (ms). */
function spread(zone: string, instant: number): number {
  return Math.abs(offsetAt(zone, instant - DAY_MS) - offsetAt(zone, instant + DAY_MS));
}

/** What DST did to one cron slot (PreviewSchedule's marks). */
export type DstMark = "none" | "moved" | "merged" | "repeated";

/** A cron slot's DST mark and the local wall time the cron named for it. */
export interface SlotDst {
  readonly mark: DstMark;
  /** The wall time the cron named (epoch ms as if UTC); for "moved", one that did not exist. */
  readonly wall: number;
}

/**
 * How the rules above treated `slot`, a slot computeCronNext gave for `cron` in `zone`, read
 * back from the slot itself so a preview cannot drift from the engine: the wall time the cron
 * named either is the slot's own (then it occurred once, or twice: "merged" when the cron ran
 * at the first only, "repeated" when a wildcard or stepped hour runs at both), or it lay in a
 * gap and the slot is that wall time read with the offset before the gap ("moved").
 */
export function cronSlotDst(cron: string, zone: string, slot: number): SlotDst {
  const wall = wallOf(zone, slot);
  if (firesAtWall(cron, wall)) {
    if (instantsOf(zone, wall).instants.length < 2) return { mark: "none", wall };
    return { mark: everyHour(cron) ? "repeated" : "merged", wall };
  }
  // The offset before the gap: a day back, as instantsOf reads it (one change in two days).
  const named = slot + offsetAt(zone, slot - DAY_MS);
  if (firesAtWall(cron, named) && instantsOf(zone, named).instants.length === 0) {
    return { mark: "moved", wall: named };
  }
  return { mark: "none", wall };
}

/** True when `wall` is one of the cron's wall-time candidates. */
function firesAtWall(cron: string, wall: number): boolean {
  return (
    candidates(cron, wall - 1)
      .next()
      .getTime() === wall
  );
}
