import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { invalid } from "../domain/errors.ts";

/*
 * Partitura computes in epoch milliseconds; the wire carries Timestamps and Durations.
 * Sub-millisecond parts are truncated, and values outside what a number holds exactly (or
 * outside the range protobuf allows) are refused naming the field.
 */

/** The latest instant a Timestamp may carry: 9999-12-31T23:59:59Z. */
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
/** The earliest: 0001-01-01T00:00:00Z. */
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;

/** A Timestamp as epoch ms; INVALID_ARGUMENT naming `field` when it is out of range. */
export function timestampToMs(field: string, value: Timestamp): number {
  if (value.seconds > MAX_TIMESTAMP_SECONDS || value.seconds < MIN_TIMESTAMP_SECONDS) {
    throw invalid(field, "must be between 0001-01-01 and 9999-12-31");
  }
  if (value.nanos < 0 || value.nanos > 999_999_999) throw invalid(field, "nanos must be 0 to 999,999,999");
  return Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000);
}

/** A Duration as ms; INVALID_ARGUMENT naming `field` when it cannot be one. */
export function durationToMs(field: string, value: Duration): number {
  const seconds = Number(value.seconds);
  if (!Number.isSafeInteger(seconds * 1000)) throw invalid(field, "is out of range");
  if (value.nanos < -999_999_999 || value.nanos > 999_999_999) {
    throw invalid(field, "nanos must be -999,999,999 to 999,999,999");
  }
  return seconds * 1000 + Math.trunc(value.nanos / 1_000_000);
}

/** Epoch ms as a Timestamp. */
export function msToTimestamp(ms: number): Timestamp {
  return timestampFromMs(ms);
}

/** Epoch ms as a Timestamp, or undefined for 0 (an unset time such as "not locked"). */
export function optionalTimestamp(ms: number): Timestamp | undefined {
  return ms === 0 ? undefined : timestampFromMs(ms);
}

/** Milliseconds as a Duration. */
export function msToDuration(ms: number): Duration {
  return durationFromMs(ms);
}
