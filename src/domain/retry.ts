import { invalid } from "./errors.ts";
import { MAX_BACKOFF_COEFFICIENT, MAX_RETRY_ATTEMPTS, MAX_RETRY_INTERVAL_MS } from "./limits.ts";
import type { LeaseRef, RetryPolicy } from "./model.ts";
import { stableHash } from "./stable-hash.ts";

/*
 * Retry policies (issue 14): how long a failed slot waits before its next attempt, and when
 * its attempts have run out. Attempts are the store's `attempt` counter, the deliveries of the
 * current slot (a claim adds one), so a FAILURE ack and an expired lease use up the same
 * budget and every replica reads the same count.
 */

/** The wait before the second attempt when the policy leaves it unset. */
export const DEFAULT_RETRY_INITIAL_MS = 1000;
/** The growth of each wait when the policy leaves it unset (0). */
export const DEFAULT_BACKOFF_COEFFICIENT = 2;
/** max_interval, when unset, is this many times initial_interval (Temporal's default). */
export const DEFAULT_MAX_INTERVAL_FACTOR = 100;

/**
 * The wait after attempt `attempt` (1 = the first delivery) failed: initial × coefficient^(attempt
 * − 1), at most max_interval, plus a part of the jitter that is a hash of the lease (so a
 * replica that settles the same failure twice computes the same time, and a herd of failures of
 * one instant spreads).
 */
export function retryDelay(policy: RetryPolicy, attempt: number, lease: LeaseRef): number {
  const growth = policy.backoffCoefficient ** Math.max(0, attempt - 1);
  const base = Math.min(policy.maxIntervalMs, Math.round(policy.initialIntervalMs * growth));
  if (policy.jitterMs <= 1) return base;
  const spread =
    stableHash(`${lease.task}\u0000${lease.name}\u0000${lease.incarnation}\u0000${lease.version}`) %
    policy.jitterMs;
  return base + spread;
}

/** Whether attempt `attempt` of a slot was its last: no retry is left after it failed. */
export function attemptsExhausted(policy: RetryPolicy, attempt: number): boolean {
  return attempt >= policy.maxAttempts;
}

/** The note a retry policy writes on an instance it paused or dead-lettered. */
export function exhaustedNote(attempts: number, error: string): string {
  const head = `retries exhausted after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
  return error === "" ? head : `${head}: ${error}`;
}

/** A policy as the wire gave it, before defaults (0 and undefined mean unset). */
export interface RetryPolicyInput {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number | undefined;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number | undefined;
  readonly jitterMs: number | undefined;
  readonly onExhausted: RetryPolicy["onExhausted"];
}

/**
 * The policy with its defaults applied; INVALID_ARGUMENT naming `${field}.<field>` and the rule
 * for anything out of bounds.
 */
export function retryPolicy(field: string, input: RetryPolicyInput): RetryPolicy {
  const { maxAttempts } = input;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_RETRY_ATTEMPTS) {
    throw invalid(`${field}.max_attempts`, `must be 1 to ${MAX_RETRY_ATTEMPTS}`);
  }
  const initialIntervalMs = input.initialIntervalMs || DEFAULT_RETRY_INITIAL_MS;
  checkWait(`${field}.initial_interval`, initialIntervalMs);
  const backoffCoefficient =
    input.backoffCoefficient === 0 ? DEFAULT_BACKOFF_COEFFICIENT : input.backoffCoefficient;
  if (
    !Number.isFinite(backoffCoefficient) ||
    backoffCoefficient < 1 ||
    backoffCoefficient > MAX_BACKOFF_COEFFICIENT
  ) {
    throw invalid(`${field}.backoff_coefficient`, `must be 0 (2) or 1 to ${MAX_BACKOFF_COEFFICIENT}`);
  }
  const maxIntervalMs =
    input.maxIntervalMs || Math.min(MAX_RETRY_INTERVAL_MS, initialIntervalMs * DEFAULT_MAX_INTERVAL_FACTOR);
  checkWait(`${field}.max_interval`, maxIntervalMs);
  if (maxIntervalMs < initialIntervalMs) {
    throw invalid(
      `${field}.max_interval`,
      `must not be shorter than initial_interval (${initialIntervalMs} ms)`,
    );
  }
  const jitterMs = input.jitterMs ?? 0;
  if (!Number.isInteger(jitterMs) || jitterMs < 0 || jitterMs > maxIntervalMs) {
    throw invalid(`${field}.jitter`, `must be 0 (none) to max_interval (${maxIntervalMs} ms)`);
  }
  return {
    maxAttempts,
    initialIntervalMs,
    backoffCoefficient,
    maxIntervalMs,
    jitterMs,
    onExhausted: input.onExhausted,
  };
}

function checkWait(field: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_RETRY_INTERVAL_MS) {
    throw invalid(field, `must be 1 ms to ${MAX_RETRY_INTERVAL_MS / 3_600_000} h`);
  }
}
