import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";

/** A wire time as ISO-8601 for a table cell; "" when unset. */
export function isoOf(time: Timestamp | undefined): string {
  return time === undefined ? "" : new Date(timestampMs(time)).toISOString();
}

/** A wire time as epoch ms; NaN when unset. */
export function msOf(time: Timestamp | undefined): number {
  return time === undefined ? Number.NaN : timestampMs(time);
}
