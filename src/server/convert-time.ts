import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { invalid } from "../domain/errors.ts";
import { MAX_DURATION_SECONDS } from "../domain/limits.ts";

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
  if (!Number.isInteger(value.nanos) || value.nanos < 0 || value.nanos > 999_999_999) {
    throw invalid(field, "nanos must be 0 to 999,999,999");
  }
  return Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000);
}

/**
 * A Duration as ms; INVALID_ARGUMENT naming `field` when the Duration spec forbids it: seconds
 * beyond ±315,576,000,000 (10,000 years), |nanos| of a second or more, or seconds and nanos of
 * opposite signs (1 s with -999,999,999 ns is not 1 ns: it is no Duration at all).
 */
export function durationToMs(field: string, value: Duration): number {
  if (value.seconds > MAX_DURATION_SECONDS || value.seconds < -MAX_DURATION_SECONDS) {
    throw invalid(field, "seconds must be within ±315,576,000,000 (10,000 years)");
  }
  if (!Number.isInteger(value.nanos) || value.nanos < -999_999_999 || value.nanos > 999_999_999) {
    throw invalid(field, "nanos must be -999,999,999 to 999,999,999");
  }
  if ((value.seconds > 0n && value.nanos < 0) || (value.seconds < 0n && value.nanos > 0)) {
    throw invalid(field, "seconds and nanos must have the same sign");
  }
  // 315,576,000,000 s is 3.2e14 ms: exact in a double.
  return Number(value.seconds) * 1000 + Math.trunc(value.nanos / 1_000_000);
}

/** An optional Duration as ms, undefined when unset; refused as durationToMs refuses. */
export function optionalDurationToMs(field: string, value: Duration | undefined): number | undefined {
  return value === undefined ? undefined : durationToMs(field, value);
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
