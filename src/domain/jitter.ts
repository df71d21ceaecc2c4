import { invalid } from "./errors.ts";
import { MAX_JITTER_MS } from "./limits.ts";
import type { ScheduleSpec } from "./model.ts";
import { stableHash } from "./stable-hash.ts";

/*
 * Deterministic jitter: each slot of an instance is delivered at slot + hash(task, instance,
 * slot) mod jitter. The delay is a pure function of those three, so every replica, every
 * retry of a commit and every preview computes the same delivery time with no coordination,
 * and a herd of instances due at one instant (a million daily crons at 09:00) spreads evenly
 * over [slot, slot + jitter). The slot itself stays what it was: the instance reports it as
 * next_run_at and its execution as scheduled_at; only the claim waits for the delivery time.
 * The stores keep that wait as a hold in lockedUntil (a lock without an owner, as a retry
 * delay is), so an un-jittered instance stores nothing more.
 */

/** Whose slots are jittered: the delay differs per instance so a herd spreads. */
export interface JitterKey {
  readonly task: string;
  readonly instance: string;
}

/** How long after `slot` it is delivered: in [0, jitterMs), 0 without jitter. */
export function jitterDelay(key: JitterKey, slot: number, jitterMs: number | undefined): number {
  if (jitterMs === undefined || jitterMs <= 1) return 0;
  // NUL separators keep ("a", "b1") and ("ab", "1") apart; slots are whole ms.
  return stableHash(`${key.task}\u0000${key.instance}\u0000${slot}`) % jitterMs;
}

/** When `slot` of the instance `key` with schedule `spec` is delivered (claimable). */
export function deliveryAt(key: JitterKey, spec: ScheduleSpec, slot: number): number {
  return slot + jitterDelay(key, slot, spec.jitterMs);
}

/**
 * The hold a store keeps in lockedUntil for `slot`: its delivery time when jitter moves it,
 * undefined when the slot is delivered on time (or there is no slot), so an un-jittered
 * instance is written exactly as before. The one function the upsert of a first slot and the
 * commit of every next slot go through.
 */
export function holdUntil(key: JitterKey, spec: ScheduleSpec, slot: number | null): number | undefined {
  if (slot === null || spec.jitterMs === undefined) return undefined;
  const at = deliveryAt(key, spec, slot);
  return at > slot ? at : undefined;
}

/**
 * Throws INVALID_ARGUMENT naming `${field}.jitter` unless the schedule's jitter is whole
 * milliseconds within (0, MAX_JITTER_MS] and, for an interval, not longer than the interval
 * (a longer one would let a slot be delivered after the next one falls due).
 */
export function checkJitter(field: string, spec: ScheduleSpec): void {
  const jitter = spec.jitterMs;
  if (jitter === undefined) return;
  if (!Number.isInteger(jitter) || jitter < 1 || jitter > MAX_JITTER_MS) {
    throw invalid(`${field}.jitter`, `must be 0 (none) to ${MAX_JITTER_MS / 60_000} minutes`);
  }
  if (spec.kind === "interval" && jitter > spec.intervalMs) {
    throw invalid(`${field}.jitter`, `must not be longer than the interval (${spec.intervalMs} ms)`);
  }
}
