/*
 * Numeric bounds, one place. Each refusal they cause names the field (or setting) and the bound.
 */

/** Default of PARTITURA_MAX_STREAMS_PER_CONNECTION: concurrent HTTP/2 streams (calls) one connection may open. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 1_000;

/** Default of PARTITURA_MAX_EXECUTE_STREAMS: open Execute streams one server holds at once. */
export const DEFAULT_MAX_EXECUTE_STREAMS = 10_000;

/** Default of PARTITURA_TLS_REFRESH_MS: how often the certificate files are read again. */
export const DEFAULT_TLS_REFRESH_MS = 60_000;

/** The shortest plain bearer token a tokens file may hold (characters); short tokens are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** The most entries a tokens file may hold. */
export const MAX_TOKENS = 10_000;

/** Default of PARTITURA_OVERDUE_SAMPLE_MS: how often the overdue metrics are sampled. */
export const DEFAULT_OVERDUE_SAMPLE_MS = 5_000;

/** The most (task, partition) store queries one overdue sample makes; the next sample goes on from there. */
export const MAX_OVERDUE_QUERIES_PER_SAMPLE = 2_048;
