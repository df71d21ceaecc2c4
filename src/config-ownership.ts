import { hostname } from "node:os";
import { MAX_STATIC_PARTITION, MAX_STATIC_REPLICAS } from "./domain/limits.ts";
import { DEFAULT_MEMBERSHIP_TIMINGS, type OwnershipMode } from "./domain/ownership-mode.ts";

/*
 * The ownership part of the configuration (SHARED-DECISIONS #5): which of the three modes,
 * and its parameters. At most one mode may be asked for; asking for two is a mistake we name
 * rather than silently pick one.
 */

/** One ownership setting: its environment variable and its flag (none has a default value). */
export interface OwnershipSetting {
  readonly env: string;
  readonly flag: string;
}

/** The ownership settings, for flags and usage. */
export const OWNERSHIP_SETTINGS = {
  membership: { env: "PARTITURA_MEMBERSHIP", flag: "membership" },
  partitions: { env: "PARTITURA_PARTITIONS", flag: "partitions" },
  replicas: { env: "PARTITURA_REPLICAS", flag: "replicas" },
  ordinal: { env: "PARTITURA_ORDINAL", flag: "ordinal" },
  heartbeatMs: { env: "PARTITURA_HEARTBEAT_MS", flag: "heartbeat-ms" },
  memberTtlMs: { env: "PARTITURA_MEMBER_TTL_MS", flag: "member-ttl-ms" },
  joinDelayMs: { env: "PARTITURA_JOIN_DELAY_MS", flag: "join-delay-ms" },
} as const satisfies Record<string, OwnershipSetting>;

type Key = keyof typeof OWNERSHIP_SETTINGS;

/** A value as found, with the name of where it came from (flag or variable) for messages. */
export interface RawValue {
  readonly value: string | undefined;
  readonly source: string;
}

/** Builds a ConfigError (passed in so this file does not import config.ts: no cycle). */
type Fail = (message: string) => Error;

/** Checks a whole number of milliseconds; supplied by config.ts so the rule lives once. */
type Milliseconds = (source: string, value: string) => number;

/** Parses the ownership settings into one OwnershipMode. */
export function parseOwnership(
  read: (key: Key) => RawValue,
  env: NodeJS.ProcessEnv,
  milliseconds: Milliseconds,
  fail: Fail,
): OwnershipMode {
  const membership = read("membership");
  const partitions = read("partitions");
  const replicas = read("replicas");
  const asked = [membership, partitions, replicas].filter((r) => r.value !== undefined);
  if (asked.length > 1) {
    throw fail(`${asked.map((r) => r.source).join(" and ")}: choose one ownership mode, not ${asked.length}`);
  }
  const timings = (["heartbeatMs", "memberTtlMs", "joinDelayMs"] as const).map(read);
  if (membership.value === undefined) {
    const stray = timings.find((t) => t.value !== undefined);
    if (stray) throw fail(`${stray.source}: is only used with PARTITURA_MEMBERSHIP=store`);
  }
  const ordinal = read("ordinal");
  if (replicas.value === undefined && ordinal.value !== undefined) {
    throw fail(`${ordinal.source}: is only used with PARTITURA_REPLICAS`);
  }
  if (membership.value !== undefined) {
    if (membership.value !== "store") {
      throw fail(
        `${membership.source}: "${membership.value}" must be "store" (heartbeats in the configured store)`,
      );
    }
    return { mode: "membership", timings: parseTimings(timings, milliseconds, fail) };
  }
  if (partitions.value !== undefined) {
    return { mode: "static-list", partitions: parsePartitionList(partitions.source, partitions.value, fail) };
  }
  if (replicas.value !== undefined) {
    const count = wholeNumber(replicas.source, replicas.value, fail);
    if (count < 1 || count > MAX_STATIC_REPLICAS) {
      throw fail(`${replicas.source}: "${replicas.value}" must be from 1 to ${MAX_STATIC_REPLICAS}`);
    }
    return { mode: "static-ordinal", replicas: count, ordinal: parseOrdinal(ordinal, count, env, fail) };
  }
  return { mode: "all" };
}

function parseTimings(values: readonly RawValue[], milliseconds: Milliseconds, fail: Fail) {
  const [heartbeat, ttl, join] = values as [RawValue, RawValue, RawValue];
  const read = (raw: RawValue, fallback: number) =>
    raw.value === undefined ? fallback : milliseconds(raw.source, raw.value);
  const heartbeatMs = read(heartbeat, DEFAULT_MEMBERSHIP_TIMINGS.heartbeatMs);
  const memberTtlMs = read(ttl, DEFAULT_MEMBERSHIP_TIMINGS.memberTtlMs);
  const joinDelayMs = read(join, DEFAULT_MEMBERSHIP_TIMINGS.joinDelayMs);
  if (heartbeatMs < 1) throw fail(`${heartbeat.source}: "${heartbeat.value}" must be at least 1 millisecond`);
  // One late or lost heartbeat must not make a live member count as dead.
  if (memberTtlMs < 2 * heartbeatMs) {
    throw fail(
      `${ttl.source}: ${memberTtlMs} must be at least twice PARTITURA_HEARTBEAT_MS (${heartbeatMs}), so one missed heartbeat does not count a replica as dead`,
    );
  }
  return Object.freeze({ heartbeatMs, memberTtlMs, joinDelayMs });
}

/**
 * `0-7,12`: partition numbers and inclusive ranges, comma-separated, blanks allowed around
 * items. Returns the distinct numbers in ascending order.
 */
export function parsePartitionList(source: string, value: string, fail: Fail): number[] {
  const found = new Set<number>();
  const items = value.split(",").map((item) => item.trim());
  for (const item of items) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!match) {
      throw fail(
        `${source}: "${item}" in "${value}" must be a partition number or a range like 0-7 (list like 0-7,12)`,
      );
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > MAX_STATIC_PARTITION || to > MAX_STATIC_PARTITION) {
      throw fail(`${source}: "${item}" names a partition above ${MAX_STATIC_PARTITION}`);
    }
    if (to < from) throw fail(`${source}: range "${item}" must run upwards (${to}-${from})`);
    for (let p = from; p <= to; p++) found.add(p);
  }
  return [...found].sort((a, b) => a - b);
}

function parseOrdinal(ordinal: RawValue, replicas: number, env: NodeJS.ProcessEnv, fail: Fail): number {
  if (ordinal.value !== undefined) {
    const n = wholeNumber(ordinal.source, ordinal.value, fail);
    if (n >= replicas) {
      throw fail(
        `${ordinal.source}: ${n} must be below PARTITURA_REPLICAS (${replicas}): ordinals count from 0`,
      );
    }
    return n;
  }
  const host = env.HOSTNAME || hostname();
  const match = /-(\d+)$/.exec(host);
  if (!match) {
    throw fail(
      `PARTITURA_REPLICAS: needs PARTITURA_ORDINAL or a HOSTNAME ending in -N (a StatefulSet pod name like partitura-2); HOSTNAME is "${host}"`,
    );
  }
  const n = Number(match[1]);
  if (n >= replicas) {
    throw fail(`PARTITURA_REPLICAS: ordinal ${n} from HOSTNAME "${host}" must be below ${replicas}`);
  }
  return n;
}

function wholeNumber(source: string, value: string, fail: Fail): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw fail(`${source}: "${value}" must be a whole number`);
  }
  return n;
}
