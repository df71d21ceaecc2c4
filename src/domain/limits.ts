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

/** How many hungry pollers one return of credit to a stream wakes at most (the rest wait their turn). */
export const CREDIT_WAKE_FANOUT = 64;

/**
 * Forced looks (poll-bound timers) an engine spreads over a second at most: with many
 * partitions the poll bound stretches to `pollers / this` seconds, so an idle stream on a task of
 * 65,536 partitions costs a few hundred empty claims a second, not 65,536.
 */
export const FORCED_LOOKS_PER_SECOND = 256;

/**
 * Bytes an Execute stream may have queued (written by the server, not yet taken by the
 * transport) before the engine stops giving it credit until it drains.
 */
export const STREAM_QUEUE_MAX_BYTES = 4 * 1024 * 1024;
