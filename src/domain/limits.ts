/*
 * Numeric bounds, one place for all of them (SHARED-DECISIONS #1).
 */

/** How long a deleted task's per-partition tombstone refuses late upserts (Redis): a day. */
export const TASK_TOMBSTONE_MS = 86_400_000;
