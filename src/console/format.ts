/*
 * How the console writes times and ages: instants in UTC ISO form (and in a zone where one
 * applies), ages in the largest unit that keeps them short. Pure.
 */

/** An instant as `2026-12-02 09:00:00Z`. */
export function utc(instant: number): string {
  return `${new Date(instant)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "")}Z`;
}

/** An instant's wall time in `zone`, as `2026-12-02 10:00:00`. */
export function wallTime(zone: string, instant: number): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/** A UTC offset in ms as `UTC+01:00`. */
export function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `UTC${sign}${hh}:${mm}`;
}

/** A duration in ms as `850 ms`, `12 s`, `4 min`, `3 h`, `2 d`. */
export function age(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms)} ms`;
  if (abs < 120_000) return `${Math.round(ms / 1_000)} s`;
  if (abs < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (abs < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** A count with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
