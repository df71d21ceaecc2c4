import type { LeaseRef, PauseState, RetryPolicy } from "../domain/model.ts";
import { attemptsExhausted, exhaustedNote, retryDelay } from "../domain/retry.ts";
import type { ReleaseItem } from "../store/store.ts";

/*
 * What a task's retry policy does with a failed attempt of a slot (issue 14): run it again
 * after its backoff, or, when that was the last attempt, give the slot up (CONTINUE), pause
 * the instance at it (PAUSE) or park it in the dead-letter list (DEAD_LETTER). Both pauses are
 * a release with a park, so the instance keeps the failed slot for a resume or a requeue.
 */

/** What the store should do with a failed attempt. */
export type RetryStep =
  /** Released, ready again at `wakeAt` (item.retryAt). */
  | { readonly kind: "retry"; readonly item: ReleaseItem; readonly wakeAt: number }
  /** Released into a pause or the dead-letter list (item.park). */
  | { readonly kind: "park"; readonly item: ReleaseItem; readonly event: "paused" | "dead_lettered" }
  /** The slot is given up: commit the next slot, as a success would. */
  | { readonly kind: "continue" };

/** What happened to failed attempts, for the metrics: a retry, or how retries ran out. */
export type RetryEvent = "retried" | "continued" | "paused" | "dead_lettered" | "requeued" | "discarded";

/** Told `count` instances of `task` met `event`; a no-op when nobody listens. */
export type RetryObserver = (task: string, event: RetryEvent, count: number) => void;

/**
 * The step after attempt `attempt` of `lease` failed at `now`, with the worker's `error` and
 * the ack's own retry_after (which wins when it is longer than the backoff).
 */
export function afterFailure(
  policy: RetryPolicy,
  lease: LeaseRef,
  attempt: number,
  error: string,
  retryAfterMs: number | undefined,
  now: number,
): RetryStep {
  if (!attemptsExhausted(policy, attempt)) {
    const retryAt = now + Math.max(retryDelay(policy, attempt, lease), retryAfterMs ?? 0);
    return { kind: "retry", item: { lease, retryAt }, wakeAt: retryAt };
  }
  return exhausted(policy, lease, attempt, error, now);
}

/**
 * The step for a slot whose attempts ran out: after a failed last attempt, or found at a claim
 * with attempt past max_attempts (its earlier leases expired: a worker died holding them).
 */
export function exhausted(
  policy: RetryPolicy,
  lease: LeaseRef,
  attempts: number,
  error: string,
  now: number,
): RetryStep {
  const note = exhaustedNote(attempts, error);
  switch (policy.onExhausted) {
    case "continue":
      return { kind: "continue" };
    case "pause":
      return { kind: "park", item: { lease, park: { at: now, note } }, event: "paused" };
    case "dead_letter": {
      const park: PauseState = { at: now, note, deadLettered: true };
      return { kind: "park", item: { lease, park }, event: "dead_lettered" };
    }
  }
}
