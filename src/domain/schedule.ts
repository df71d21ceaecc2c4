import { checkBounds, checkMaxRuns, countFrom, withinEnd } from "./bounds.ts";
import { checkCronFields } from "./cron-check.ts";
import { computeCronNext } from "./cron-next.ts";
import { clip, invalid, quote, toError } from "./errors.ts";
import { checkJitter } from "./jitter.ts";
import { MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH, ZONE_CACHE_LIMIT } from "./limits.ts";
import type { ScheduleSpec } from "./model.ts";

/*
 * Schedule math. Pure: every function takes the instant it reasons from as an argument.
 *
 * Cron follows cron-parser's field order: 5 fields, or 6 with seconds first. DST follows
 * RFC 5545 (a local time inside a spring-forward gap is read with the offset before the gap;
 * a repeated local time means its first occurrence; a wildcard or stepped hour fires in every
 * real hour), decided in cron-next.ts; test/domain pins it with reference days.
 */

/**
 * The latest instant a schedule may name (6429-10-17T02:45:55.327Z): the stores keep times in
 * 6-byte fields (the Redis record header), and a time past them must be refused, not wrapped.
 */
export const MAX_EPOCH_MS = 2 ** 47 - 1;

/** The longest interval: ten years (longer schedules are what `at` and cron are for). */
export const MAX_INTERVAL_MS = 3650 * 86_400_000;

/*
 * Asking the runtime about a zone costs a DateTimeFormat, so known zones are remembered. Only
 * known ones: an unknown name is a client's string, and remembering those let distinct refused
 * names (15 MB each) grow the process without bound. The map's insertion order makes it an
 * LRU: a hit moves the zone to the end, and the first entry is the one to drop.
 */
const knownZones = new Map<string, true>();

/** True when `zone` is an IANA time zone this runtime knows (and not absurdly long). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > MAX_TIMEZONE_LENGTH) return false;
  if (knownZones.has(zone)) {
    knownZones.delete(zone);
    knownZones.set(zone, true);
    return true;
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    // RangeError is the runtime's way of saying "unknown zone": that is the answer, not a fault.
    return false;
  }
  if (knownZones.size >= ZONE_CACHE_LIMIT) {
    const oldest = knownZones.keys().next();
    if (oldest.done !== true) knownZones.delete(oldest.value);
  }
  knownZones.set(zone, true);
  return true;
}

/** How many zones the zone cache holds (tests show refused zones do not grow it). */
export function zoneCacheSize(): number {
  return knownZones.size;
}

/**
 * Throws INVALID_ARGUMENT (naming `field`) unless the schedule can be run: a cron of 5 or 6
 * fields that fires at least once, in a known zone; an interval of at least 1 ms; an `at`
 * that is a valid instant; a jitter within its bounds (jitter.ts); start and end bounds in
 * order and a max_runs within its bound (bounds.ts), with a first slot from `now` that is not
 * past the end.
 */
export function checkSchedule(field: string, spec: ScheduleSpec, now: number): void {
  checkScheduleShape(field, spec, now);
  if (spec.endAtMs !== undefined && firstSlot(spec, now) > spec.endAtMs) {
    throw invalid(
      `${field}.end_at`,
      `${new Date(spec.endAtMs).toISOString()} leaves no slot: the first would be ${new Date(firstSlot(spec, now)).toISOString()}`,
    );
  }
}

/**
 * checkSchedule without the check that a slot is left before the end, which only holds until
 * the end passes: for a schedule stored before (a redeploy of a task whose bounded schedule
 * has run its course is not a mistake).
 */
export function checkScheduleShape(field: string, spec: ScheduleSpec, now: number): void {
  checkShape(field, spec, now);
  checkJitter(field, spec);
  if (spec.startAtMs !== undefined) checkInstant(`${field}.start_at`, spec.startAtMs);
  if (spec.endAtMs !== undefined) checkInstant(`${field}.end_at`, spec.endAtMs);
  checkBounds(field, spec);
  checkMaxRuns(field, spec);
}

