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
