/**
 * How a replica decides which partitions it polls (issue 10). Ownership saves work only:
 * the per-instance version and incarnation fencing of the store stays the guard, so a
 * wrong or stale ownership view may cost duplicate polling, never a duplicate delivery.
 */
export type OwnershipMode =
  /** One replica (the default): every partition of every task. */
  | { readonly mode: "all" }
  /** An explicit list (PARTITURA_PARTITIONS): these partition numbers of every task. */
  | { readonly mode: "static-list"; readonly partitions: readonly number[] }
  /** Replica `ordinal` of `replicas` owns the (task, partition) pairs whose hash mod replicas is ordinal. */
  | { readonly mode: "static-ordinal"; readonly replicas: number; readonly ordinal: number }
  /** Members heartbeat records in the store; owners follow bounded-load rendezvous hashing. */
  | { readonly mode: "membership"; readonly timings: MembershipTimings };

/** The timings of membership mode (PARTITURA_HEARTBEAT_MS, _MEMBER_TTL_MS, _JOIN_DELAY_MS). */
export interface MembershipTimings {
  /** How often a replica refreshes its record and re-reads the members (1000). */
  readonly heartbeatMs: number;
  /** A member counts as dead this long after its last heartbeat (3000). */
  readonly memberTtlMs: number;
  /** A new member waits this long after its start before it owns partitions (2000). */
  readonly joinDelayMs: number;
}

/** The defaults of SHARED-DECISIONS #5. */
export const DEFAULT_MEMBERSHIP_TIMINGS: MembershipTimings = Object.freeze({
  heartbeatMs: 1_000,
  memberTtlMs: 3_000,
  joinDelayMs: 2_000,
});

/** One line for the startup log: the mode and what it means. */
export function describeOwnership(mode: OwnershipMode): string {
  switch (mode.mode) {
    case "all":
      return "ownership all: this replica owns every partition";
    case "static-list":
      return `ownership static: partitions ${formatRanges(mode.partitions)} of every task`;
    case "static-ordinal":
      return `ownership static: replica ${mode.ordinal} of ${mode.replicas} (hash of task and partition mod ${mode.replicas})`;
    case "membership": {
      const t = mode.timings;
      return `ownership membership: store heartbeats every ${t.heartbeatMs} ms, dead after ${t.memberTtlMs} ms, join delay ${t.joinDelayMs} ms`;
    }
  }
}

/** Sorted distinct numbers as `0-7,12`. */
export function formatRanges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.join(",");
}
