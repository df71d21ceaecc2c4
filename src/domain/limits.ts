/*
 * Numeric bounds, one place for all of them (SHARED-DECISIONS #1).
 */

/** How long a deleted task's per-partition tombstone refuses late upserts (Redis): a day. */
export const TASK_TOMBSTONE_MS = 86_400_000;

/** How long one Redis command may take before it fails as UNAVAILABLE, by default (ms). */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** The shortest command timeout a Redis store URL may ask for (commandTimeoutMs, ms). */
export const MIN_REDIS_COMMAND_TIMEOUT_MS = 100;

/** The longest command timeout a Redis store URL may ask for (commandTimeoutMs, ms). */
export const MAX_REDIS_COMMAND_TIMEOUT_MS = 60_000;

/** How often the health service pings the store (ms). */
export const HEALTH_PING_INTERVAL_MS = 1_000;

/** How long a health ping may take before readiness goes NOT_SERVING (ms). */
export const HEALTH_PING_TIMEOUT_MS = 1_000;

/**
 * The COUNT of one HSCAN of a Redis listing page: at most this many hash buckets a call, so
 * no call holds Redis for more than about a millisecond (250 records of ~100 bytes: ~0.3 ms).
 */
export const REDIS_LIST_SCAN_COUNT = 250;

/**
 * HSCAN calls one Redis listing page may make beyond the limit / REDIS_LIST_SCAN_COUNT it
 * needs: a sparse hash (many removed) answers few entries a call, and the page then ends short,
 * with a cursor, rather than walking on.
 */
export const REDIS_LIST_EXTRA_SCANS = 4;
