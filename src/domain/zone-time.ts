/*
 * Wall-clock arithmetic in an IANA zone, from the runtime's zone data (Intl). A "wall" time is
 * the local date and time written as if it were UTC epoch ms, so calendar arithmetic on it needs
 * no zone at all; mapping a wall time back to instants is where DST is decided.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const FORMATTER_LIMIT = 1_000;

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format === undefined) {
    if (formatters.size >= FORMATTER_LIMIT) formatters.clear();
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The zone's UTC offset (ms, east positive) at `instant` (epoch ms). `zone` must be valid. */
export function offsetAt(zone: string, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(instant)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The wall time of `instant` in `zone` (milliseconds kept). */
export function wallOf(zone: string, instant: number): number {
  return instant + offsetAt(zone, instant);
}

/** The instants a wall time names: none, one, or two (ascending). */
export interface WallInstants {
  /** The instants whose wall time is the one asked about, ascending (two in a repeated hour). */
  readonly instants: readonly number[];
  /** The offset in force just before the wall time (before a gap, when it falls in one). */
  readonly offsetBefore: number;
}

/*
 * The offsets a day either side of the wall time bracket every offset that can apply to it
 * (no zone changes its offset twice within two days), so trying both finds every instant.
 */
/** One day in ms: far enough either side of an instant to read the offsets around a change. */
export const DAY_MS = 86_400_000;

/** Every instant whose wall time in `zone` is `wall`, and the offset in force before it. */
export function instantsOf(zone: string, wall: number): WallInstants {
  const offsetBefore = offsetAt(zone, wall - DAY_MS);
  const offsetAfter = offsetAt(zone, wall + DAY_MS);
  const instants: number[] = [];
  for (const offset of offsetBefore === offsetAfter ? [offsetBefore] : [offsetBefore, offsetAfter]) {
    const instant = wall - offset;
    if (offsetAt(zone, instant) === offset) instants.push(instant);
  }
  instants.sort((a, b) => a - b);
  return { instants, offsetBefore };
}
