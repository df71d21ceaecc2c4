/*
 * Numeric bounds of Partitura, one place to read them (each helper appends its own; the lead
 * moves older constants here).
 */

/** The longest cron expression accepted (characters), checked before any parsing. */
export const MAX_CRON_LENGTH = 256;

/** The longest time-zone name accepted (characters); IANA's longest is about 32. */
export const MAX_TIMEZONE_LENGTH = 64;

/** How many known time zones the zone cache keeps (least recently used go first). */
export const ZONE_CACHE_LIMIT = 1024;

/** How many characters of a client's input an error message echoes (then an ellipsis). */
export const MAX_ECHO_LENGTH = 100;

/**
 * The longest status message sent to a client (characters). grpc-js percent-encodes it into
 * the trailer, up to 9 bytes a character, and stock clients refuse trailers over 8 KiB.
 */
export const MAX_STATUS_MESSAGE_LENGTH = 512;

/** The longest symbol or file name a reflection request may ask about (characters). */
export const MAX_REFLECTION_NAME_LENGTH = 512;

/** How many requests one reflection stream may send before it is ended. */
export const MAX_REFLECTION_REQUESTS = 1000;

/** The longest Duration protobuf allows: 10,000 years in seconds. */
export const MAX_DURATION_SECONDS = 315_576_000_000n;