function checkShape(field: string, spec: ScheduleSpec, now: number): void {
  switch (spec.kind) {
    case "cron": {
      // Lengths first, before any parsing: a 15 MB string must cost no more than a short one.
      if (spec.timezone.length > MAX_TIMEZONE_LENGTH) {
        throw invalid(`${field}.timezone`, `must be at most ${MAX_TIMEZONE_LENGTH} characters`);
      }
      if (spec.cron.length > MAX_CRON_LENGTH) {
        throw invalid(`${field}.cron`, `must be at most ${MAX_CRON_LENGTH} characters`);
      }
      if (!isTimeZone(spec.timezone)) {
        throw invalid(`${field}.timezone`, `${quote(spec.timezone)} is not an IANA time zone`);
      }
      const parts = spec.cron.trim().split(/\s+/);
      if (parts.length !== 5 && parts.length !== 6) {
        throw invalid(
          `${field}.cron`,
          `${quote(spec.cron)} must have 5 fields (min hour dom mon dow) or 6 with seconds first`,
        );
      }
      checkCronFields(`${field}.cron`, parts);
      try {
        cronNext(spec.cron, spec.timezone, now);
      } catch (thrown) {
        throw invalid(
          `${field}.cron`,
          `${quote(spec.cron)} is not a valid cron: ${clip(toError(thrown).message)}`,
        );
      }
      return;
    }
    case "interval":
      if (!Number.isFinite(spec.intervalMs) || spec.intervalMs < 1) {
        throw invalid(`${field}.interval`, "must be at least 1 ms");
      }
      if (spec.intervalMs > MAX_INTERVAL_MS) {
        throw invalid(`${field}.interval`, "must be at most 3650 days");
      }
      return;
    case "at":
      checkInstant(`${field}.at`, spec.atMs);
      return;
  }
}

/** Refuses an instant outside what the stores can hold (1970 to MAX_EPOCH_MS), naming `field`. */
export function checkInstant(field: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_EPOCH_MS) {
    throw invalid(field, `must be between 1970-01-01T00:00:00Z and ${new Date(MAX_EPOCH_MS).toISOString()}`);
  }
}

/**
 * The first slot of a new instance scheduled at `now`: after now, and at or after the start
 * when the schedule has one still ahead (an interval then starts at the start itself). It may
 * be past the end: checkSchedule refuses such a schedule before anything is stored.
 */
export function firstSlot(spec: ScheduleSpec, now: number): number {
  const { from, atStart } = countFrom(spec, now);
  switch (spec.kind) {
    case "cron":
      // cronNext is strictly after its instant: 1 ms earlier lets a slot at the start count.
      return cronNext(spec.cron, spec.timezone, atStart ? from - 1 : from);
    case "interval":
      return atStart ? from : from + spec.intervalMs;
    case "at":
      return spec.atMs;
  }
}

/** The slot after `slot`, or null when the schedule has no more (a one-off, or past its end). */
export function nextSlot(spec: ScheduleSpec, slot: number): number | null {
  switch (spec.kind) {
    case "cron":
      return withinEnd(spec, cronNext(spec.cron, spec.timezone, slot));
    case "interval":
      return withinEnd(spec, slot + spec.intervalMs);
    case "at":
      return null;
  }
}

/**
 * The latest slot at or before `now`, starting from `slot` (which is itself at or before now),
 * and the first slot after now (null past the schedule's end). With an end before `now` the
 * latest slot is the last one at or before the end: no slot past the end is ever delivered,
 * however late the claim. Intervals are arithmetic; crons step, bounded, because a minute-cron
 * missed for a year is half a million steps: past the bound the latest slot is approximated by
 * stepping from just before `now`, which is exact for any cron whose gaps are shorter than
 * that window.
 */
export function lastSlotAtOrBefore(
  spec: ScheduleSpec,
  slot: number,
  now: number,
): { latest: number; following: number | null } {
  if (spec.kind === "at") return { latest: slot, following: null };
  const limit = spec.endAtMs === undefined ? now : Math.min(now, spec.endAtMs);
  if (spec.kind === "interval") {
    const steps = Math.floor((limit - slot) / spec.intervalMs);
    const latest = slot + Math.max(0, steps) * spec.intervalMs;
    return { latest, following: withinEnd(spec, latest + spec.intervalMs) };
  }
  let latest = slot;
  let following = cronNext(spec.cron, spec.timezone, latest);
  for (let i = 0; following <= limit && i < 1000; i++) {
    latest = following;
    following = cronNext(spec.cron, spec.timezone, latest);
  }
  if (following <= limit) {
    // Too many missed slots to walk: find the last one within the day before the limit.
    latest = cronNext(spec.cron, spec.timezone, limit - 86_400_000);
    following = cronNext(spec.cron, spec.timezone, latest);
    while (following <= limit) {
      latest = following;
      following = cronNext(spec.cron, spec.timezone, latest);
    }
  }
  return { latest, following: withinEnd(spec, following) };
}

/*
 * cron-parser's next() costs tens of microseconds in a zone. Recurring instances of one cron
 * share slots, so a small cache keyed by (expression, zone, instant) turns the per-execution
 * cost into a map lookup for all but the first instance to reach each slot.
 */
const CACHE_LIMIT = 10_000;
const cronCache = new Map<string, number>();

/** The first cron slot strictly after `after` (epoch ms), in `timezone`. */
export function cronNext(cron: string, timezone: string, after: number): number {
  const key = `${after}|${timezone}|${cron}`;
  const cached = cronCache.get(key);
  if (cached !== undefined) return cached;
  const next = computeCronNext(cron, timezone, after);
  if (cronCache.size >= CACHE_LIMIT) cronCache.clear();
  cronCache.set(key, next);
  return next;
}
